// Typed configuration of the consistency daemons, read from the storage node's ini file with
// Swift's section and key names ([object-replicator], [object-updater], [object-auditor],
// [object-expirer], [container-replicator], ...). Each daemon gets the [DEFAULT] keys, its own
// section, and the object server's bind_port (to find its own devices in the ring). Every
// default lives in DAEMON_DEFAULTS; bad values are rejected at start-up.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseIni } from '../common/config/ini.ts'
import type { IniFile, IniSection } from '../common/config/ini.ts'
import type { HashPathSecrets } from '../common/hash-path.ts'
import { hashPathSecretsFromText, readHashPathSecrets, resolveSwiftConfPath } from '../common/swift-conf.ts'
import type { LogLevel } from '../common/logger.ts'

export class DaemonConfigError extends Error {
  readonly code = 'ERR_CONFIG'
  constructor(message: string) {
    super(message)
    this.name = 'DaemonConfigError'
  }
}

export type SyncMethod = 'rsync' | 'ssync'

export interface DaemonConfig {
  /** The ini section the daemon read ("object-replicator"). */
  readonly section: string
  readonly devices: string
  readonly mountCheck: boolean
  readonly swiftDir: string
  readonly bindIp: string
  /** Ports of this node's servers, to recognise its own devices in the rings. */
  readonly ports: { readonly object: number; readonly container: number; readonly account: number }
  readonly logLevel: LogLevel
  /** Seconds between passes when running forever. */
  readonly interval: number
  readonly concurrency: number
  readonly connTimeout: number
  readonly nodeTimeout: number
  readonly reclaimAge: number
  /** Where the recon stats of each pass are written (<dir>/<server>.recon, JSON). */
  readonly reconCachePath: string
  readonly syncMethod: SyncMethod
  /** Swift's rsync_module template: {replication_ip}, {replication_port}, {ip}, {port}, {device}. */
  readonly rsyncModule: string
  readonly rsyncTimeout: number
  readonly rsyncBwlimit: string
  /** Stop a pass after this many partitions (0: no limit). */
  readonly maxPartitionsPerPass: number
  /** Bytes per second the auditor reads (0: unlimited). */
  readonly bytesPerSecond: number
  readonly filesPerSecond: number
  /** Seconds between retries of an async pending (object updater). */
  readonly slowdown: number
  readonly hashPath: HashPathSecrets
  readonly expiringObjectsAccount: string
  readonly expiringObjectsContainerDivisor: number
  /** Extra keys of the section, for daemon-specific options. */
  readonly raw: IniSection
}

export const DAEMON_DEFAULTS = Object.freeze({
  devices: '/srv/node',
  mountCheck: true,
  swiftDir: '/etc/swift',
  bindIp: '0.0.0.0',
  ports: { object: 6200, container: 6201, account: 6202 },
  interval: 30,
  concurrency: 4,
  connTimeout: 0.5,
  nodeTimeout: 10,
  reclaimAge: 604_800,
  reconCachePath: '/var/cache/swift',
  syncMethod: 'rsync' as SyncMethod,
  rsyncModule: '{replication_ip}::object',
  rsyncTimeout: 900,
  rsyncBwlimit: '0',
  maxPartitionsPerPass: 0,
  bytesPerSecond: 10_000_000,
  filesPerSecond: 20,
  slowdown: 0.01,
  expiringObjectsAccountName: 'expiring_objects',
  expiringObjectsContainerDivisor: 86_400,
})

/** Swift's own defaults where a daemon's pass is not every 30 s (its auditors and reaper). */
const SECTION_INTERVALS: Readonly<Record<string, number>> = { 'container-auditor': 1800, 'account-auditor': 1800, 'account-reaper': 3600 }

