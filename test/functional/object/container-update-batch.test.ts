// Concurrent PUTs and DELETEs into one container through a real object server and a real
// container server: the updates that meet one in flight travel as update batches, and the
// container ends up with exactly the rows and stats that one update per object would give.
// Then the container server's own answers to batches: a status per row, nothing half-merged.
import t from 'tap'
import http from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { nextTimestamp, putHeaders, request as objectRequest, startObjectServer } from '../../helpers/object-server.ts'
import { startNode, nextTs } from '../../helpers/db-server.ts'
import { UPDATE_BATCH_FORMAT, UPDATE_BATCH_HEADER } from '../../../common/object-update-batch.ts'

/** Forwards to the container server, counting plain updates and batches on the way. */
async function countingForwarder(t: { teardown(fn: () => Promise<void> | void): void }, target: number) {
  const seen = { single: 0, batches: 0 }
  const agent = new http.Agent({ keepAlive: true })
  const server = http.createServer((req, res) => {
    if (req.headers[UPDATE_BATCH_HEADER]) seen.batches++
    else seen.single++
    const out = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers)
      answer.pipe(res)
    })
    req.pipe(out)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    agent.destroy()
    await new Promise<void>((r) => server.close(() => r()))
  })
  return { port: (server.address() as AddressInfo).port, seen }
}

function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('concurrent object writes reach the container as batches, with the same result', async (t) => {
  const container = await startNode(t)
  t.equal((await container.request('PUT', '/sda/3/AUTH_a/c', { 'X-Timestamp': nextTs() })).status, 201)
  const fwd = await countingForwarder(t, container.port)
  const objects = await startObjectServer(t)
  const route = { 'X-Container-Host': `127.0.0.1:${fwd.port}`, 'X-Container-Partition': '3', 'X-Container-Device': 'sda' }
  const names = Array.from({ length: 60 }, (_, i) => `obj-${String(i).padStart(2, '0')} é`)
  const bodies = names.map((n) => `body of ${n}`)
  const puts = await Promise.all(
    names.map((n, i) => objectRequest(objects.port, 'PUT', `/sda/7/AUTH_a/c/${n}`, putHeaders(nextTimestamp(), bodies[i]!, { ...route, 'Content-Type': 'text/x-test' }), bodies[i])),
  )
  t.same(puts.map((p) => p.status), names.map(() => 201))
  t.ok(fwd.seen.batches > 0, `some updates travelled in batches (${fwd.seen.batches} batches, ${fwd.seen.single} single)`)
  t.ok(fwd.seen.batches + fwd.seen.single < names.length, 'fewer container requests than objects')
  const listing = JSON.parse((await container.request('GET', '/sda/3/AUTH_a/c?format=json')).body) as { name: string; bytes: number; hash: string; content_type: string }[]
  t.same(listing.map((e) => e.name), [...names].sort(), 'every object is listed')
  for (const e of listing) {
    const body = bodies[names.indexOf(e.name)]!
    t.same([e.bytes, e.hash, e.content_type], [Buffer.byteLength(body), createHash('md5').update(body).digest('hex'), 'text/x-test'], e.name)
  }
  const head = await container.request('HEAD', '/sda/3/AUTH_a/c')
  t.equal(head.headers['x-container-object-count'], '60')
  t.equal(head.headers['x-container-bytes-used'], String(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0)))

  const deletes = await Promise.all(names.slice(0, 40).map((n) => objectRequest(objects.port, 'DELETE', `/sda/7/AUTH_a/c/${n}`, { 'X-Timestamp': nextTimestamp().internal, ...route })))
  t.same(deletes.map((d) => d.status), names.slice(0, 40).map(() => 204))
  const after = JSON.parse((await container.request('GET', '/sda/3/AUTH_a/c?format=json')).body) as { name: string }[]
  t.same(after.map((e) => e.name), names.slice(40).sort(), 'deleted rows are gone')
  t.equal((await container.request('HEAD', '/sda/3/AUTH_a/c')).headers['x-container-object-count'], '20')
})

t.test('the container server answers a batch row by row', async (t) => {
  const container = await startNode(t)
  const batchHeaders = { [UPDATE_BATCH_HEADER]: '1', 'Content-Type': 'application/json' }
  const put = (name: string, ts: string, size: number) => ({ op: 'PUT', name, headers: { 'X-Timestamp': ts, 'X-Size': String(size), 'X-Content-Type': 'text/plain', 'X-Etag': `e-${name}` } })
  const ts1 = nextTs()
  const ts2 = nextTs()
  const body = (rows: unknown[]) => JSON.stringify({ v: UPDATE_BATCH_FORMAT, rows })

  let r = await post(container.port, '/sda/1/AUTH_a/c', batchHeaders, body([put('a', ts1, 1)]))
  t.equal(r.status, 200)
  t.same(JSON.parse(r.body).statuses, [404], 'no container: each row answers 404, as the single update would')

  t.equal((await container.request('PUT', '/sda/1/AUTH_a/c', { 'X-Timestamp': nextTs() })).status, 201)
  r = await post(container.port, '/sda/1/AUTH_a/c', batchHeaders, body([
    put('a', ts1, 1),
    { op: 'PUT', name: 'bad', headers: { 'X-Timestamp': ts1, 'X-Content-Type': 'text/plain', 'X-Etag': 'x' } },
    put('b', ts1, 2),
    { op: 'DELETE', name: 'b', headers: { 'X-Timestamp': ts2 } },
    { op: 'PUT', name: 'c', headers: { 'X-Timestamp': 'not-a-time', 'X-Size': '1', 'X-Content-Type': 'a/b', 'X-Etag': 'x' } },
    { op: 'PUT', name: 'p', headers: { ...put('p', ts1, 3).headers, 'X-Backend-Storage-Policy-Index': '9' } },
  ]))
  t.equal(r.status, 200)
  t.same(JSON.parse(r.body).statuses, [201, 400, 201, 204, 400, 400], 'bad rows get their own 400, the rest land')
  const listing = JSON.parse((await container.request('GET', '/sda/1/AUTH_a/c?format=json')).body) as { name: string; bytes: number }[]
  t.same(listing.map((e) => [e.name, e.bytes]), [['a', 1]], 'b was put and deleted within the batch; bad rows changed nothing')

  for (const bad of ['not json', JSON.stringify({ v: 99, rows: [put('x', ts1, 1)] }), body([]), body([{ op: 'GET', name: 'x', headers: {} }]), body([{ op: 'PUT', name: '', headers: {} }])]) {
    r = await post(container.port, '/sda/1/AUTH_a/c', batchHeaders, bad)
    t.equal(r.status, 400, `refused: ${bad.slice(0, 40)}`)
  }
  t.equal(JSON.parse((await container.request('GET', '/sda/1/AUTH_a/c?format=json')).body).length, 1, 'refused batches wrote nothing')
})
