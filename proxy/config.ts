// The proxy's typed configuration, parsed once from a Swift-style proxy-server.conf: the
// [app:proxy-server] section (over [DEFAULT]), the [pipeline:main] line, the [filter:*]
// sections and optional [swift-constraints] / [swift-hash] sections. Every default lives
// here; bad values are rejected at start-up (as swift/proxy/server.py's Application does).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { IniFile, IniSection } from '../common/config/ini.ts'
import { iniBool, parseIni } from '../common/config/ini.ts'
import type { Constraints } from '../common/constraints.ts'
import { DEFAULT_CONSTRAINTS } from '../common/constraints.ts'
import type { HashPathSecrets } from '../common/hash-path.ts'

export class ProxyConfigError extends Error {
  readonly code = 'ERR_PROXY_CONFIG'
}

export interface ProxyConfig {
  readonly bindIp: string
  readonly bindPort: number
  readonly workers: number
  /** Where account.ring.gz, container.ring.gz and object.ring.gz live. */
  readonly swiftDir: string
  /** Seconds to establish a backend connection. */
  readonly connTimeout: number
  /** Seconds a backend may stay silent (response headers, each body chunk, each drain). */
  readonly nodeTimeout: number
  /** node_timeout for GETs that can resume on another node. */
  readonly recoverableNodeTimeout: number
  /** Seconds the proxy waits for a client's body chunk. */
  readonly clientTimeout: number
  /** Seconds to wait for the remaining backends once a quorum answered. */
  readonly postQuorumTimeout: number
  readonly errorSuppressionLimit: number
  readonly errorSuppressionInterval: number
  /** Nodes tried per request: a multiple of the replica count ("2 * replicas") or a number. */
  readonly requestNodeCount: (replicas: number) => number
  readonly accountAutocreate: boolean
  readonly allowAccountManagement: boolean
  readonly objectPostAsCopy: boolean
  readonly recheckAccountExistence: number
  readonly recheckContainerExistence: number
  readonly maxContainersPerAccount: number
  readonly maxContainersWhitelist: readonly string[]
  readonly autoCreateAccountPrefix: string
  readonly expiringObjectsAccount: string
  readonly expiringObjectsContainerDivisor: number
  readonly exposeInfo: boolean
  readonly disallowedSections: readonly string[]
  readonly adminKey: string
  readonly transIdSuffix: string
  readonly denyHostHeaders: readonly string[]
  /** Primary ordering for reads: "shuffle" (Swift's default) or "none" (ring order). */
  readonly sortingMethod: 'shuffle' | 'none'
  /** Send Expect: 100-continue on object PUTs of at least this many bytes (chunked always). */
  readonly putExpectContinueMinSize: number
  /** Idle keep-alive sockets kept per backend node. */
  readonly backendMaxFreeSockets: number
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error'
  readonly constraints: Constraints
  readonly hashPathSecrets: HashPathSecrets
  /** [pipeline:main] pipeline, in order; the last entry is the app ("proxy-server"). */
  readonly pipeline: readonly string[]
  /** [filter:<name>] sections (merged over [DEFAULT]), by filter name. */
  readonly filters: Readonly<Record<string, IniSection>>
  /** The whole ini, for middleware that reads other sections. */
  readonly ini: IniFile
}

const DEFAULT_PIPELINE = 'catch_errors healthcheck proxy-logging s3api tempauth proxy-logging proxy-server'

function num(section: IniSection, key: string, fallback: number, opts: { min?: number; integer?: boolean } = {}): number {
  const raw = section[key]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || (opts.integer && !Number.isInteger(value)) || value < (opts.min ?? 0)) {
    throw new ProxyConfigError(`${key} must be a ${opts.integer ? 'whole ' : ''}number >= ${opts.min ?? 0}, got "${raw}"`)
  }
  return value
}

function list(section: IniSection, key: string): string[] {
  return (section[key] ?? '').split(/[,\s]+/).filter(Boolean)
}

function parseRequestNodeCount(raw: string | undefined): (replicas: number) => number {
  const text = (raw ?? '2 * replicas').trim()
  const fixed = /^\d+$/.exec(text)
  if (fixed) return () => Number(text)
  const times = /^(\d+)\s*\*\s*replicas$/.exec(text)
  if (times) {
    const factor = Number(times[1])
    return (replicas) => factor * replicas
  }
  throw new ProxyConfigError(`invalid request_node_count: "${text}"`)
}

function parseConstraints(section: IniSection | undefined): Constraints {
  if (!section) return DEFAULT_CONSTRAINTS
  const c = DEFAULT_CONSTRAINTS
  const n = (key: string, fallback: number) => num(section, key, fallback, { integer: true })
  return Object.freeze({
    maxFileSize: n('max_file_size', c.maxFileSize),
    maxMetaNameLength: n('max_meta_name_length', c.maxMetaNameLength),
    maxMetaValueLength: n('max_meta_value_length', c.maxMetaValueLength),
    maxMetaCount: n('max_meta_count', c.maxMetaCount),
    maxMetaOverallSize: n('max_meta_overall_size', c.maxMetaOverallSize),
    maxHeaderSize: n('max_header_size', c.maxHeaderSize),
    maxObjectNameLength: n('max_object_name_length', c.maxObjectNameLength),
    containerListingLimit: n('container_listing_limit', c.containerListingLimit),
    accountListingLimit: n('account_listing_limit', c.accountListingLimit),
    maxAccountNameLength: n('max_account_name_length', c.maxAccountNameLength),
    maxContainerNameLength: n('max_container_name_length', c.maxContainerNameLength),
    extraHeaderCount: n('extra_header_count', c.extraHeaderCount),
    validApiVersions: Object.freeze(section.valid_api_versions ? list(section, 'valid_api_versions') : [...c.validApiVersions]),
  })
}

