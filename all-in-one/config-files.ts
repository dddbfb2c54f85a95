// The all-in-one's configuration files, written on the first start and reused afterwards
// (operators may edit them; Tern never overwrites them): swift.conf with random hash-path
// secrets, proxy-server.conf with tempauth's development users, one config per storage node,
// and all-in-one.json recording what the cluster was created with.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseIni } from '../common/config/ini.ts'
import { MIDDLEWARE_REGISTRY } from '../proxy/middleware/registry.ts'
import type { Layout, NodeLayout } from './layout.ts'
import { LayoutError, STORAGE_IP, isLoopback } from './layout.ts'
import { rsyncModuleTemplate } from './rsyncd.ts'

export const STATE_FORMAT_VERSION = 1

/** Swift's development users (doc/saio proxy-server.conf), with the reseller prefixes of its functional tests. */
export const DEV_USERS: readonly { account: string; user: string; key: string; groups: readonly string[] }[] = Object.freeze([
  { account: 'admin', user: 'admin', key: 'admin', groups: ['.admin', '.reseller_admin'] },
  { account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] },
  { account: 'test', user: 'tester2', key: 'testing2', groups: ['.admin'] },
  { account: 'test', user: 'tester3', key: 'testing3', groups: [] },
  { account: 'test2', user: 'tester2', key: 'testing2', groups: ['.admin'] },
  { account: 'test5', user: 'tester5', key: 'testing5', groups: ['service'] },
])

export interface ClusterState {
  format: string
  version: number
  bindIp: string
  proxyPort: number
  portBase: number
  createdAt: string
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, path)
}

const secret = () => randomBytes(16).toString('hex')

/** The all-in-one's pipeline: Swift's SAIO order, minus filters this checkout does not have yet. */
export function allInOnePipeline(): string[] {
  // Swift's SAIO pipeline (formpost next to tempurl, Tern's cors right after auth).
  const wanted = [
    'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'cache', 'listing_formats', 'bulk', 'tempurl', 'formpost', 'ratelimit', 'crossdomain',
    's3api', 'tempauth', 'cors', 'staticweb', 'copy', 'container-quotas', 'account-quotas', 'slo', 'dlo', 'versioned_writes', 'symlink', 'proxy-logging',
  ]
  const known = new Set(MIDDLEWARE_REGISTRY.map((f) => f.name))
  return [...wanted.filter((name) => known.has(name)), 'proxy-server']
}

export function swiftConfText(): string {
  return [
    '# Written by `tern start`. Every node of a cluster must share these secrets: changing them',
    '# after data is stored makes every object unreachable.',
    '[swift-hash]',
    `swift_hash_path_prefix = ${secret()}`,
    `swift_hash_path_suffix = ${secret()}`,
    '',
  ].join('\n')
}

export function proxyConfText(layout: Layout): string {
  const users = DEV_USERS.map((u) => `user_${u.account}_${u.user} = ${[u.key, ...u.groups].join(' ')}`)
  return [
    '# Written by `tern start` for the all-in-one cluster (Swift key names).',
    '[DEFAULT]',
    `bind_ip = ${layout.bindIp}`,
    `bind_port = ${layout.proxyPort}`,
    `swift_dir = ${layout.etcDir}`,
    'workers = 1',
    'log_level = info',
    '',
    '[pipeline:main]',
    `pipeline = ${allInOnePipeline().join(' ')}`,
    '',
    '[app:proxy-server]',
    'account_autocreate = true',
    '# A reseller admin may DELETE an account; the account reaper then removes its data.',
    'allow_account_management = true',
    '# A restarted storage node is tried again after this many seconds (Swift: 60).',
    'error_suppression_interval = 5',
    '',
    '[filter:catch_errors]',
    '[filter:healthcheck]',
    `disable_path = ${layout.home}/disable-proxy`,
    '[filter:proxy-logging]',
    '[filter:versioned_writes]',
    '# X-Versions-Location / X-History-Location (legacy) and X-Versions-Enabled (object versioning).',
    'allow_versioned_writes = true',
    'allow_object_versioning = true',
    '[filter:cors]',
    '# Origins allowed on every container, comma separated (containers add their own with',
    '# X-Container-Meta-Access-Control-Allow-Origin).',
    'cors_allow_origin =',
    '',
    '[filter:tempauth]',
    'reseller_prefix = AUTH, SERVICE',
    'SERVICE_require_group = service',
    'token_life = 86400',
    '# Signs tokens, so that every proxy worker (and every proxy sharing it) accepts them.',
    `token_secret = ${randomBytes(32).toString('hex')}`,
    '# user_<account>_<user> = <key> [group] [group] [storage_url]',
    '# These are the well-known development users: Tern refuses to listen on anything but',
    '# loopback until you replace them with your own.',
    ...users,
    '',
  ].join('\n')
}

