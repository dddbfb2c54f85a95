// The object replicator in process, over HTTP sync: two object servers on loopback ports, a
// two-replica ring over them plus a third (handoff) device. A primary pushes what its peer
// lacks; a handoff partition goes to both primaries and is removed; a newer tombstone wins.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseIni } from '../../../common/config/ini.ts'
import { silentLogger } from '../../../common/logger.ts'
import { Timestamp } from '../../../common/timestamp.ts'
import { Ring } from '../../../ring/ring.ts'
import type { RingDevice } from '../../../ring/types.ts'
import { parseDaemonConfig } from '../../../replicator/config.ts'
import { ObjectReplicator } from '../../../replicator/object-replicator.ts'
import { SECRETS, request, startObjectServer } from '../../helpers/object-server.ts'
import type { TestObjectServer } from '../../helpers/object-server.ts'

const a = await startObjectServer(t)
const b = await startObjectServer(t)
const c = await startObjectServer(t)
const dev = (id: number, s: TestObjectServer): RingDevice => ({ id, region: 1, zone: id + 1, ip: '127.0.0.1', port: s.port, replication_ip: '127.0.0.1', replication_port: s.port, device: 'sda', weight: 1, meta: '' })
// Part power 1: partition 0 on a+b, partition 1 on b+c; so c is a handoff for partition 0.
const ring = Ring.fromData({ devs: [dev(0, a), dev(1, b), dev(2, c)], replica2part2dev: [Uint16Array.from([0, 1]), Uint16Array.from([1, 2])], partShift: 31 }, { secrets: SECRETS })

function replicatorOn(s: TestObjectServer): ObjectReplicator {
  const ini = parseIni(`[DEFAULT]\ndevices = ${s.devices}\nmount_check = false\nbind_ip = 127.0.0.1\n[app:object-server]\nbind_port = ${s.port}\n[object-replicator]\nsync_method = ssync\n`)
  const r = new ObjectReplicator({ config: parseDaemonConfig(ini, 'object-replicator', SECRETS), ring, logger: silentLogger })
  t.teardown(() => r.close())
  return r
}

/** An object name whose partition is `part`. */
function nameIn(part: number, prefix: string): string {
  for (let i = 0; ; i++) if (ring.getPart('a', 'c', `${prefix}${i}`) === part) return `${prefix}${i}`
}

async function put(s: TestObjectServer, part: number, obj: string, body: string, ts: Timestamp) {
  const r = await request(s.port, 'PUT', `/sda/${part}/a/c/${obj}`, { 'X-Timestamp': ts.internal, 'Content-Type': 'text/plain', 'Content-Length': body.length }, body)
  t.equal(r.status, 201)
}

const files = (s: TestObjectServer, part: number, obj: string) => s.diskfile.listFiles({ device: 'sda', partition: String(part), account: 'a', container: 'c', obj, policy: 0 })

t.test('a primary pushes what its peer lacks, over HTTP', async (t) => {
  const obj = nameIn(0, 'p')
  const ts = Timestamp.fromSeconds(Date.now() / 1000 - 10)
  await put(a, 0, obj, 'hello', ts)
  const stats = await replicatorOn(a).runOnce()
  t.equal(stats.filesSent, 1)
  t.same(await files(b, 0, obj), [`${ts.internal}.data`])
  const got = await request(b.port, 'GET', `/sda/0/a/c/${obj}`)
  t.equal(got.body.toString(), 'hello')
  t.equal(got.headers.etag, `"${createHash('md5').update('hello').digest('hex')}"`)
  const again = await replicatorOn(a).runOnce()
  t.equal(again.filesSent, 0, 'in sync: nothing more to send')
})

t.test('a newer tombstone wins over the data it meets', async (t) => {
  const obj = nameIn(0, 'd')
  const old = Timestamp.fromSeconds(Date.now() / 1000 - 20)
  await put(a, 0, obj, 'old', old)
  await put(b, 0, obj, 'old', old)
  const del = Timestamp.fromSeconds(Date.now() / 1000 - 5)
  t.equal((await request(b.port, 'DELETE', `/sda/0/a/c/${obj}`, { 'X-Timestamp': del.internal })).status, 204)
  await replicatorOn(a).runOnce()
  await replicatorOn(b).runOnce()
  t.same(await files(a, 0, obj), [`${del.internal}.ts`])
  t.same(await files(b, 0, obj), [`${del.internal}.ts`])
  t.equal((await request(a.port, 'GET', `/sda/0/a/c/${obj}`)).status, 404)
})

