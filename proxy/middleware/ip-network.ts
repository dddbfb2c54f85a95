// IP addresses and networks as Python's ipaddress module reads them (ip_address and a
// strict ip_network), for tempurl's temp_url_ip_range: dotted quads without leading zeros,
// IPv6 in any RFC 4291 spelling (a %scope ignored), "/<prefix length>" or an IPv4 "/<netmask>", and no host
// bits set below the prefix.
import { isIPv4, isIPv6 } from 'node:net'

export interface IpAddress {
  readonly version: 4 | 6
  readonly value: bigint
}

export interface IpNetwork extends IpAddress {
  readonly prefix: number
}

function ipv4Value(text: string): bigint | undefined {
  const octets = text.split('.')
  if (octets.length !== 4) return undefined
  let value = 0n
  for (const o of octets) {
    // Python refuses leading zeros (they were read as octal once).
    if (!/^\d{1,3}$/.test(o) || (o.length > 1 && o.startsWith('0')) || Number(o) > 255) return undefined
    value = (value << 8n) | BigInt(o)
  }
  return value
}

function ipv6Value(text: string): bigint | undefined {
  // A scope id ("fe80::1%eth0") names an interface; Python keeps it apart from the value.
  const percent = text.indexOf('%')
  const bare = percent < 0 ? text : text.slice(0, percent)
  if (percent >= 0 && (percent === text.length - 1 || text.slice(percent + 1).includes('%'))) return undefined
  if (!isIPv6(bare)) return undefined
  let groups = bare
  let tail: bigint | undefined
  const lastColon = groups.lastIndexOf(':')
  if (groups.slice(lastColon + 1).includes('.')) {
    tail = ipv4Value(groups.slice(lastColon + 1))
    if (tail === undefined) return undefined
    groups = `${groups.slice(0, lastColon + 1)}0:0`
  }
  const [head = '', rest] = groups.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = rest === undefined ? [] : rest ? rest.split(':') : []
  const fill = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  const all = [...left, ...fill, ...right]
  if (all.length !== 8) return undefined
  let value = 0n
  for (const g of all) value = (value << 16n) | BigInt(`0x${g}`)
  if (tail !== undefined) value = (value & ~0xffffffffn) | tail
  return value
}

/** Python's ip_address(text); undefined when it would raise ValueError. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (isIPv4(text)) {
    const value = ipv4Value(text)
    return value === undefined ? undefined : { version: 4, value }
  }
  const value = ipv6Value(text)
  return value === undefined ? undefined : { version: 6, value }
}

function prefixOf(text: string, version: 4 | 6): number | undefined {
  const bits = version === 4 ? 32 : 128
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    return n <= bits ? n : undefined
  }
  if (version !== 4) return undefined
  const mask = ipv4Value(text)
  if (mask === undefined) return undefined
  // A netmask: leading ones, then zeros.
  for (let n = 0; n <= 32; n++) if (mask === ((0xffffffffn << BigInt(32 - n)) & 0xffffffffn)) return n
  return undefined
}

/** Python's ip_network(text) (strict); undefined when it would raise ValueError. */
export function parseIpNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/')
  const address = parseIpAddress(slash < 0 ? text : text.slice(0, slash))
  if (!address) return undefined
  const bits = address.version === 4 ? 32 : 128
  const prefix = slash < 0 ? bits : prefixOf(text.slice(slash + 1), address.version)
  if (prefix === undefined) return undefined
  const hostMask = (1n << BigInt(bits - prefix)) - 1n
  if ((address.value & hostMask) !== 0n) return undefined
  return { ...address, prefix }
}

/** `address in network`, as Python answers it (false across IP versions). */
export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.version !== address.version) return false
  const bits = network.version === 4 ? 32 : 128
  return address.value >> BigInt(bits - network.prefix) === network.value >> BigInt(bits - network.prefix)
}

/** The client's address as a WSGI server reports REMOTE_ADDR (IPv4-mapped IPv6 unwrapped). */
export function remoteAddress(socketAddress: string | undefined): string | undefined {
  return socketAddress?.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1')
}
