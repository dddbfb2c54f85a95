// After a PUT/POST/DELETE the object server tells the container servers; when one is down
// the update waits in async_pending.
import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { nextTimestamp, putHeaders, request, startObjectServer } from '../../helpers/object-server.ts'
import { createHash } from 'node:crypto'

interface Recorded {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
}

async function containerListener(t: { teardown(fn: () => Promise<void> | void): void }, status = 201) {
  const seen: Recorded[] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    req.resume()
    req.on('end', () => {
      res.writeHead(status, { 'Content-Length': 0 })
      res.end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })
  return { port: (server.address() as AddressInfo).port, seen }
}

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

t.test('PUT, POST and DELETE send container updates to every listed host', async (t) => {
  const s = await startObjectServer(t)
  const c1 = await containerListener(t)
  const c2 = await containerListener(t)
  const ts = nextTimestamp()
  const body = 'payload'
  const put = await request(s.port, 'PUT', '/sda/5/AUTH_a/cont/dir/o b', putHeaders(ts, body, {
    'Content-Type': 'text/plain',
    'X-Container-Host': `127.0.0.1:${c1.port},127.0.0.1:${c2.port}`,
    'X-Container-Partition': '42',
    'X-Container-Device': 'sdc1,sdc2',
    'X-Trans-Id': 'tx-put-1',
    'X-Backend-Storage-Policy-Index': '1',
  }), body)
  t.equal(put.status, 201)
  t.equal(c1.seen.length, 1)
  t.equal(c2.seen.length, 1)
  const u = c1.seen[0]!
  t.equal(u.method, 'PUT')
  t.equal(u.url, '/sdc1/42/AUTH_a/cont/dir/o%20b')
  t.equal(c2.seen[0]!.url, '/sdc2/42/AUTH_a/cont/dir/o%20b')
  t.equal(u.headers['x-timestamp'], ts.internal)
  t.equal(u.headers['x-size'], String(body.length))
  t.equal(u.headers['x-content-type'], 'text/plain')
  t.equal(u.headers['x-etag'], createHash('md5').update(body).digest('hex'))
  t.equal(u.headers['x-trans-id'], 'tx-put-1')
  t.equal(u.headers['x-backend-storage-policy-index'], '1')
  t.match(u.headers['user-agent'], /^object-server \d+$/)

  const postTs = nextTimestamp()
  const post = await request(s.port, 'POST', '/sda/5/AUTH_a/cont/dir/o b', {
    'X-Timestamp': postTs.internal, 'X-Backend-Storage-Policy-Index': '1',
    'X-Container-Host': `127.0.0.1:${c1.port}`, 'X-Container-Partition': '42', 'X-Container-Device': 'sdc1',
  })
  t.equal(post.status, 202)
  const pu = c1.seen[1]!
  t.equal(pu.method, 'PUT', 'a POST updates the container with a PUT')
  t.equal(pu.headers['x-timestamp'], ts.internal)
  t.equal(pu.headers['x-meta-timestamp'], postTs.internal)

  const delTs = nextTimestamp()
  const del = await request(s.port, 'DELETE', '/sda/5/AUTH_a/cont/dir/o b', {
    'X-Timestamp': delTs.internal, 'X-Backend-Storage-Policy-Index': '1',
    'X-Container-Host': `127.0.0.1:${c1.port}`, 'X-Container-Partition': '42', 'X-Container-Device': 'sdc1',
  })
  t.equal(del.status, 204)
  t.equal(c1.seen[2]!.method, 'DELETE')
  t.equal(c1.seen[2]!.headers['x-timestamp'], delTs.internal)
  t.same(await s.diskfile.listAsyncPending('sda', 1), [], 'nothing pending when updates land')
})

t.test('an unreachable or failing container server leaves an async_pending record', async (t) => {
  const s = await startObjectServer(t)
  const down = await closedPort()
  const failing = await containerListener(t, 503)
  const ts = nextTimestamp()
  const put = await request(s.port, 'PUT', '/sda/5/AUTH_a/cont/o', putHeaders(ts, 'x', {
    'X-Container-Host': `127.0.0.1:${down},127.0.0.1:${failing.port}`,
    'X-Container-Partition': '7',
    'X-Container-Device': 'sdc1,sdc2',
    'X-Trans-Id': 'tx-async',
  }), 'x')
  t.equal(put.status, 201, 'the PUT itself succeeds')
  t.equal(failing.seen.length, 1)
  const pending = await s.diskfile.listAsyncPending('sda', 0)
  t.equal(pending.length, 1, 'one record per object version (both failures name the same file)')
  const rec = pending[0]!
  t.match(rec.key, new RegExp(`^[0-9a-f]{3}/[0-9a-f]{32}-${ts.internal.replace('.', '\\.')}$`))
  t.equal(rec.update.op, 'PUT')
  t.equal(rec.update.account, 'AUTH_a')
  t.equal(rec.update.container, 'cont')
  t.equal(rec.update.obj, 'o')
  t.equal(rec.update.headers['X-Size'], '1')
  t.equal(rec.update.headers['X-Timestamp'], ts.internal)
  t.equal(rec.update.headers['X-Trans-Id'], 'tx-async')

  const delTs = nextTimestamp()
  await request(s.port, 'DELETE', '/sda/5/AUTH_a/cont/o', {
    'X-Timestamp': delTs.internal, 'X-Container-Host': `127.0.0.1:${down}`, 'X-Container-Partition': '7', 'X-Container-Device': 'sdc1',
  })
  const after = await s.diskfile.listAsyncPending('sda', 0)
  t.equal(after.length, 2)
  t.equal(after.find((p) => p.update.op === 'DELETE')?.update.headers['X-Timestamp'], delTs.internal)
})

t.test('no X-Container-Partition means no update and no record', async (t) => {
  const s = await startObjectServer(t)
  const put = await request(s.port, 'PUT', '/sda/5/AUTH_a/cont/quiet', putHeaders(nextTimestamp(), 'x'), 'x')
  t.equal(put.status, 201)
  t.same(await s.diskfile.listAsyncPending('sda', 0), [])
})