export function nodeConfText(layout: Layout, node: NodeLayout, hashConf: string): string {
  return [
    `# Storage node ${node.index} of the all-in-one cluster, written by \`tern start\`.`,
    '[DEFAULT]',
    `devices = ${node.devicesDir}`,
    'mount_check = false',
    `bind_ip = ${STORAGE_IP}`,
    `swift_dir = ${layout.etcDir}`,
    'workers = 1',
    'log_level = info',
    '# The consistency daemons record their last pass here; GET /recon/... on the object server reads it.',
    `recon_cache_path = ${join(layout.home, 'recon', node.name)}`,
    '',
    '[app:object-server]',
    `bind_port = ${node.ports.object}`,
    '',
    '[app:container-server]',
    `bind_port = ${node.ports.container}`,
    '',
    '[app:account-server]',
    `bind_port = ${node.ports.account}`,
    '',
    '[object-replicator]',
    '# rsync when installed (the all-in-one runs an rsync daemon), HTTP otherwise; ssync forces HTTP.',
    'sync_method = rsync',
    `rsync_module = ${rsyncModuleTemplate(layout)}`,
    '',
    hashConf.trim().split('\n').filter((l) => !l.startsWith('#')).join('\n'),
    '',
  ].join('\n')
}

/**
 * Writes whatever configuration is missing and checks that what exists matches the layout
 * asked for (a second start with other ports would not match the rings). Returns true when
 * the cluster is new.
 */
export function ensureConfigFiles(layout: Layout): boolean {
  const fresh = !existsSync(layout.statePath)
  if (!fresh) {
    const state = JSON.parse(readFileSync(layout.statePath, 'utf8')) as ClusterState
    if (state.version !== STATE_FORMAT_VERSION) throw new LayoutError(`${layout.statePath}: unknown format version ${state.version}`)
    if (state.portBase !== layout.portBase) {
      throw new LayoutError(`${layout.home} was created with storage ports from ${state.portBase} (TERN_PORT_BASE); it cannot move to ${layout.portBase}. Use that value, or another TERN_HOME.`)
    }
    for (const node of layout.nodes) if (!existsSync(node.configPath)) throw new LayoutError(`missing ${node.configPath}`)
    if (!existsSync(layout.swiftConfPath) || !existsSync(layout.proxyConfPath)) throw new LayoutError(`missing configuration in ${layout.etcDir}`)
    return false
  }
  mkdirSync(layout.etcDir, { recursive: true })
  if (!existsSync(layout.swiftConfPath)) writeAtomic(layout.swiftConfPath, swiftConfText())
  const hashConf = readFileSync(layout.swiftConfPath, 'utf8')
  if (!existsSync(layout.proxyConfPath)) writeAtomic(layout.proxyConfPath, proxyConfText(layout))
  for (const node of layout.nodes) {
    mkdirSync(`${node.devicesDir}/${node.device}`, { recursive: true })
    if (!existsSync(node.configPath)) writeAtomic(node.configPath, nodeConfText(layout, node, hashConf))
  }
  const state: ClusterState = {
    format: 'tern-all-in-one',
    version: STATE_FORMAT_VERSION,
    bindIp: layout.bindIp,
    proxyPort: layout.proxyPort,
    portBase: layout.portBase,
    createdAt: new Date().toISOString(),
  }
  writeAtomic(layout.statePath, JSON.stringify(state, null, 2) + '\n')
  return true
}

export interface ProxySettings {
  bindIp: string
  bindPort: number
  /** "account:user" → key, from [filter:tempauth]. */
  users: Map<string, { key: string; groups: string[] }>
}

/** What the all-in-one needs to know of proxy-server.conf (which the operator may have edited). */
export function readProxySettings(path: string): ProxySettings {
  const ini = parseIni(readFileSync(path, 'utf8'))
  const app = ini['app:proxy-server'] ?? ini.DEFAULT ?? {}
  const tempauth = ini['filter:tempauth'] ?? {}
  const users = new Map<string, { key: string; groups: string[] }>()
  for (const [k, v] of Object.entries(tempauth)) {
    const m = /^user_([^_]+)_([^_]+)$/.exec(k)
    if (!m) continue
    const [key = '', ...groups] = v.split(/\s+/).filter(Boolean)
    users.set(`${m[1]}:${m[2]}`, { key, groups })
  }
  return { bindIp: app.bind_ip ?? '0.0.0.0', bindPort: Number(app.bind_port ?? 8080), users }
}

/** The development users still configured with their well-known keys. */
export function wellKnownUsersLeft(settings: ProxySettings): string[] {
  return DEV_USERS.filter((u) => settings.users.get(`${u.account}:${u.user}`)?.key === u.key).map((u) => `${u.account}:${u.user}`)
}

/** Refuses a non-loopback proxy address while any well-known development password remains. */
export function checkExposure(settings: ProxySettings, proxyConfPath: string): void {
  if (isLoopback(settings.bindIp)) return
  const left = wellKnownUsersLeft(settings)
  if (left.length === 0) return
  throw new LayoutError(
    `the proxy would listen on ${settings.bindIp}, but ${proxyConfPath} still has the well-known development ` +
      `users (${left.join(', ')}). Anyone who can reach this address could log in with them. Replace them in ` +
      `[filter:tempauth] with your own users and keys (user_<account>_<user> = <key> [groups]), then start again.`,
  )
}
