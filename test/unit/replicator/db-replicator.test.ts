// The container and account replicators in process: three container servers (and three
// account servers) on loopback ports, a two-replica ring over them where the third server is
// a handoff for partition 0. Rows written to one primary reach the other in one pass (in
// several batches), a handoff database goes to both primaries and is removed, and a replica
// whose database was deleted is rebuilt whole.
import t from 'tap'
import { parseIni } from '../../../common/config/ini.ts'
import { silentLogger } from '../../../common/logger.ts'
import { createAccountServer } from '../../../account/server.ts'
import { createContainerServer } from '../../../container/server.ts'
import { Ring } from '../../../ring/ring.ts'
import { hashPath } from '../../../common/hash-path.ts'
import { Timestamp } from '../../../common/timestamp.ts'
import type { RingDevice } from '../../../ring/types.ts'
import { parseDaemonConfig } from '../../../replicator/config.ts'
import { DbReplicator } from '../../../replicator/db-replicator.ts'
import { backendPath, nextTs, request, startNode } from '../../helpers/db-server.ts'
import type { TestNode } from '../../helpers/db-server.ts'

type Kind = 'container' | 'account'

async function cluster(kind: Kind) {
  const create = kind === 'container' ? createContainerServer : createAccountServer
  const nodes = [await startNode(t, create, kind), await startNode(t, create, kind), await startNode(t, create, kind)] as [TestNode, TestNode, TestNode]
  const dev = (id: number, n: TestNode): RingDevice => ({ id, region: 1, zone: id + 1, ip: '127.0.0.1', port: n.port, replication_ip: '127.0.0.1', replication_port: n.port, device: 'sda', weight: 1, meta: '' })
  // Part power 1: partition 0 on nodes 0+1, partition 1 on nodes 1+2; node 2 is a handoff for 0.
  const ring = Ring.fromData(
    { devs: nodes.map((n, i) => dev(i, n)), replica2part2dev: [Uint16Array.from([0, 1]), Uint16Array.from([1, 2])], partShift: 31 },
    { secrets: nodes[0].config.hashPath },
  )
  const replicatorOn = (n: TestNode, rowsPerBatch = 7) => {
    const ini = parseIni(`[DEFAULT]\ndevices = ${n.root}\nmount_check = false\nbind_ip = 127.0.0.1\n[app:${kind}-server]\nbind_port = ${n.port}\n[${kind}-replicator]\n`)
    const r = new DbReplicator({ type: kind, config: parseDaemonConfig(ini, `${kind}-replicator`, n.config.hashPath), ring, logger: silentLogger, rowsPerBatch })
    t.teardown(() => r.close())
    return r
  }
  return { nodes, ring, replicatorOn }
}

const c = await cluster('container')
/** A container name of account "a" whose partition is `part`. */
const containerIn = (part: number, prefix: string) => {
  for (let i = 0; ; i++) if (c.ring.getPart('a', `${prefix}${i}`) === part) return `${prefix}${i}`
}

async function putContainer(n: TestNode, part: number, name: string, extra: Record<string, string> = {}) {
  const r = await n.request('PUT', backendPath('sda', String(part), 'a', name), { 'X-Timestamp': nextTs(), ...extra })
  t.equal(r.status, 201, `container ${name} created`)
}

async function putRows(n: TestNode, part: number, name: string, objects: string[]) {
  for (const obj of objects) {
    const r = await n.request('PUT', backendPath('sda', String(part), 'a', name, obj), { 'X-Timestamp': nextTs(), 'X-Size': obj.length, 'X-Content-Type': 'text/plain', 'X-Etag': 'e'.repeat(32) })
    t.equal(r.status, 201)
  }
}

