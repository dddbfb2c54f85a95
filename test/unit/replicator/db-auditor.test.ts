// The container and account auditors in process: a sound database passes; one whose info
// record no longer decodes, one whose stats disagree with its rows and one whose row lost its
// sequence index entry are quarantined (moved out of the device's RocksDB into
// quarantined/<type>s/), after which the server answers 404 for them; /recon reports the pass.
import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseIni } from '../../../common/config/ini.ts'
import { silentLogger } from '../../../common/logger.ts'
import { runDaemon } from '../../../common/daemon.ts'
import { createAccountServer } from '../../../account/server.ts'
import { createContainerServer } from '../../../container/server.ts'
import { hashPathDigest } from '../../../common/hash-path.ts'
import { KEY_INFO, dbKey, seqKey } from '../../../common/db/keys.ts'
import { INFO_FORMAT } from '../../../common/db/broker-base.ts'
import { decodeRecord, encodeRecord } from '../../../common/db/records.ts'
import { Ring } from '../../../ring/ring.ts'
import { parseDaemonConfig } from '../../../replicator/config.ts'
import { DbAuditor } from '../../../replicator/db-auditor.ts'
import { backendPath, nextTs, startNode } from '../../helpers/db-server.ts'
import type { TestNode } from '../../helpers/db-server.ts'

type Kind = 'container' | 'account'

function setup(kind: Kind, n: TestNode) {
  const ring = Ring.fromData({
    devs: [{ id: 0, region: 1, zone: 1, ip: '127.0.0.1', port: n.port, replication_ip: '127.0.0.1', replication_port: n.port, device: 'sda', weight: 1, meta: '' }],
    replica2part2dev: [Uint16Array.from([0, 0])],
    partShift: 31,
  }, { secrets: n.config.hashPath })
  const recon = join(n.root, 'recon')
  const ini = parseIni(`[DEFAULT]\ndevices = ${n.root}\nmount_check = false\nbind_ip = 127.0.0.1\nrecon_cache_path = ${recon}\n[app:${kind}-server]\nbind_port = ${n.port}\n[${kind}-auditor]\nmax_${kind}s_per_second = 0\n`)
  const config = parseDaemonConfig(ini, `${kind}-auditor`, n.config.hashPath)
  const auditor = new DbAuditor({ type: kind, config, ring, logger: silentLogger })
  t.teardown(() => auditor.close())
  return { ring, auditor, config }
}

/** Rewrites a database's info record through `edit` (the raw RocksDB, as bit rot would). */
async function editInfo(n: TestNode, id: Buffer, edit: (info: Record<string, unknown>) => void) {
  const store = await n.server.dbs.get('sda')
  const key = dbKey(KEY_INFO, id)
  const info = decodeRecord<Record<string, unknown>>(store.get(key)!, INFO_FORMAT, 'info')
  edit(info)
  const batch = store.batch()
  batch.put(key, encodeRecord(INFO_FORMAT, info))
  store.write(batch)
}

t.test('container auditor', async (t) => {
  const n = await startNode(t, createContainerServer, 'container')
  const { ring, auditor, config } = setup('container', n)
  const path = (c: string, o?: string) => backendPath('sda', String(ring.getPart('a', c)), 'a', c, ...(o === undefined ? [] : [o]))
  for (const c of ['good', 'rotten', 'miscounted', 'unindexed']) {
    t.equal((await n.request('PUT', path(c), { 'X-Timestamp': nextTs() })).status, 201)
    for (const o of ['x', 'y']) {
      t.equal((await n.request('PUT', path(c, o), { 'X-Timestamp': nextTs(), 'X-Size': 10, 'X-Content-Type': 'text/plain', 'X-Etag': 'e'.repeat(32) })).status, 201)
    }
  }
  const store = await n.server.dbs.get('sda')
  const batch = store.batch()
  batch.put(dbKey(KEY_INFO, hashPathDigest(n.config.hashPath, 'a', 'rotten')), Buffer.from([INFO_FORMAT, 0xc1, 0xc1]))
  batch.del(seqKey(hashPathDigest(n.config.hashPath, 'a', 'unindexed'), 1))
  store.write(batch)
  await editInfo(n, hashPathDigest(n.config.hashPath, 'a', 'miscounted'), (info) => {
    info.policyStats = [[0, 5, 20]]
  })

  t.equal(config.interval, 1800, "Swift's container-auditor interval unless the section sets one")
  const stats = await runDaemon(auditor, { once: true, interval: 0, logger: silentLogger, reconCachePath: config.reconCachePath })
  t.same(stats, { passed: 1, failed: 3, quarantined: 3, errors: 0 })
  t.equal((await n.request('HEAD', path('good'))).status, 204)
  for (const c of ['rotten', 'miscounted', 'unindexed']) t.equal((await n.request('HEAD', path(c))).status, 404, `${c} is gone`)
  const files = await readdir(join(n.root, 'sda', 'quarantined', 'containers'))
  t.equal(files.length, 3)
  const head = JSON.parse((await readFile(join(n.root, 'sda', 'quarantined', 'containers', files[0]!), 'utf8')).split('\n')[0]!) as { v: number; type: string; reason: string }
  t.equal(head.v, 1)
  t.equal(head.type, 'container')
  t.ok(head.reason.length > 0)

  // A server reading the recon cache the auditor wrote (the test node's server reads another).
  const reader = await startNode(t, createContainerServer, 'container', { overrides: { reconCachePath: config.reconCachePath } })
  const recon = JSON.parse((await reader.request('GET', '/recon/auditor/container')).body) as Record<string, number>
  t.equal(recon.container_audits_passed, 1)
  t.equal(recon.container_audits_failed, 3)
  t.equal(typeof recon.container_auditor_pass_completed, 'number')

  const again = await auditor.runOnce()
  t.same(again, { passed: 1, failed: 0, quarantined: 0, errors: 0 }, 'the next pass finds only the sound one')
})

t.test('account auditor', async (t) => {
  const n = await startNode(t, createAccountServer, 'account')
  const { ring, auditor } = setup('account', n)
  const path = (a: string, c?: string) => backendPath('sda', String(ring.getPart(a)), a, ...(c === undefined ? [] : [c]))
  for (const a of ['AUTH_good', 'AUTH_bad']) {
    t.equal((await n.request('PUT', path(a), { 'X-Timestamp': nextTs() })).status, 201)
    const ts = nextTs()
    t.equal((await n.request('PUT', path(a, 'c1'), { 'X-Put-Timestamp': ts, 'X-Delete-Timestamp': '0', 'X-Object-Count': 3, 'X-Bytes-Used': 30 })).status, 201)
  }
  await editInfo(n, hashPathDigest(n.config.hashPath, 'AUTH_bad'), (info) => {
    info.objectCount = 99
  })
  const stats = await auditor.runOnce()
  t.same(stats, { passed: 1, failed: 1, quarantined: 1, errors: 0 })
  t.equal((await n.request('HEAD', path('AUTH_good'))).status, 204)
  t.equal((await n.request('HEAD', path('AUTH_bad'))).status, 404)
})
