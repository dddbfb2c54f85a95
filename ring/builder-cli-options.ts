// optparse-like parsing of ring-builder's device options (--region, -r ...) and per-command
// flags. Values that look like negative numbers stay positional, so `add <dev> -1` reaches
// the weight check instead of failing as an unknown option.
import { BuilderError } from './builder-errors.ts'
import { isValidDeviceName, normalizeAddress } from './device-parse.ts'
import type { ChangeValues, NewDevice, SearchValues } from './device-parse.ts'

type Kind = 'int' | 'float' | 'string' | 'flag'
interface OptionSpec { name: string; short?: string; kind: Kind }

export const DEVICE_OPTIONS: OptionSpec[] = [
  { name: 'id', short: 'u', kind: 'int' },
  { name: 'region', short: 'r', kind: 'int' },
  { name: 'zone', short: 'z', kind: 'int' },
  { name: 'ip', short: 'i', kind: 'string' },
  { name: 'port', short: 'p', kind: 'int' },
  { name: 'replication-ip', short: 'j', kind: 'string' },
  { name: 'replication-port', short: 'q', kind: 'int' },
  { name: 'device', short: 'd', kind: 'string' },
  { name: 'weight', short: 'w', kind: 'float' },
  { name: 'meta', short: 'm', kind: 'string' },
  { name: 'change-ip', short: 'I', kind: 'string' },
  { name: 'change-port', short: 'P', kind: 'int' },
  { name: 'change-replication-ip', short: 'J', kind: 'string' },
  { name: 'change-replication-port', short: 'Q', kind: 'int' },
  { name: 'change-device', short: 'D', kind: 'string' },
  { name: 'change-meta', short: 'M', kind: 'string' },
  { name: 'yes', short: 'y', kind: 'flag' },
]

export const REBALANCE_OPTIONS: OptionSpec[] = [
  { name: 'force', short: 'f', kind: 'flag' },
  { name: 'seed', short: 's', kind: 'string' },
  { name: 'debug', short: 'd', kind: 'flag' },
]

export const DISPERSION_OPTIONS: OptionSpec[] = [
  { name: 'recalculate', kind: 'flag' },
  { name: 'verbose', short: 'v', kind: 'flag' },
]

export type OptionValues = Record<string, string | number | boolean>

export interface ParsedArgs { opts: OptionValues; args: string[] }

export function parseNumber(text: string, kind: 'int' | 'float', what: string): number {
  const ok = kind === 'int' ? /^\s*[+-]?\d+\s*$/.test(text) : /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text)
  if (!ok) throw new BuilderError('EINVALIDVALUE', `invalid ${kind === 'int' ? 'integer' : 'number'} value for ${what}: ${JSON.stringify(text)}`)
  return Number(text)
}

const looksNegative = (s: string): boolean => /^-\d/.test(s) || /^-\.\d/.test(s)

export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const opts: OptionValues = {}
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      args.push(...argv.slice(i + 1))
      break
    }
    if (!a.startsWith('-') || a === '-' || looksNegative(a)) {
      args.push(a)
      continue
    }
    let spec: OptionSpec | undefined
    let inline: string | undefined
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq)
      if (eq !== -1) inline = a.slice(eq + 1)
      spec = specs.find((s) => s.name === name)
    } else {
      spec = specs.find((s) => s.short === a[1])
      if (a.length > 2) inline = a.slice(2)
    }
    if (!spec) throw new BuilderError('EINVALIDVALUE', `no such option: ${a}`)
    const key = spec.name.replace(/-/g, '_')
    if (spec.kind === 'flag') {
      opts[key] = true
      continue
    }
    let value = inline
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new BuilderError('EINVALIDVALUE', `${a} option requires an argument`)
      value = argv[++i] as string
    }
    opts[key] = spec.kind === 'string' ? value : parseNumber(value, spec.kind, a)
  }
  return { opts, args }
}

const SEARCH_KEYS = ['id', 'region', 'zone', 'ip', 'port', 'replication_ip', 'replication_port', 'device', 'weight', 'meta'] as const

/** True when any device option (the "new command format") was given. */
export function usesDeviceOptions(opts: OptionValues): boolean {
  return SEARCH_KEYS.some((k) => opts[k] !== undefined && opts[k] !== '')
}

export function searchFromOptions(opts: OptionValues): SearchValues {
  const search: Record<string, unknown> = {}
  for (const k of SEARCH_KEYS) {
    const v = opts[k]
    if (v === undefined || v === '' || v === 0) continue
    search[k] = k === 'ip' || k === 'replication_ip' ? normalizeAddress(String(v)) : v
  }
  return search as SearchValues
}

export function changeFromOptions(opts: OptionValues): ChangeValues {
  const change: Record<string, unknown> = {}
  for (const k of ['ip', 'port', 'replication_ip', 'replication_port', 'device', 'meta']) {
    const v = opts[`change_${k}`]
    if (v === undefined || v === '' || v === 0) continue
    change[k] = k === 'ip' || k === 'replication_ip' ? normalizeAddress(String(v)) : v
  }
  return change as ChangeValues
}

export function deviceFromOptions(opts: OptionValues): NewDevice {
  const required: [string, string][] = [['region', '-r/--region'], ['zone', '-z/--zone'], ['ip', '-i/--ip'],
    ['port', '-p/--port'], ['device', '-d/--device'], ['weight', '-w/--weight']]
  for (const [k, flag] of required) {
    if (opts[k] === undefined) throw new BuilderError('EINVALIDVALUE', `Required argument ${flag} not specified.`)
  }
  const ip = normalizeAddress(String(opts.ip))
  const device = String(opts.device)
  if (!isValidDeviceName(device)) throw new BuilderError('EINVALIDVALUE', 'Invalid device name')
  const weight = opts.weight as number
  if (weight < 0) throw new BuilderError('EINVALIDVALUE', `Invalid weight value: ${weight}`)
  const port = opts.port as number
  if (port < 0 || port > 65535) throw new BuilderError('EINVALIDVALUE', `Invalid port ${port}`)
  return {
    region: opts.region as number, zone: opts.zone as number, ip, port, device,
    meta: typeof opts.meta === 'string' ? opts.meta : '',
    replication_ip: opts.replication_ip ? normalizeAddress(String(opts.replication_ip)) : ip,
    replication_port: (opts.replication_port as number | undefined) || port,
    weight,
  }
}