async function listing(n: TestNode, part: number, name: string): Promise<string[] | number> {
  const r = await n.request('GET', `${backendPath('sda', String(part), 'a', name)}?format=json`)
  if (r.status !== 200) return r.status
  return (JSON.parse(r.body) as { name: string }[]).map((o) => o.name)
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`)

t.test('rows written to one primary are listed by the other after one pass', async (t) => {
  const [a, b] = c.nodes
  const name = containerIn(0, 'rows')
  await putContainer(a, 0, name, { 'X-Container-Meta-Colour': 'blue' })
  const objects = names('o', 30)
  await putRows(a, 0, name, objects)
  t.equal(await listing(b, 0, name), 404, 'the peer has no such container yet')
  const stats = await c.replicatorOn(a).runOnce()
  t.equal(stats.remoteCreated, 1, 'the missing database was created on the peer')
  t.equal(stats.rowsSent, 30, 'every row sent (in batches of 7)')
  t.same(await listing(b, 0, name), objects)
  const head = await b.request('HEAD', backendPath('sda', '0', 'a', name))
  t.equal(head.headers['x-container-meta-colour'], 'blue', 'metadata copied')
  t.equal(head.headers['x-container-object-count'], '30', 'stats rebuilt from the rows')

  // New rows on the peer come back; rows already merged are not sent again.
  const more = names('p', 5)
  await putRows(b, 0, name, more)
  const back = await c.replicatorOn(b).runOnce()
  t.equal(back.failures, 0)
  t.same(await listing(a, 0, name), [...objects, ...more])
  // Its sync point on a now covers everything: the next pass sends nothing.
  t.equal((await c.replicatorOn(b).runOnce()).rowsSent, 0, 'rows since the sync point only')
  const again = await c.replicatorOn(a).runOnce()
  t.equal(again.failures, 0)
  t.same(await listing(b, 0, name), [...objects, ...more])
  const quiet = await c.replicatorOn(a).runOnce()
  t.equal(quiet.rowsSent, 0, 'in sync: nothing to send')
})

t.test('a deleted row replicates as a tombstone', async (t) => {
  const [a, b] = c.nodes
  const name = containerIn(0, 'del')
  await putContainer(a, 0, name)
  await putRows(a, 0, name, ['x', 'y'])
  await c.replicatorOn(a).runOnce()
  t.same(await listing(b, 0, name), ['x', 'y'])
  // A deletion of now (the test's other timestamps are in 2023, older than reclaim_age).
  t.equal((await a.request('DELETE', backendPath('sda', '0', 'a', name, 'x'), { 'X-Timestamp': Timestamp.now().internal })).status, 204)
  const stats = await c.replicatorOn(a).runOnce()
  t.equal(stats.rowsReclaimed, 0, 'a recent tombstone is kept')
  t.same(await listing(b, 0, name), ['y'])
})

t.test('a deletion row older than reclaim_age is reclaimed by the pass', async (t) => {
  const [a] = c.nodes
  const name = containerIn(0, 'oldrow')
  await putContainer(a, 0, name)
  await putRows(a, 0, name, ['x', 'y'])
  t.equal((await a.request('DELETE', backendPath('sda', '0', 'a', name, 'x'), { 'X-Timestamp': nextTs() })).status, 204)
  const stats = await c.replicatorOn(a).runOnce()
  t.ok((stats.rowsReclaimed ?? 0) >= 1, `${stats.rowsReclaimed} rows reclaimed`)
  t.same(await listing(a, 0, name), ['y'])
})

t.test('a handoff database goes to both primaries and is then removed', async (t) => {
  const [a, b, h] = c.nodes
  const name = containerIn(0, 'handoff')
  await putContainer(h, 0, name)
  const objects = names('h', 12)
  await putRows(h, 0, name, objects)
  const stats = await c.replicatorOn(h).runOnce()
  t.equal(stats.handoffsRemoved, 1)
  t.same(await listing(a, 0, name), objects)
  t.same(await listing(b, 0, name), objects)
  t.equal(await listing(h, 0, name), 404, 'handoff copy gone')
})

t.test('a replica whose database was deleted is rebuilt whole by one pass', async (t) => {
  const [a, b] = c.nodes
  const name = containerIn(0, 'lost')
  await putContainer(a, 0, name, { 'X-Container-Meta-Kept': 'yes' })
  const objects = names('l', 20)
  await putRows(a, 0, name, objects)
  await c.replicatorOn(a).runOnce()
  t.same(await listing(b, 0, name), objects)
  // Wipe b's replica: every record of the database, partition index included.
  const hash = (await request(b.port, 'GET', backendPath('sda', '0', 'a', name))).status === 200
  t.ok(hash)
  const wipe = await rpc(b, `/sda/0/${hashPath(b.config.hashPath, 'a', name)}`, { op: 'destroy', maxRow: -1 })
  t.equal(wipe, 409, 'destroy refuses when the max row is not the one read')
  const rows = await rpcJson(b, `/sda/0/${hashPath(b.config.hashPath, 'a', name)}`, { op: 'rows', since: 0, limit: 0 })
  t.equal(await rpc(b, `/sda/0/${hashPath(b.config.hashPath, 'a', name)}`, { op: 'destroy', maxRow: (rows as { info: { maxRow: number } }).info.maxRow }), 204)
  t.equal(await listing(b, 0, name), 404, 'replica lost')
  const stats = await c.replicatorOn(a).runOnce()
  t.ok(stats.remoteCreated! >= 1)
  t.same(await listing(b, 0, name), objects)
  const head = await b.request('HEAD', backendPath('sda', '0', 'a', name))
  t.equal(head.headers['x-container-meta-kept'], 'yes')
})

t.test('a database deleted longer than reclaim_age ago is removed, not replicated', async (t) => {
  const [a, b] = c.nodes
  const name = containerIn(0, 'reclaim')
  await putContainer(a, 0, name)
  // Test timestamps are in 2023: far older than the default reclaim_age of a week.
  t.equal((await a.request('DELETE', backendPath('sda', '0', 'a', name), { 'X-Timestamp': nextTs() })).status, 204)
  const path = `/sda/0/${hashPath(a.config.hashPath, 'a', name)}`
  t.equal(await rpc(a, path, { op: 'rows', since: 0, limit: 0 }), 200, 'the deleted database is still there')
  const stats = await c.replicatorOn(a).runOnce()
  t.equal(stats.reclaimed, 1)
  t.equal(await rpc(a, path, { op: 'rows', since: 0, limit: 0 }), 404, 'reclaimed')
  t.equal(await rpc(b, path, { op: 'rows', since: 0, limit: 0 }), 404, 'never copied to the peer')
  // A live database is never reclaimed, however old.
  const live = containerIn(0, 'old-live')
  await putContainer(a, 0, live)
  t.equal((await c.replicatorOn(a).runOnce()).reclaimed, 0)
  t.not(await listing(b, 0, live), 404)
})

t.test('a handoff database is kept while a primary is unreachable', async (t) => {
  const [a, , h] = c.nodes
  // A port nothing listens on. (Not a port released by a closed server: a test file running
  // alongside could bind it meanwhile and answer for the "dead" primary.)
  const deadPort = 1
  const devs = c.ring.devices.map((d) => d!)
  const dead: RingDevice = { ...devs[1]!, port: deadPort, replication_port: deadPort }
  const ring = Ring.fromData({ devs: [devs[0]!, dead, devs[2]!], replica2part2dev: [Uint16Array.from([0, 1]), Uint16Array.from([1, 2])], partShift: 31 }, { secrets: h.config.hashPath })
  const name = containerIn(0, 'kept')
  await putContainer(h, 0, name)
  await putRows(h, 0, name, ['k1', 'k2'])
  const ini = parseIni(`[DEFAULT]\nbind_ip = 127.0.0.1\nconn_timeout = 0.2\n[app:container-server]\nbind_port = ${h.port}\n`)
  const r = new DbReplicator({ type: 'container', config: parseDaemonConfig(ini, 'container-replicator', h.config.hashPath), ring, logger: silentLogger })
  t.teardown(() => r.close())
  const stats = await r.runOnce()
  t.ok(stats.failures! >= 1, 'the unreachable primary counts as a failure')
  t.equal(stats.handoffsRemoved, 0)
  t.same(await listing(a, 0, name), ['k1', 'k2'], 'the reachable primary got the rows')
  t.same(await listing(h, 0, name), ['k1', 'k2'], 'the handoff keeps its copy')
})

t.test('a container PUT racing with the removal of its handoff database answers 201, not 500', async (t) => {
  const [a, b, h] = c.nodes
  const name = containerIn(0, 'race')
  // An account server that holds its answer until told: the container PUT waits on it.
  const http = await import('node:http')
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let arrived!: () => void
  const accountCalled = new Promise<void>((resolve) => (arrived = resolve))
  const slowAccount = http.createServer((req, res) => {
    arrived()
    void released.then(() => res.writeHead(201).end())
  })
  await new Promise<void>((resolve) => slowAccount.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => slowAccount.close(resolve)))
  const port = (slowAccount.address() as { port: number }).port
  const put = h.request('PUT', backendPath('sda', '0', 'a', name), { 'X-Timestamp': nextTs(), 'X-Account-Host': `127.0.0.1:${port}`, 'X-Account-Partition': '0', 'X-Account-Device': 'sda' })
  await accountCalled
  // Meanwhile the handoff's replicator moves the database home and removes it here.
  const stats = await c.replicatorOn(h).runOnce()
  t.ok((stats.handoffsRemoved ?? 0) >= 1, 'the handoff database was removed')
  release()
  t.equal((await put).status, 201)
  t.equal(await listing(h, 0, name), 404, 'gone from the handoff')
  t.same(await listing(a, 0, name), [])
  t.same(await listing(b, 0, name), [])
})

async function rpc(n: TestNode, path: string, body: object): Promise<number> {
  return (await rpcRaw(n, path, body)).status
}
async function rpcJson(n: TestNode, path: string, body: object): Promise<unknown> {
  return JSON.parse((await rpcRaw(n, path, body)).body)
}
async function rpcRaw(n: TestNode, path: string, body: object): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${n.port}${path}`, { method: 'POST', headers: { 'X-Backend-Replication-Method': 'REPLICATE', 'Content-Type': 'application/json' }, body: JSON.stringify({ v: 1, ...body }) })
  return { status: res.status, body: await res.text() }
}

