// The device strings of swift-ring-builder (swift/common/ring/utils.py): the add value
// `r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_meta`, the partial search value
// `d<id>r<region>z<zone>-<ip>:<port>R<rip>:<rport>/<device>_<meta>`, the set_info change value,
// and the normalisation of addresses that makes searches match however an address was typed.
import { isIPv4, isIPv6 } from 'node:net'
import { BuilderError } from './builder-errors.ts'

/** A device as the add command describes it, before the builder gives it an id. */
export interface NewDevice {
  region: number
  zone: number
  ip: string
  port: number
  replication_ip: string
  replication_port: number
  device: string
  meta: string
  weight: number
}

/** What a search value (or the --option form) asks for; absent keys match anything. */
export interface SearchValues {
  id?: number
  region?: number
  zone?: number
  ip?: string
  port?: number
  replication_ip?: string
  replication_port?: number
  device?: string
  meta?: string
  weight?: number
}

export interface ChangeValues {
  ip?: string
  port?: number
  replication_ip?: string
  replication_port?: number
  device?: string
  meta?: string
}

function invalid(message: string): never {
  throw new BuilderError('EINVALIDVALUE', message)
}

/** Lower-cased IPv4 or canonical (compressed, lower-case) IPv6, as Swift's inet_pton/ntop pair gives. */
export function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase()
  if (isIPv4(lower)) return lower
  if (isIPv6(lower)) return new URL(`http://[${lower}]/`).hostname.slice(1, -1)
  return invalid(`Invalid ip ${ip}`)
}

function isValidHostname(hostname: string): boolean {
  if (hostname.length < 1 || hostname.length > 255) return false
  const h = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname
  return h.split('.').every((label) => /^(?!-)[a-z\d-]{1,63}(?<!-)$/i.test(label))
}

/** An ip or a host name, normalised; `[v6]` must hold an ip. */
export function normalizeAddress(address: string): string {
  if (address.startsWith('[') && address.endsWith(']')) return normalizeIp(address.slice(1, -1))
  const bare = address.replace(/^\[+/, '').replace(/\]+$/, '').toLowerCase()
  if (isIPv4(bare) || isIPv6(bare)) return normalizeIp(bare)
  if (isValidHostname(bare)) return bare
  return invalid(`Invalid address ${address}`)
}

export function isValidDeviceName(name: string): boolean {
  return name.length > 0 && !name.startsWith(' ') && !name.endsWith(' ')
}