function raw(s: IniSection, key: string): string | undefined {
  const v = s[key]
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

function num(s: IniSection, key: string, fallback: number, min: number): number {
  const v = raw(s, key)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new DaemonConfigError(`${key} must be a number >= ${min}, got "${v}"`)
  return n
}

function bool(s: IniSection, key: string, fallback: boolean): boolean {
  const v = raw(s, key)?.toLowerCase()
  if (v === undefined) return fallback
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false
  throw new DaemonConfigError(`${key} must be a boolean, got "${v}"`)
}

function level(s: IniSection): LogLevel {
  const v = raw(s, 'log_level')?.toLowerCase() ?? 'info'
  const map: Record<string, LogLevel> = { debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'error' }
  const l = map[v]
  if (!l) throw new DaemonConfigError(`log_level must be DEBUG, INFO, WARNING or ERROR, got "${v}"`)
  return l
}

/** Parses `section` of a node's ini; `overrides` (from the command line) win over the file. */
export function parseDaemonConfig(ini: IniFile, section: string, secrets: HashPathSecrets, overrides: Record<string, string> = {}): DaemonConfig {
  const s: IniSection = { ...(ini.DEFAULT ?? {}), ...(ini[section] ?? {}), ...overrides }
  const d = DAEMON_DEFAULTS
  const port = (type: 'object' | 'container' | 'account') => num(ini[`app:${type}-server`] ?? {}, 'bind_port', d.ports[type], 0)
  const syncMethod = raw(s, 'sync_method') ?? d.syncMethod
  if (syncMethod !== 'rsync' && syncMethod !== 'ssync') throw new DaemonConfigError(`sync_method must be rsync or ssync, got "${syncMethod}"`)
  const prefix = raw(s, 'auto_create_account_prefix') ?? '.'
  return Object.freeze({
    section,
    devices: raw(s, 'devices') ?? d.devices,
    mountCheck: bool(s, 'mount_check', d.mountCheck),
    swiftDir: raw(s, 'swift_dir') ?? d.swiftDir,
    bindIp: raw(ini['app:object-server'] ?? {}, 'bind_ip') ?? raw(s, 'bind_ip') ?? d.bindIp,
    ports: Object.freeze({ object: port('object'), container: port('container'), account: port('account') }),
    logLevel: level(s),
    interval: num(s, 'interval', num(s, 'run_pause', SECTION_INTERVALS[section] ?? d.interval, 0), 0),
    concurrency: Math.max(1, Math.floor(num(s, 'concurrency', d.concurrency, 1))),
    connTimeout: num(s, 'conn_timeout', d.connTimeout, 0),
    nodeTimeout: num(s, 'node_timeout', num(s, 'http_timeout', d.nodeTimeout, 0), 0),
    reclaimAge: num(s, 'reclaim_age', d.reclaimAge, 0),
    reconCachePath: raw(s, 'recon_cache_path') ?? d.reconCachePath,
    syncMethod,
    rsyncModule: raw(s, 'rsync_module') ?? d.rsyncModule,
    rsyncTimeout: num(s, 'rsync_timeout', d.rsyncTimeout, 1),
    rsyncBwlimit: raw(s, 'rsync_bwlimit') ?? d.rsyncBwlimit,
    maxPartitionsPerPass: Math.floor(num(s, 'max_partitions_per_pass', d.maxPartitionsPerPass, 0)),
    bytesPerSecond: num(s, 'bytes_per_second', d.bytesPerSecond, 0),
    filesPerSecond: num(s, 'files_per_second', d.filesPerSecond, 0),
    slowdown: num(s, 'slowdown', d.slowdown, 0),
    hashPath: Object.freeze({ ...secrets }),
    expiringObjectsAccount: prefix + (raw(s, 'expiring_objects_account_name') ?? d.expiringObjectsAccountName),
    expiringObjectsContainerDivisor: num(s, 'expiring_objects_container_divisor', d.expiringObjectsContainerDivisor, 1),
    raw: Object.freeze({ ...s }),
  })
}

/** Reads the node's ini file; the hash secrets come from it, or from <swift_dir>/swift.conf. */
export async function loadDaemonConfig(path: string, section: string, overrides: Record<string, string> = {}): Promise<DaemonConfig> {
  const ini = parseIni(await readFile(path, 'utf8'))
  const h = ini['swift-hash']
  let secrets: HashPathSecrets
  if (h && (h.swift_hash_path_prefix || h.swift_hash_path_suffix)) {
    secrets = { prefix: h.swift_hash_path_prefix ?? '', suffix: h.swift_hash_path_suffix ?? '' }
  } else {
    const swiftDir = ini.DEFAULT?.swift_dir ?? DAEMON_DEFAULTS.swiftDir
    const text = await readFile(join(swiftDir, 'swift.conf'), 'utf8').catch(() => undefined)
    secrets = text !== undefined ? hashPathSecretsFromText(text, join(swiftDir, 'swift.conf')) : readHashPathSecrets(resolveSwiftConfPath())
  }
  return parseDaemonConfig(ini, section, secrets, overrides)
}