t.test('a handoff partition goes to every primary and is then removed', async (t) => {
  const obj = nameIn(0, 'h')
  const ts = Timestamp.fromSeconds(Date.now() / 1000 - 3)
  await put(c, 0, obj, 'handed off', ts)
  const stats = await replicatorOn(c).runOnce()
  t.equal(stats.handoffsRemoved, 1)
  t.same(await files(a, 0, obj), [`${ts.internal}.data`])
  t.same(await files(b, 0, obj), [`${ts.internal}.data`])
  t.same((await readdir(join(c.devices, 'sda', 'objects'))).includes('0'), false, 'handoff partition gone')
})

t.test('a handoff is kept while a primary is unreachable', async (t) => {
  const obj = nameIn(0, 'k')
  await put(c, 0, obj, 'kept', Timestamp.fromSeconds(Date.now() / 1000 - 2))
  const broken = Ring.fromData({ devs: [dev(0, a), { ...dev(1, b), port: 1, replication_port: 1 }, dev(2, c)], replica2part2dev: [Uint16Array.from([0, 1]), Uint16Array.from([1, 2])], partShift: 31 }, { secrets: SECRETS })
  const ini = parseIni(`[DEFAULT]\ndevices = ${c.devices}\nmount_check = false\nbind_ip = 127.0.0.1\n[app:object-server]\nbind_port = ${c.port}\n[object-replicator]\nsync_method = ssync\n`)
  const r = new ObjectReplicator({ config: parseDaemonConfig(ini, 'object-replicator', SECRETS), ring: broken, logger: silentLogger })
  t.teardown(() => r.close())
  const stats = await r.runOnce()
  t.equal(stats.unreachable, 1)
  t.equal(stats.handoffsRemoved, 0)
  t.ok((await files(c, 0, obj)).length > 0, 'still on the handoff')
})

t.test('a primary whose peer is unreachable pushes to a handoff instead', async (t) => {
  const obj = nameIn(0, 'u')
  const ts = Timestamp.fromSeconds(Date.now() / 1000 - 2)
  await put(a, 0, obj, 'two copies', ts)
  // b is away (nothing listens on port 1): c, partition 0's first handoff, takes a copy.
  const broken = Ring.fromData({ devs: [dev(0, a), { ...dev(1, b), port: 1, replication_port: 1 }, dev(2, c)], replica2part2dev: [Uint16Array.from([0, 1]), Uint16Array.from([1, 2])], partShift: 31 }, { secrets: SECRETS })
  const ini = parseIni(`[DEFAULT]\ndevices = ${a.devices}\nmount_check = false\nbind_ip = 127.0.0.1\n[app:object-server]\nbind_port = ${a.port}\n[object-replicator]\nsync_method = ssync\n`)
  const r = new ObjectReplicator({ config: parseDaemonConfig(ini, 'object-replicator', SECRETS), ring: broken, logger: silentLogger, partitions: [0] })
  t.teardown(() => r.close())
  const stats = await r.runOnce()
  t.equal(stats.unreachable, 1)
  t.equal(stats.handoffPushes, 1)
  t.same(await files(c, 0, obj), [`${ts.internal}.data`], 'the handoff holds a copy')
  // Once b is back, the handoff's own pass sends it home and lets go.
  const home = await replicatorOn(c).runOnce()
  t.ok((home.handoffsRemoved ?? 0) >= 1)
  t.same(await files(b, 0, obj), [`${ts.internal}.data`])
  t.same(await files(c, 0, obj), [])
})

t.test('the receiver refuses a file that is not an object file', async (t) => {
  const obj = nameIn(0, 'x')
  const hash = (await import('../../../common/hash-path.ts')).hashPath(SECRETS, 'a', 'c', obj)
  const r = await request(b.port, 'POST', `/sda/0/${hash.slice(-3)}/${hash}/${Timestamp.now().internal}.data`, { 'X-Backend-Replication-Method': 'SSYNC', 'Content-Length': 5 }, 'junk!')
  t.equal(r.status, 422)
  t.same(await files(b, 0, obj), [])
  const bad = await request(b.port, 'POST', `/sda/0/abc/${hash}/x.data`, { 'X-Backend-Replication-Method': 'SSYNC', 'Content-Length': 0 })
  t.equal(bad.status, 400)
})