t.test('account rows replicate the same way', async (t) => {
  const acc = await cluster('account')
  const [a, b] = acc.nodes
  let account = ''
  for (let i = 0; ; i++) if (acc.ring.getPart(`acct${i}`) === 0) { account = `acct${i}`; break }
  t.equal((await a.request('PUT', backendPath('sda', '0', account), { 'X-Timestamp': nextTs() })).status, 201)
  const containers = names('c', 9)
  for (const cont of containers) {
    const r = await a.request('PUT', backendPath('sda', '0', account, cont), { 'X-Put-Timestamp': nextTs(), 'X-Delete-Timestamp': '0', 'X-Object-Count': 2, 'X-Bytes-Used': 10, 'X-Timestamp': nextTs() })
    t.equal(r.status, 201)
  }
  const stats = await acc.replicatorOn(a, 4).runOnce()
  t.equal(stats.rowsSent, 9)
  const list = await b.request('GET', `${backendPath('sda', '0', account)}?format=json`)
  t.equal(list.status, 200)
  t.same((JSON.parse(list.body) as { name: string }[]).map((e) => e.name), containers)
  const head = await b.request('HEAD', backendPath('sda', '0', account))
  t.equal(head.headers['x-account-object-count'], '18', 'account stats rebuilt from the rows')
})
