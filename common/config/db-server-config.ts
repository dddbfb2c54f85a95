// Typed configuration of the container and account servers, parsed once from the node's ini
// file with Swift's key names ([DEFAULT] devices, mount_check, bind_ip, bind_port, workers;
// [app:container-server] / [app:account-server]); every default lives here, and bad values
// are rejected at start-up. Storage policies and the hash path secrets are read from
// Swift-style [storage-policy:N] and [swift-hash] sections when the file has them.
//
// workers: RocksDB lets one process open a database, and each server keeps every device's
// database open, so the container and account servers run as ONE process whose event loop
// does the database work (synchronous RocksDB calls, atomic per request; see
// common/db/kv-store.ts). `workers` is accepted for Swift compatibility; a value above 1 is
// reported by `ignoredWorkers` and the server still runs one process.
import { readFile } from 'node:fs/promises'
import { parseIni, iniBool } from './ini.ts'
import type { IniFile, IniSection } from './ini.ts'
import type { HashPathSecrets } from '../hash-path.ts'

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG'
}

export interface StoragePolicyName {
  readonly index: number
  readonly name: string
}

export interface DbServerConfig {
  readonly devices: string
  readonly mountCheck: boolean
  readonly bindIp: string
  readonly bindPort: number
  readonly workers: number
  /** workers asked for above 1 (they are not started: see the header comment). */
  readonly ignoredWorkers: number
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error'
  /** Seconds to connect to another node (account updates). */
  readonly connTimeout: number
  /** Seconds of silence allowed from another node. */
  readonly nodeTimeout: number
  readonly autoCreateAccountPrefix: string
  readonly hashPath: HashPathSecrets
  /** Where the daemons' recon cache files are read for GET /recon/... (Swift's recon_cache_path). */
  readonly reconCachePath: string
  readonly policies: readonly StoragePolicyName[]
}

export type DbServerType = 'container' | 'account'

export const DB_SERVER_DEFAULTS = Object.freeze({
  container: { bindPort: 6201 },
  account: { bindPort: 6202 },
  devices: '/srv/node',
  mountCheck: true,
  bindIp: '0.0.0.0',
  workers: 1,
  logLevel: 'info' as const,
  connTimeout: 0.5,
  nodeTimeout: 3,
  autoCreateAccountPrefix: '.',
  reconCachePath: '/var/cache/swift',
})

function int(section: IniSection, key: string, fallback: number, min: number, max: number): number {
  const raw = section[key]
  if (raw === undefined || raw.trim() === '') return fallback
  if (!/^\s*\d+\s*$/.test(raw)) throw new ConfigError(`${key} must be an integer, got "${raw}"`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${n}`)
  return n
}

function seconds(section: IniSection, key: string, fallback: number): number {
  const raw = section[key]
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${key} must be a positive number of seconds, got "${raw}"`)
  return n
}

function bool(section: IniSection, key: string, fallback: boolean): boolean {
  const raw = section[key]
  if (raw === undefined || raw.trim() === '') return fallback
  const v = raw.trim().toLowerCase()
  if (!['true', '1', 'yes', 'on', 't', 'y', 'false', '0', 'no', 'off', 'f', 'n'].includes(v)) {
    throw new ConfigError(`${key} must be a boolean, got "${raw}"`)
  }
  return iniBool(raw, fallback)
}

export function parseDbServerConfig(ini: IniFile, type: DbServerType): DbServerConfig {
  const section = ini[`app:${type}-server`] ?? ini.DEFAULT ?? {}
  const level = (section.log_level ?? DB_SERVER_DEFAULTS.logLevel).toLowerCase()
  const levels = { debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'error' } as const
  const logLevel = levels[level as keyof typeof levels]
  if (!logLevel) throw new ConfigError(`log_level must be one of DEBUG, INFO, WARNING, ERROR, got "${section.log_level}"`)
  const workers = int(section, 'workers', DB_SERVER_DEFAULTS.workers, 0, 1024)
  const policies: StoragePolicyName[] = []
  for (const [name, values] of Object.entries(ini)) {
    const m = /^storage-policy:(\d+)$/.exec(name)
    if (m) policies.push({ index: Number(m[1]), name: values.name ?? `Policy-${m[1]}` })
  }
  if (policies.length === 0) policies.push({ index: 0, name: 'Policy-0' })
  const hash = ini['swift-hash'] ?? {}
  return Object.freeze({
    devices: section.devices ?? DB_SERVER_DEFAULTS.devices,
    mountCheck: bool(section, 'mount_check', DB_SERVER_DEFAULTS.mountCheck),
    bindIp: section.bind_ip ?? DB_SERVER_DEFAULTS.bindIp,
    bindPort: int(section, 'bind_port', DB_SERVER_DEFAULTS[type].bindPort, 0, 65535),
    workers: Math.min(workers, 1),
    ignoredWorkers: workers > 1 ? workers : 0,
    logLevel,
    connTimeout: seconds(section, 'conn_timeout', DB_SERVER_DEFAULTS.connTimeout),
    nodeTimeout: seconds(section, 'node_timeout', DB_SERVER_DEFAULTS.nodeTimeout),
    autoCreateAccountPrefix: section.auto_create_account_prefix || DB_SERVER_DEFAULTS.autoCreateAccountPrefix,
    hashPath: Object.freeze({ prefix: hash.swift_hash_path_prefix ?? '', suffix: hash.swift_hash_path_suffix ?? '' }),
    reconCachePath: section.recon_cache_path?.trim() || DB_SERVER_DEFAULTS.reconCachePath,
    policies: Object.freeze(policies.sort((a, b) => a.index - b.index)),
  })
}

/** Defaults overridden by `overrides` (tests and the all-in-one starter). */
export function dbServerConfig(type: DbServerType, overrides: Partial<DbServerConfig> = {}): DbServerConfig {
  return Object.freeze({ ...parseDbServerConfig({}, type), ...overrides })
}

export async function loadDbServerConfig(path: string, type: DbServerType): Promise<DbServerConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`)
  }
  return parseDbServerConfig(parseIni(text), type)
}