/** Reads a run of characters from `s` at `i` while `accept` holds; returns the end index. */
function scan(s: string, i: number, accept: (c: string) => boolean): number {
  while (i < s.length && accept(s[i] as string)) i++
  return i
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9'
const isIpv4Char = (c: string): boolean => isDigit(c) || c === '.'

function readInt(s: string, what: string, original: string): number {
  const n = Number.parseInt(s, 10)
  if (!Number.isFinite(n)) invalid(`Invalid ${what} in ${JSON.stringify(original)}`)
  return n
}

/** `<ip>:<port>` of an add value (ip may be `[v6]`), up to the next `R` or `/`. */
function parseAddress(rest: string): { ip: string; port: number; rest: string } {
  let s = rest
  if (s.startsWith('[')) s = s.replace('[', '').replace(']', '')
  const end = scan(s, 0, (c) => c !== 'R' && c !== '/')
  const address = s.slice(0, end)
  const colon = address.lastIndexOf(':')
  if (colon === -1) invalid('Invalid port in add value')
  const portText = address.slice(colon + 1)
  if (!/^\s*[+-]?\d+\s*$/.test(portText)) invalid(`Invalid port ${address.slice(colon)} in add value`)
  const port = Number.parseInt(portText, 10)
  if (port < 0 || port > 65535) invalid(`Invalid port ${port} in add value`)
  return { ip: normalizeIp(address.slice(0, colon)), port, rest: s.slice(end) }
}

/** Parses `[r<region>]z<zone>-<ip>:<port>[R<rip>:<rport>]/<device>[_<meta>]`; region is undefined when omitted. */
export function parseAddValue(value: string): Omit<NewDevice, 'weight' | 'region'> & { region: number | undefined } {
  let rest = value
  let region: number | undefined
  if (rest.startsWith('r')) {
    const end = scan(rest, 1, isDigit)
    region = readInt(rest.slice(1, end), 'region', value)
    rest = rest.slice(end)
  }
  if (!rest.startsWith('z')) invalid(`Invalid add value: ${value}`)
  const zEnd = scan(rest, 1, isDigit)
  const zone = readInt(rest.slice(1, zEnd), 'zone', value)
  rest = rest.slice(zEnd)
  if (!rest.startsWith('-')) invalid(`Invalid add value: ${value}`)
  const main = parseAddress(rest.slice(1))
  rest = main.rest
  let replicationIp = main.ip
  let replicationPort = main.port
  if (rest.startsWith('R')) {
    const repl = parseAddress(rest.slice(1))
    replicationIp = repl.ip
    replicationPort = repl.port
    rest = repl.rest
  }
  if (!rest.startsWith('/')) invalid(`Invalid add value: ${value}`)
  const devEnd = scan(rest, 1, (c) => c !== '_')
  const device = rest.slice(1, devEnd)
  if (!isValidDeviceName(device)) invalid('Invalid device name')
  rest = rest.slice(devEnd)
  const meta = rest.startsWith('_') ? rest.slice(1) : ''
  return {
    region, zone, ip: main.ip, port: main.port,
    replication_ip: replicationIp, replication_port: replicationPort, device, meta,
  }
}

/** Reads `<ip>` (digits and dots, or `[v6]`) then `:<port>` from the front of `s`. */
function readIpPort(s: string): { ip?: string; port?: number; rest: string } {
  const out: { ip?: string; port?: number; rest: string } = { rest: s }
  if (s && isDigit(s[0] as string)) {
    const end = scan(s, 1, isIpv4Char)
    out.ip = normalizeIp(s.slice(0, end))
    s = s.slice(end)
  } else if (s.startsWith('[')) {
    const end = scan(s, 1, (c) => c !== ']') + 1
    out.ip = normalizeIp(s.slice(1, end - 1))
    s = s.slice(end)
  }
  if (s.startsWith(':')) {
    const end = scan(s, 1, isDigit)
    out.port = Number.parseInt(s.slice(1, end), 10)
    if (!Number.isFinite(out.port)) invalid(`Invalid port in ${JSON.stringify(s)}`)
    s = s.slice(end)
  }
  out.rest = s
  return out
}

/** Parses a (partial) search value; throws on anything left over. */
export function parseSearchValue(value: string): SearchValues {
  const match: SearchValues = {}
  let s = value
  const prefixed = (letter: string, key: 'id' | 'region' | 'zone'): void => {
    if (!s.startsWith(letter)) return
    const end = scan(s, 1, isDigit)
    match[key] = readInt(s.slice(1, end), key, value)
    s = s.slice(end)
  }
  prefixed('d', 'id')
  prefixed('r', 'region')
  prefixed('z', 'zone')
  if (s.startsWith('-')) s = s.slice(1)
  const main = readIpPort(s)
  if (main.ip !== undefined) match.ip = main.ip
  if (main.port !== undefined) match.port = main.port
  s = main.rest
  if (s.startsWith('R')) {
    const repl = readIpPort(s.slice(1))
    if (repl.ip !== undefined) match.replication_ip = repl.ip
    if (repl.port !== undefined) match.replication_port = repl.port
    s = repl.rest
  }
  if (s.startsWith('/')) {
    const end = scan(s, 1, (c) => c !== '_')
    match.device = s.slice(1, end)
    s = s.slice(end)
  }
  if (s.startsWith('_')) {
    match.meta = s.slice(1)
    s = ''
  }
  if (s) invalid(`Invalid <search-value>: '${value}'`)
  return match
}

/** Parses set_info's `<ip>:<port>R<rip>:<rport>/<device>_<meta>` where every part is optional. */
export function parseChangeValue(value: string): ChangeValues {
  const change: ChangeValues = {}
  const main = readIpPort(value)
  if (main.ip !== undefined) change.ip = main.ip
  if (main.port !== undefined) change.port = main.port
  let s = main.rest
  if (s.startsWith('R')) {
    const repl = readIpPort(s.slice(1))
    if (repl.ip !== undefined) change.replication_ip = repl.ip
    if (repl.port !== undefined) change.replication_port = repl.port
    s = repl.rest
  }
  if (s.startsWith('/')) {
    const end = scan(s, 1, (c) => c !== '_')
    change.device = s.slice(1, end)
    s = s.slice(end)
  }
  if (s.startsWith('_')) {
    change.meta = s.slice(1)
    s = ''
  }
  if (s || Object.keys(change).length === 0) invalid(`Invalid set info change value: '${value}'`)
  return change
}

interface MatchableDevice {
  id: number
  region: number
  zone: number
  ip: string
  port: number
  replication_ip: string
  replication_port: number
  device: string
  weight: number
  meta: string
}

function normalizedOrEmpty(address: string): string {
  try {
    return normalizeAddress(address)
  } catch {
    return ''
  }
}

/** Swift's search_devs test: every given key equal, meta a substring, addresses compared normalised. */
export function deviceMatches(dev: MatchableDevice, search: SearchValues): boolean {
  for (const [key, value] of Object.entries(search) as [keyof SearchValues, unknown][]) {
    if (value === undefined || value === null) continue
    if (key === 'meta') {
      if (!dev.meta.includes(value as string)) return false
    } else if (key === 'ip' || key === 'replication_ip') {
      if (normalizedOrEmpty(dev[key]) !== value) return false
    } else if (dev[key] !== value) {
      return false
    }
  }
  return true
}

function bracketed(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip
}

/** `d0r1z1-127.0.0.1:6200R127.0.0.1:6200/sdb1_"meta"`, the form swift-ring-builder prints. */
export function formatDevice(dev: Omit<MatchableDevice, 'weight'> | (NewDevice & { id: number })): string {
  return `d${dev.id}r${dev.region}z${dev.zone}-${bracketed(dev.ip)}:${dev.port}` +
    `R${bracketed(dev.replication_ip)}:${dev.replication_port}/${dev.device}_"${dev.meta}"`
}

export const SEARCH_VALUE_HELP = `The <search-value> can be of the form:
    d<device_id>r<region>z<zone>-<ip>:<port>R<r_ip>:<r_port>/
     <device_name>_<meta>

    Where <r_ip> and <r_port> are replication ip and port.

    Any part is optional, but you must include at least one part.

    Examples:
        d74              Matches the device id 74
        r4               Matches devices in region 4
        z1               Matches devices in zone 1
        z1-1.2.3.4       Matches devices in zone 1 with the ip 1.2.3.4
        1.2.3.4          Matches devices in any zone with the ip 1.2.3.4
        z1:5678          Matches devices in zone 1 using port 5678
        :5678            Matches devices that use port 5678
        R5.6.7.8         Matches devices that use replication ip 5.6.7.8
        R:5678           Matches devices that use replication port 5678
        1.2.3.4R5.6.7.8  Matches devices that use ip 1.2.3.4 and replication ip
                         5.6.7.8
        /sdb1            Matches devices with the device name sdb1
        _shiny           Matches devices with shiny in the meta data
        _"snet: 5.6.7.8" Matches devices with snet: 5.6.7.8 in the meta data
        [::1]            Matches devices in any zone with the ip ::1
        z1-[::1]:5678    Matches devices in zone 1 with ip ::1 and port 5678

    Most specific example:
        d74r4z1-1.2.3.4:5678/sdb1_"snet: 5.6.7.8"

    Nerd explanation:
        All items require their single character prefix except the ip, in which
        case the - is optional unless the device id or zone is also included.`