/** Reads [swift-hash] from the ini, else from <swift_dir>/swift.conf when it exists. */
function parseSecrets(ini: IniFile, swiftDir: string): HashPathSecrets {
  let section = ini['swift-hash']
  if (!section) {
    try {
      section = parseIni(readFileSync(join(swiftDir, 'swift.conf'), 'utf8'))['swift-hash']
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return Object.freeze({ prefix: section?.swift_hash_path_prefix ?? '', suffix: section?.swift_hash_path_suffix ?? '' })
}

/** The filter sections by the name the pipeline line uses. */
function filterSections(ini: IniFile): Record<string, IniSection> {
  const out: Record<string, IniSection> = {}
  for (const [name, section] of Object.entries(ini)) {
    if (name.startsWith('filter:')) out[name.slice('filter:'.length)] = section
  }
  return out
}

export function parseProxyConfig(ini: IniFile): ProxyConfig {
  const app = ini['app:proxy-server'] ?? ini.DEFAULT ?? {}
  const swiftDir = app.swift_dir ?? '/etc/swift'
  const nodeTimeout = num(app, 'node_timeout', 10)
  const logLevel = (app.log_level ?? 'info').toLowerCase()
  if (!['debug', 'info', 'warn', 'warning', 'error'].includes(logLevel)) throw new ProxyConfigError(`invalid log_level: ${logLevel}`)
  const sortingMethod = (app.sorting_method ?? 'shuffle').toLowerCase()
  if (sortingMethod !== 'shuffle' && sortingMethod !== 'none') throw new ProxyConfigError(`invalid sorting_method: ${sortingMethod}`)
  const pipeline = (ini['pipeline:main']?.pipeline ?? DEFAULT_PIPELINE).split(/\s+/).filter(Boolean)
  if (pipeline.at(-1) !== 'proxy-server') throw new ProxyConfigError('the pipeline must end with proxy-server')
  const prefix = app.auto_create_account_prefix ?? '.'
  return Object.freeze({
    bindIp: app.bind_ip ?? '0.0.0.0',
    bindPort: num(app, 'bind_port', 8080, { integer: true }),
    workers: num(app, 'workers', 1, { integer: true }),
    swiftDir,
    connTimeout: num(app, 'conn_timeout', 0.5),
    nodeTimeout,
    recoverableNodeTimeout: num(app, 'recoverable_node_timeout', nodeTimeout),
    clientTimeout: num(app, 'client_timeout', 60),
    postQuorumTimeout: num(app, 'post_quorum_timeout', 0.5),
    errorSuppressionLimit: num(app, 'error_suppression_limit', 10, { integer: true }),
    errorSuppressionInterval: num(app, 'error_suppression_interval', 60),
    requestNodeCount: parseRequestNodeCount(app.request_node_count),
    accountAutocreate: iniBool(app.account_autocreate, false),
    allowAccountManagement: iniBool(app.allow_account_management, false),
    objectPostAsCopy: iniBool(app.object_post_as_copy, false),
    recheckAccountExistence: num(app, 'recheck_account_existence', 60),
    recheckContainerExistence: num(app, 'recheck_container_existence', 60),
    maxContainersPerAccount: num(app, 'max_containers_per_account', 0, { integer: true }),
    maxContainersWhitelist: Object.freeze(list(app, 'max_containers_whitelist')),
    autoCreateAccountPrefix: prefix,
    expiringObjectsAccount: prefix + (app.expiring_objects_account_name || 'expiring_objects'),
    expiringObjectsContainerDivisor: num(app, 'expiring_objects_container_divisor', 86400, { integer: true, min: 1 }),
    exposeInfo: iniBool(app.expose_info, true),
    disallowedSections: Object.freeze(list(app, 'disallowed_sections')),
    adminKey: app.admin_key ?? '',
    transIdSuffix: app.trans_id_suffix ?? '',
    denyHostHeaders: Object.freeze(list(app, 'deny_host_headers')),
    sortingMethod,
    putExpectContinueMinSize: num(app, 'put_expect_continue_min_size', 1024 * 1024, { integer: true }),
    backendMaxFreeSockets: num(app, 'backend_max_free_sockets', 256, { integer: true, min: 1 }),
    logLevel: (logLevel === 'warning' ? 'warn' : logLevel) as ProxyConfig['logLevel'],
    constraints: parseConstraints(ini['swift-constraints']),
    hashPathSecrets: parseSecrets(ini, swiftDir),
    pipeline: Object.freeze(pipeline),
    filters: Object.freeze(filterSections(ini)),
    ini,
  })
}

/** Parses proxy-server.conf text. */
export function parseProxyConfigText(text: string): ProxyConfig {
  return parseProxyConfig(parseIni(text))
}

/** Reads and parses a proxy-server.conf. */
export function loadProxyConfig(path: string): ProxyConfig {
  return parseProxyConfigText(readFileSync(path, 'utf8'))
}
