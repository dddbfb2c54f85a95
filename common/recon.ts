// GET /recon/<what>[/<type>] on the object, container and account servers (Swift:
// swift.common.middleware.recon), with Swift's JSON key names so that swift-recon style
// tooling reads it. The daemons' figures come from the recon cache files that
// common/daemon.ts writes after each pass (<recon_cache_path>/<daemon>.recon, one per daemon
// rather than Swift's shared object.recon / container.recon / account.recon). A daemon that has
// not run yet gives Swift's answer for a missing cache: every key present with null.
// The async_pending count is taken from the devices at request time rather than from the
// updater's last sweep, so it is right even when no updater runs.
import { readdir, stat, statfs } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { readRecon } from './daemon.ts'
import type { ReconRecord } from './daemon.ts'
import type { StorageRequest } from './storage-server.ts'
import { respond } from './storage-server.ts'
import { HttpError } from './http/errors.ts'

/** The Tern release and the Swift release whose recon answers it follows. */
export const RECON_VERSION = { version: '2.30.1', tern_version: '0.1.0' }

export interface ReconOptions {
  readonly devices: string
  readonly mountCheck: boolean
  readonly reconCachePath: string
}

type Json = Record<string, unknown>
type ServerType = 'object' | 'container' | 'account'

export function isReconRequest(path: string): boolean {
  return path.startsWith('/recon/')
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

function snakeStats(stats: Record<string, number>, renames: Record<string, string> = {}): Json {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [renames[k] ?? snake(k), v]))
}

const passStart = (r: ReconRecord) => r.lastPassEnd - r.lastPassDuration

async function replication(opts: ReconOptions, type: ServerType): Promise<Json> {
  const r = await readRecon(opts.reconCachePath, `${type}-replicator`)
  if (type === 'object') {
    // Swift's object replicator reports its times in minutes.
    const minutes = r ? r.lastPassDuration / 60 : null
    return {
      replication_time: minutes,
      replication_stats: r ? { ...snakeStats(r.stats), start: passStart(r) } : null,
      replication_last: r?.lastPassEnd ?? null,
      object_replication_time: minutes,
      object_replication_last: r?.lastPassEnd ?? null,
    }
  }
  return {
    replication_time: r?.lastPassDuration ?? null,
    replication_stats: r ? { ...snakeStats(r.stats, { failures: 'failure', noChange: 'no_change', diffs: 'diff' }), start: passStart(r) } : null,
    replication_last: r?.lastPassEnd ?? null,
  }
}

async function updater(opts: ReconOptions, type: 'object' | 'container'): Promise<Json> {
  const r = await readRecon(opts.reconCachePath, `${type}-updater`)
  return {
    [`${type}_updater_sweep`]: r?.lastPassDuration ?? null,
    // Beyond Swift's answer: what the last sweep did, and when it ended.
    [`${type}_updater_stats`]: r ? snakeStats(r.stats) : null,
    [`${type}_updater_last`]: r?.lastPassEnd ?? null,
  }
}

function auditorStats(r: ReconRecord | undefined): Json | null {
  if (!r) return null
  const { files = 0, bytes = 0, quarantined = 0, errors = 0 } = r.stats
  return { passes: files, bytes_processed: bytes, quarantined, errors, start_time: passStart(r), audit_time: r.lastPassDuration }
}

/** Swift's container and account auditor keys (audits passed and failed in the last pass). */
async function dbAuditor(opts: ReconOptions, type: 'container' | 'account'): Promise<Json> {
  const r = await readRecon(opts.reconCachePath, `${type}-auditor`)
  return {
    [`${type}_audits_passed`]: r ? (r.stats.passed ?? 0) : null,
    [`${type}_audits_failed`]: r ? (r.stats.failed ?? 0) : null,
    [`${type}_audits_since`]: r ? passStart(r) : null,
    [`${type}_auditor_pass_completed`]: r?.lastPassDuration ?? null,
    // Beyond Swift's answer: how many of the failed were quarantined.
    [`${type}_audits_quarantined`]: r ? (r.stats.quarantined ?? 0) : null,
  }
}

async function auditor(opts: ReconOptions): Promise<Json> {
  return {
    object_auditor_stats_ALL: auditorStats(await readRecon(opts.reconCachePath, 'object-auditor')),
    object_auditor_stats_ZBF: auditorStats(await readRecon(opts.reconCachePath, 'object-auditor-zbf')),
  }
}

