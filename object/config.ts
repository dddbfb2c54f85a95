// Typed configuration of the object server, parsed once from the node's ini file with Swift's
// key names ([DEFAULT] devices, mount_check, bind_ip, bind_port, workers; [app:object-server]
// node_timeout, conn_timeout, container_update_timeout, allowed_headers, fallocate_reserve, ...).
// Every default lives in OBJECT_SERVER_DEFAULTS; bad values are rejected at start-up. The hash
// path secrets come from a [swift-hash] section of the same file when it has one, else from
// swift.conf (common/swift-conf.ts).
import { availableParallelism } from 'node:os'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseIni } from '../common/config/ini.ts'
import type { IniFile, IniSection } from '../common/config/ini.ts'
import type { HashPathSecrets } from '../common/hash-path.ts'
import { hashPathSecretsFromText, readHashPathSecrets, resolveSwiftConfPath } from '../common/swift-conf.ts'
import type { LogLevel } from '../common/logger.ts'

export class ObjectConfigError extends Error {
  readonly code = 'ERR_CONFIG'
  constructor(message: string) {
    super(message)
    this.name = 'ObjectConfigError'
  }
}

export interface ObjectServerConfig {
  readonly devices: string
  readonly mountCheck: boolean
  readonly bindIp: string
  readonly bindPort: number
  readonly workers: number
  readonly logLevel: LogLevel
  readonly logRequests: boolean
  /** Seconds: connecting to a container server / waiting on it. */
  readonly connTimeout: number
  readonly nodeTimeout: number
  /** Seconds a PUT/DELETE waits for its container updates before answering. */
  readonly containerUpdateTimeout: number
  /** Seconds of silence allowed from a client sending a body. */
  readonly clientTimeout: number
  readonly maxUploadTime: number
  readonly networkChunkSize: number
  /** Headers kept from a PUT/POST beside X-Object-Meta-* (lower case). */
  readonly allowedHeaders: readonly string[]
  readonly fallocateReserve: { readonly value: number; readonly isPercent: boolean }
  readonly reclaimAge: number
  readonly expiringObjectsAccount: string
  readonly expiringObjectsContainerDivisor: number
  readonly hashPath: HashPathSecrets
  /** Where the daemons' recon cache files are read for GET /recon/... (Swift's recon_cache_path). */
  readonly reconCachePath: string
  /** Requests one device may have in progress at once; the rest wait (object/device-gate.ts). */
  readonly maxRequestsPerDevice: number
}

const DEFAULT_ALLOWED_HEADERS = [
  'content-disposition', 'content-encoding', 'x-delete-at', 'x-object-manifest', 'x-static-large-object',
  'cache-control', 'content-language', 'expires', 'x-robots-tag',
]

/** Headers no allowed_headers entry may shadow (Swift: RESERVED_DATAFILE_META). */
const RESERVED = new Set(['content-length', 'deleted', 'etag'])

export const OBJECT_SERVER_DEFAULTS = Object.freeze({
  devices: '/srv/node',
  mountCheck: true,
  bindIp: '0.0.0.0',
  bindPort: 6200,
  workers: 'auto',
  logLevel: 'info' as LogLevel,
  logRequests: true,
  connTimeout: 0.5,
  nodeTimeout: 3,
  containerUpdateTimeout: 1,
  clientTimeout: 60,
  maxUploadTime: 86_400,
  networkChunkSize: 65_536,
  maxRequestsPerDevice: 32,
  allowedHeaders: Object.freeze(DEFAULT_ALLOWED_HEADERS),
  fallocateReserve: '1%',
  reclaimAge: 604_800,
  autoCreateAccountPrefix: '.',
  expiringObjectsAccountName: 'expiring_objects',
  expiringObjectsContainerDivisor: 86_400,
  reconCachePath: '/var/cache/swift',
})

