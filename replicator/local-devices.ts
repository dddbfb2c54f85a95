// Which ring devices live on this node (Swift: whataremyips + is_local_device): a device is
// ours when its replication port is our server's port and its replication ip is our bind ip
// or one of this machine's addresses.
import { networkInterfaces } from 'node:os'
import type { RingDevice } from '../ring/types.ts'

export function localAddresses(bindIp: string): Set<string> {
  const out = new Set<string>()
  if (bindIp !== '0.0.0.0' && bindIp !== '::') {
    out.add(bindIp)
    return out
  }
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address)
  return out
}

export function isLocalDevice(dev: RingDevice, ips: ReadonlySet<string>, port: number): boolean {
  return dev.replication_port === port && ips.has(dev.replication_ip)
}

export function localDevices(devs: readonly (RingDevice | null)[], bindIp: string, port: number): RingDevice[] {
  const ips = localAddresses(bindIp)
  return devs.filter((d): d is RingDevice => d !== null && isLocalDevice(d, ips, port))
}
