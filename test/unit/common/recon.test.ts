// GET /recon/... on the storage servers: figures of a daemon pass (written by runDaemon, the
// writer the daemons use) come back under Swift's key names; async_pending records on disk are
// counted per device; unknown paths answer 404 as Swift's recon middleware does.
import t from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runDaemon } from '../../../common/daemon.ts'
import { silentLogger } from '../../../common/logger.ts'
import { createContainerServer } from '../../../container/server.ts'
import { createAccountServer } from '../../../account/server.ts'
import { request, startObjectServer } from '../../helpers/object-server.ts'
import { startNode } from '../../helpers/db-server.ts'

const cache = await mkdtemp(join(tmpdir(), 'tern-recon-'))
t.teardown(() => rm(cache, { recursive: true, force: true }))

const pass = (name: string, stats: Record<string, number>) =>
  runDaemon({ name, runOnce: async () => stats }, { once: true, interval: 0, logger: silentLogger, reconCachePath: cache })

const obj = await startObjectServer(t, `recon_cache_path = ${cache}`, ['sda', 'sdb'])
const get = async (path: string) => {
  const r = await request(obj.port, 'GET', path)
  return { status: r.status, type: r.headers['content-type'], json: r.status === 200 ? JSON.parse(r.body.toString()) as Record<string, unknown> : undefined }
}

t.test('a daemon that never ran: every key present, null', async (t) => {
  const r = await get('/recon/replication/object')
  t.equal(r.status, 200)
  t.same(r.json, { replication_time: null, replication_stats: null, replication_last: null, object_replication_time: null, object_replication_last: null })
})

t.test('object replicator, updater, auditor and expirer passes', async (t) => {
  const before = Date.now() / 1000
  await pass('object-replicator', { partitions: 7, failures: 1 })
  await pass('object-updater', { successes: 3, failures: 0 })
  await pass('object-auditor', { files: 5, bytes: 123, quarantined: 1, errors: 0 })
  await pass('object-expirer', { expired: 4, failures: 0 })
  const repl = await get('/recon/replication/object')
  t.equal(repl.type, 'application/json')
  const stats = repl.json?.replication_stats as Record<string, number>
  t.equal(stats.partitions, 7)
  t.equal(stats.failures, 1)
  t.ok((repl.json?.replication_last as number) >= before, 'last pass end is recent')
  t.equal(repl.json?.object_replication_time, repl.json?.replication_time)
  t.same((await get('/recon/replication')).json, repl.json, 'old-style path is object replication')
  const upd = await get('/recon/updater/object')
  t.type(upd.json?.object_updater_sweep, 'number')
  t.same(upd.json?.object_updater_stats, { successes: 3, failures: 0 })
  const aud = await get('/recon/auditor/object')
  t.match(aud.json?.object_auditor_stats_ALL, { passes: 5, bytes_processed: 123, quarantined: 1, errors: 0 })
  t.equal(aud.json?.object_auditor_stats_ZBF, null)
  const exp = await get('/recon/expirer/object')
  t.equal(exp.json?.expired_last_pass, 4)
  t.type(exp.json?.object_expiration_pass, 'number')
})

t.test('account reaper and account auditor passes', async (t) => {
  await pass('account-reaper', { accounts: 2, reaped: 1, objectsDeleted: 12, failures: 0 })
  await pass('account-auditor', { passed: 4, failed: 1, quarantined: 1, errors: 0 })
  const reaper = await get('/recon/reaper')
  t.type(reaper.json?.account_reaper_pass, 'number')
  t.match(reaper.json?.account_reaper_stats, { accounts: 2, reaped: 1, objects_deleted: 12 })
  const aud = await get('/recon/auditor/account')
  t.equal(aud.json?.account_audits_passed, 4)
  t.equal(aud.json?.account_audits_failed, 1)
  t.type(aud.json?.account_auditor_pass_completed, 'number')
})

t.test('async pending files are counted per device', async (t) => {
  const put = async (dir: string, suffix: string, n: number) => {
    await mkdir(join(obj.devices, 'sda', dir, suffix), { recursive: true })
    for (let i = 0; i < n; i++) await writeFile(join(obj.devices, 'sda', dir, suffix, `${'0'.repeat(29)}${suffix}-17000000${i}.00000`), 'x')
  }
  await put('async_pending', 'abc', 2)
  await put('async_pending', 'def', 1)
  await put('async_pending-1', 'abc', 2)
  const r = await get('/recon/async')
  t.equal(r.json?.async_pending, 5)
  t.same(r.json?.devices, { sda: 5, sdb: 0 })
})

t.test('diskusage, version, unknown paths', async (t) => {
  const du = (await get('/recon/diskusage')).json as unknown as { device: string; mounted: boolean; size: number; avail: number }[]
  t.same(du.map((d) => d.device), ['sda', 'sdb'])
  t.ok(du.every((d) => d.mounted === true && d.size > 0 && d.avail <= d.size))
  t.equal((await get('/recon/version')).json?.version, '2.30.1')
  t.equal((await get('/recon/nonsense')).status, 404)
  t.equal((await get('/recon/updater/account')).status, 404)
})

t.test('container and account servers answer recon too', async (t) => {
  await pass('container-replicator', { attempted: 2, success: 2, failures: 0, noChange: 1 })
  const c = await startNode(t, createContainerServer, 'container', { overrides: { reconCachePath: cache } })
  const r = JSON.parse((await c.request('GET', '/recon/replication/container')).body) as { replication_stats: Record<string, number> }
  t.match(r.replication_stats, { attempted: 2, success: 2, failure: 0, no_change: 1 })
  const a = await startNode(t, createAccountServer, 'account', { overrides: { reconCachePath: cache } })
  const ra = await a.request('GET', '/recon/replication/account')
  t.equal(ra.status, 200)
  t.same(JSON.parse(ra.body), { replication_time: null, replication_stats: null, replication_last: null })
})