function raw(section: IniSection, key: string): string | undefined {
  const v = section[key]
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

function int(section: IniSection, key: string, fallback: number, min: number, max: number): number {
  const v = raw(section, key)
  if (v === undefined) return fallback
  if (!/^\d+$/.test(v)) throw new ObjectConfigError(`${key} must be an integer, got "${v}"`)
  const n = Number(v)
  if (n < min || n > max) throw new ObjectConfigError(`${key} must be between ${min} and ${max}, got ${n}`)
  return n
}

function seconds(section: IniSection, key: string, fallback: number): number {
  const v = raw(section, key)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new ObjectConfigError(`${key} must be a positive number of seconds, got "${v}"`)
  return n
}

function bool(section: IniSection, key: string, fallback: boolean): boolean {
  const v = raw(section, key)?.toLowerCase()
  if (v === undefined) return fallback
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false
  throw new ObjectConfigError(`${key} must be a boolean, got "${v}"`)
}

function logLevel(section: IniSection): LogLevel {
  const v = raw(section, 'log_level')?.toLowerCase()
  if (v === undefined) return OBJECT_SERVER_DEFAULTS.logLevel
  const map: Record<string, LogLevel> = { debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'error' }
  const level = map[v]
  if (!level) throw new ObjectConfigError(`log_level must be DEBUG, INFO, WARNING or ERROR, got "${v}"`)
  return level
}

/** Swift's fallocate_reserve: bytes ("1073741824") or a percentage ("1%"). */
export function parseFallocateReserve(value: string): { value: number; isPercent: boolean } {
  const v = value.trim()
  const isPercent = v.endsWith('%')
  const n = Number(isPercent ? v.slice(0, -1) : v)
  if (!Number.isFinite(n) || n < 0 || (isPercent && n > 100)) throw new ObjectConfigError(`fallocate_reserve must be bytes or a percentage, got "${value}"`)
  return { value: n, isPercent }
}

/** Parses an object-server ini file; `secrets` overrides any [swift-hash] it or swift.conf has. */
export function parseObjectServerConfig(ini: IniFile, secrets?: HashPathSecrets): ObjectServerConfig {
  const s: IniSection = ini['app:object-server'] ?? ini.DEFAULT ?? {}
  const d = OBJECT_SERVER_DEFAULTS
  const workersText = raw(s, 'workers') ?? d.workers
  const workers = workersText === 'auto' ? availableParallelism() : int(s, 'workers', 1, 0, 1024)
  const allowed = (raw(s, 'allowed_headers')?.split(',') ?? [...d.allowedHeaders])
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h && !RESERVED.has(h))
  const prefix = raw(s, 'auto_create_account_prefix') ?? d.autoCreateAccountPrefix
  let hashPath = secrets
  if (!hashPath && ini['swift-hash']) {
    const h = ini['swift-hash']
    hashPath = { prefix: h.swift_hash_path_prefix ?? '', suffix: h.swift_hash_path_suffix ?? '' }
    if (!hashPath.prefix && !hashPath.suffix) throw new ObjectConfigError('[swift-hash] sets neither swift_hash_path_prefix nor swift_hash_path_suffix')
  }
  if (!hashPath) throw new ObjectConfigError('no hash path secrets: give a [swift-hash] section or a swift.conf')
  return Object.freeze({
    devices: raw(s, 'devices') ?? d.devices,
    mountCheck: bool(s, 'mount_check', d.mountCheck),
    bindIp: raw(s, 'bind_ip') ?? d.bindIp,
    bindPort: int(s, 'bind_port', d.bindPort, 0, 65_535),
    workers,
    logLevel: logLevel(s),
    logRequests: bool(s, 'log_requests', d.logRequests),
    connTimeout: seconds(s, 'conn_timeout', d.connTimeout),
    nodeTimeout: seconds(s, 'node_timeout', d.nodeTimeout),
    containerUpdateTimeout: seconds(s, 'container_update_timeout', d.containerUpdateTimeout),
    clientTimeout: seconds(s, 'client_timeout', d.clientTimeout),
    maxUploadTime: seconds(s, 'max_upload_time', d.maxUploadTime),
    networkChunkSize: int(s, 'network_chunk_size', d.networkChunkSize, 1, 64 * 1024 * 1024),
    allowedHeaders: Object.freeze(allowed),
    fallocateReserve: Object.freeze(parseFallocateReserve(raw(s, 'fallocate_reserve') ?? d.fallocateReserve)),
    reclaimAge: seconds(s, 'reclaim_age', d.reclaimAge),
    expiringObjectsAccount: prefix + (raw(s, 'expiring_objects_account_name') ?? d.expiringObjectsAccountName),
    expiringObjectsContainerDivisor: int(s, 'expiring_objects_container_divisor', d.expiringObjectsContainerDivisor, 1, 2 ** 31),
    hashPath: Object.freeze({ ...hashPath }),
    reconCachePath: raw(s, 'recon_cache_path') ?? d.reconCachePath,
    maxRequestsPerDevice: int(s, 'max_requests_per_device', d.maxRequestsPerDevice, 1, 100_000),
  })
}

/**
 * Reads the server's ini file; without a [swift-hash] section the secrets come from
 * <swift_dir>/swift.conf when that exists, else from swift.conf's usual places.
 */
export async function loadObjectServerConfig(path: string): Promise<ObjectServerConfig> {
  const ini = parseIni(await readFile(path, 'utf8'))
  if (ini['swift-hash']) return parseObjectServerConfig(ini)
  const swiftDir = ini['app:object-server']?.swift_dir ?? ini.DEFAULT?.swift_dir
  if (swiftDir) {
    const text = await readFile(join(swiftDir, 'swift.conf'), 'utf8').catch(() => undefined)
    if (text !== undefined) return parseObjectServerConfig(ini, hashPathSecretsFromText(text, join(swiftDir, 'swift.conf')))
  }
  return parseObjectServerConfig(ini, readHashPathSecrets(resolveSwiftConfPath()))
}