async function expirer(opts: ReconOptions): Promise<Json> {
  const r = await readRecon(opts.reconCachePath, 'object-expirer')
  return {
    object_expiration_pass: r?.lastPassDuration ?? null,
    expired_last_pass: r ? (r.stats.expired ?? 0) : null,
  }
}

/** Not in Swift's recon (its reaper reports only in its logs): the last account-reaper pass. */
async function reaper(opts: ReconOptions): Promise<Json> {
  const r = await readRecon(opts.reconCachePath, 'account-reaper')
  return {
    account_reaper_pass: r?.lastPassDuration ?? null,
    account_reaper_last: r?.lastPassEnd ?? null,
    account_reaper_stats: r ? snakeStats(r.stats) : null,
  }
}

async function deviceNames(opts: ReconOptions): Promise<string[]> {
  const entries = await readdir(opts.devices, { withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
}

/** async_pending records of one device, over every policy's folder. */
export async function countAsyncPending(devPath: string): Promise<number> {
  let count = 0
  for (const dir of await readdir(devPath).catch(() => [] as string[])) {
    if (!/^async_pending(?:-\d+)?$/.test(dir)) continue
    for (const suffix of await readdir(join(devPath, dir)).catch(() => [] as string[])) {
      count += (await readdir(join(devPath, dir, suffix)).catch(() => [] as string[])).length
    }
  }
  return count
}

async function asyncPending(opts: ReconOptions): Promise<Json> {
  const devices: Record<string, number> = {}
  let total = 0
  for (const name of await deviceNames(opts)) {
    const n = await countAsyncPending(join(opts.devices, name))
    devices[name] = n
    total += n
  }
  return { async_pending: total, async_pending_last: Date.now() / 1000, devices }
}

/** A different device than the parent's (or the root itself): Swift's check_mount. */
async function isMountPoint(path: string): Promise<boolean> {
  const [st, parent] = await Promise.all([stat(path).catch(() => undefined), stat(dirname(path)).catch(() => undefined)])
  return st !== undefined && parent !== undefined && (st.dev !== parent.dev || st.ino === parent.ino)
}

async function diskUsage(opts: ReconOptions): Promise<Json[]> {
  const out: Json[] = []
  for (const device of await deviceNames(opts)) {
    const path = join(opts.devices, device)
    if (opts.mountCheck && !(await isMountPoint(path))) {
      out.push({ device, mounted: false, size: '', used: '', avail: '' })
      continue
    }
    try {
      const st = await statfs(path)
      out.push({ device, mounted: true, size: st.bsize * st.blocks, used: st.bsize * (st.blocks - st.bavail), avail: st.bsize * st.bavail })
    } catch (err) {
      out.push({ device, mounted: String((err as Error).message), size: '', used: '', avail: '' })
    }
  }
  return out
}

async function answer(opts: ReconOptions, what: string, type: string | undefined): Promise<unknown> {
  const isServer = (v: string | undefined): v is ServerType => v === 'object' || v === 'container' || v === 'account'
  switch (what) {
    case 'replication':
      if (type === undefined) return replication(opts, 'object')
      return isServer(type) ? replication(opts, type) : undefined
    case 'updater':
      return type === 'object' || type === 'container' ? updater(opts, type) : undefined
    case 'auditor':
      if (type === 'container' || type === 'account') return dbAuditor(opts, type)
      return type === 'object' ? auditor(opts) : undefined
    case 'expirer':
      return type === 'object' ? expirer(opts) : undefined
    case 'reaper':
      return type === undefined ? reaper(opts) : undefined
    case 'async':
      return asyncPending(opts)
    case 'diskusage':
      return diskUsage(opts)
    case 'devices':
      return { [opts.devices]: await deviceNames(opts) }
    case 'version':
      return RECON_VERSION
    case 'time':
      return Date.now() / 1000
    default:
      return undefined
  }
}

export async function handleRecon(sr: StorageRequest, opts: ReconOptions): Promise<void> {
  if (sr.method !== 'GET' && sr.method !== 'HEAD') throw new HttpError(405, { headers: { Allow: 'GET, HEAD' } })
  const [, , what = '', type, ...rest] = sr.path.split('/')
  const content = rest.length === 0 ? await answer(opts, what, type === '' ? undefined : type) : undefined
  if (content === undefined) {
    return respond(sr.res, 404, { 'Content-Type': 'text/plain' }, `Invalid path: ${sr.path}`)
  }
  respond(sr.res, 200, { 'Content-Type': 'application/json' }, JSON.stringify(content))
}
