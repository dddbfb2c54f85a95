// Text formatting for the ring-builder CLI: the few pieces of Python %-formatting and
// str()/repr() that swift-ring-builder's output depends on, and its device table.
import { isIPv6 } from 'node:net'
import type { BuilderDevice, RingBuilder } from './builder.ts'

/** `%Nd` / `%-Nd` / `%Ns`: right-aligned (or left with negative width). */
export function pad(v: string | number, width: number): string {
  const s = String(v)
  return width < 0 ? s.padEnd(-width) : s.padStart(width)
}

/** `%W.Pf`. */
export function fixed(n: number, precision: number, width = 0): string {
  return n.toFixed(precision).padStart(width)
}

/** Python's str(float): whole numbers keep a ".0". */
export function pyFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1)
  return String(n)
}

/** Python's repr(str) for the simple strings error messages quote. */
export function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/'/g, "\\'")}'`
}

/** Python's str(timedelta(seconds=n)): "H:MM:SS" or "N day(s), H:MM:SS". */
export function timedelta(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const days = Math.floor(s / 86400)
  const rest = s % 86400
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`
  return days ? `${days} day${days === 1 ? '' : 's'}, ${hms}` : hms
}

function shownIp(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip
}

/** The device table of `ring-builder <file>`: header line and one line per device. */
export function deviceTable(builder: RingBuilder, balances: Map<number, number> | null): string[] {
  let ipW = 10
  let portW = 4
  let repIpW = 14
  let repPortW = 4
  let weightW = 6
  let ip6 = false
  let rep6 = false
  const devs = [...builder.iterDevs()]
  for (const d of devs) {
    if (isIPv6(d.ip)) ip6 = true
    if (isIPv6(d.replication_ip)) rep6 = true
    ipW = Math.max(d.ip.length, ipW)
    repIpW = Math.max(d.replication_ip.length, repIpW)
    portW = Math.max(String(d.port).length, portW)
    repPortW = Math.max(String(d.replication_port).length, repPortW)
    weightW = Math.max(fixed(d.weight, 2, 6).length, weightW)
  }
  if (ip6) ipW += 2
  if (rep6) repIpW += 2
  const lines = [
    `Devices:${pad('id', 5)} ${pad('region', 6)} ${pad('zone', 4)} ${pad('ip address', ipW)}:${pad('port', -portW)} ` +
    `${pad('replication ip', repIpW)}:${pad('port', -repPortW)} ${pad('name', 5)} ${pad('weight', weightW)} ` +
    `${pad('partitions', 10)} ${pad('balance', 7)} ${pad('flags', 5)} meta`,
  ]
  const sorted = devs.sort((a, b) => cmp(a.region, b.region) || cmp(a.zone, b.zone) || cmp(a.ip, b.ip) || cmp(a.device, b.device))
  for (const d of sorted) {
    const flags = builder.removeDevs.includes(d.id) ? 'DEL' : ''
    lines.push(deviceRow(d, balances?.get(d.id) ?? 0, flags, { ipW, portW, repIpW, repPortW, weightW }))
  }
  return lines
}

function cmp(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function deviceRow(d: BuilderDevice, balance: number, flags: string,
  w: { ipW: number; portW: number; repIpW: number; repPortW: number; weightW: number }): string {
  return `${pad(d.id, 13)} ${pad(d.region, 6)} ${pad(d.zone, 4)} ${pad(shownIp(d.ip), w.ipW)}:${pad(d.port, -w.portW)} ` +
    `${pad(shownIp(d.replication_ip), w.repIpW)}:${pad(d.replication_port, -w.repPortW)} ${pad(d.device, 5)} ` +
    `${fixed(d.weight, 2, w.weightW)} ${pad(d.parts, 10)} ${fixed(balance, 2, 7)} ${pad(flags, 5)} ${d.meta}`
}

/** The table `search` prints. */
export function searchTable(builder: RingBuilder, devs: BuilderDevice[]): string[] {
  const lines = ['Devices:    id  region  zone      ip address  port  replication ip  replication port      name weight partitions balance meta']
  let total = 0
  for (const d of builder.iterDevs()) total += d.weight
  const weighted = (builder.parts * builder.replicas) / total
  for (const d of devs) {
    const balance = !d.weight ? (d.parts ? 999.99 : 0) : (100 * d.parts) / (d.weight * weighted) - 100
    lines.push(`         ${pad(d.id, 5)} ${pad(d.region, 7)} ${pad(d.zone, 5)} ${pad(d.ip, 15)} ${pad(d.port, 5)} ` +
      `${pad(d.replication_ip, 15)} ${pad(d.replication_port, 17)} ${pad(d.device, 9)} ${fixed(d.weight, 2, 6)} ` +
      `${pad(d.parts, 10)} ${fixed(balance, 2, 7)} ${d.meta}`)
  }
  return lines
}
