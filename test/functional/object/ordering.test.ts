// The newest timestamp wins, whatever the order in which writes arrive.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Timestamp } from '../../../common/timestamp.ts'
import { nextTimestamp, putHeaders, request, startObjectServer } from '../../helpers/object-server.ts'

const name = (obj: string) => ({ device: 'sda', partition: '0', account: 'a', container: 'c', obj, policy: 0 })

t.test('an older or equal write answers 409 with the stored timestamp', async (t) => {
  const s = await startObjectServer(t)
  const path = '/sda/0/a/c/o'
  const t1 = nextTimestamp()
  const t2 = nextTimestamp()
  t.equal((await request(s.port, 'PUT', path, putHeaders(t2, 'new'), 'new')).status, 201)
  for (const ts of [t1, t2]) {
    const r = await request(s.port, 'PUT', path, putHeaders(ts, 'old'), 'old')
    t.equal(r.status, 409)
    t.equal(r.headers['x-backend-timestamp'], t2.internal)
  }
  const del = await request(s.port, 'DELETE', path, { 'X-Timestamp': t1.internal })
  t.equal(del.status, 409)
  t.equal(del.headers['x-backend-timestamp'], t2.internal)
  const post = await request(s.port, 'POST', path, { 'X-Timestamp': t1.internal })
  t.equal(post.status, 409)
  t.equal((await request(s.port, 'GET', path)).body.toString(), 'new')
  t.same(await s.diskfile.listFiles(name('o')), [`${t2.internal}.data`])

  const withOffset = t2.withOffset(1)
  t.equal((await request(s.port, 'PUT', path, putHeaders(withOffset, 'offset'), 'offset')).status, 201, 'an offset orders writes of one instant')
  t.equal((await request(s.port, 'GET', path)).headers['x-backend-timestamp'], withOffset.internal)
  const t3 = nextTimestamp()
  t.equal((await request(s.port, 'DELETE', path, { 'X-Timestamp': t3.internal })).status, 204)
  const afterTomb = await request(s.port, 'PUT', path, putHeaders(t1, 'old'), 'old')
  t.equal(afterTomb.status, 409, 'a PUT older than the tombstone loses')
  t.equal(afterTomb.headers['x-backend-timestamp'], t3.internal)
})

t.test('concurrent writes in shuffled order leave the newest version only', async (t) => {
  const s = await startObjectServer(t)
  for (let round = 0; round < 3; round++) {
    const obj = `race-${round}`
    const stamps = Array.from({ length: 16 }, () => nextTimestamp())
    const bodies = stamps.map(() => randomBytes(1000 + Math.floor(Math.random() * 100_000)))
    const order = stamps.map((_, i) => i).sort(() => Math.random() - 0.5)
    const replies = await Promise.all(order.map((i) =>
      request(s.port, 'PUT', `/sda/0/a/c/${obj}`, putHeaders(stamps[i]!, bodies[i]!), bodies[i]!)))
    t.ok(replies.every((r) => r.status === 201 || r.status === 409), 'each write is created or refused as stale')
    const newest = stamps.length - 1
    const get = await request(s.port, 'GET', `/sda/0/a/c/${obj}`)
    t.ok(get.body.equals(bodies[newest]!), `round ${round}: the newest body wins`)
    t.equal(get.headers['x-backend-timestamp'], stamps[newest]!.internal)
    t.same(await s.diskfile.listFiles(name(obj)), [`${stamps[newest]!.internal}.data`], 'older versions are cleaned up')
  }
})

t.test('concurrent PUT and DELETE: the later timestamp decides', async (t) => {
  const s = await startObjectServer(t)
  const put = nextTimestamp()
  const del = nextTimestamp()
  await Promise.all([
    request(s.port, 'DELETE', '/sda/0/a/c/pd', { 'X-Timestamp': del.internal }),
    request(s.port, 'PUT', '/sda/0/a/c/pd', putHeaders(put, 'x'), 'x'),
  ])
  const get = await request(s.port, 'GET', '/sda/0/a/c/pd')
  t.equal(get.status, 404)
  t.equal(get.headers['x-backend-timestamp'], del.internal)
  t.same(await s.diskfile.listFiles(name('pd')), [`${del.internal}.ts`])
  t.ok(Timestamp.parse(get.headers['x-backend-timestamp'] as string).newerThan(put))
})
