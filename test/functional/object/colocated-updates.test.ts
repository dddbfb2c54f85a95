// An object server and a container server of one process (a storage node, as the all-in-one
// runs it): the object server's container updates for that container server go to it directly,
// with no HTTP request, and land exactly as the HTTP update would: same rows and stats, the
// same refusals kept as async_pending. A container server that stopped is no longer taken.
import t from 'tap'
import type { Test } from 'tap'
import { createHash } from 'node:crypto'
import { ColocatedServers } from '../../../common/colocated-servers.ts'
import { createContainerServer } from '../../../container/server.ts'
import { nextTimestamp, putHeaders, request as objectRequest, startObjectServer } from '../../helpers/object-server.ts'
import { nextTs, startNode } from '../../helpers/db-server.ts'

async function startPair(t: Test) {
  const colocated = new ColocatedServers()
  const container = await startNode(t, (config, logger) => createContainerServer(config, logger, { colocated }))
  const httpRequests: string[] = []
  container.server.server.on('request', (req: { method?: string; url?: string }) => httpRequests.push(`${req.method} ${req.url}`))
  const objects = await startObjectServer(t, '', ['sda'], undefined, { colocated })
  const route = { 'X-Container-Host': `127.0.0.1:${container.port}`, 'X-Container-Partition': '3', 'X-Container-Device': 'sda' }
  return { colocated, container, objects, httpRequests, route }
}

type Listing = { name: string; bytes: number; hash: string; content_type: string }[]

t.test('updates for a container server of the same process land without an HTTP request', async (t) => {
  const { container, objects, httpRequests, route } = await startPair(t)
  t.equal((await container.request('PUT', '/sda/3/AUTH_a/c', { 'X-Timestamp': nextTs() })).status, 201)
  httpRequests.length = 0
  const names = Array.from({ length: 12 }, (_, i) => `obj-${i} é`)
  const bodies = names.map((n) => `body of ${n}`)
  const puts = await Promise.all(
    names.map((n, i) => objectRequest(objects.port, 'PUT', `/sda/7/AUTH_a/c/${n}`, putHeaders(nextTimestamp(), bodies[i]!, { ...route, 'Content-Type': 'text/x-test' }), bodies[i])),
  )
  t.same(puts.map((p) => p.status), names.map(() => 201))
  t.same(httpRequests, [], 'the container server saw no HTTP request')
  const listing = JSON.parse((await container.request('GET', '/sda/3/AUTH_a/c?format=json')).body) as Listing
  t.same(listing.map((e) => e.name), [...names].sort(), 'every object is listed')
  for (const e of listing) {
    const body = bodies[names.indexOf(e.name)]!
    t.same([e.bytes, e.hash, e.content_type], [Buffer.byteLength(body), createHash('md5').update(body).digest('hex'), 'text/x-test'], e.name)
  }
  const deletes = await Promise.all(names.slice(0, 5).map((n) => objectRequest(objects.port, 'DELETE', `/sda/7/AUTH_a/c/${n}`, { 'X-Timestamp': nextTimestamp().internal, ...route })))
  t.same(deletes.map((d) => d.status), names.slice(0, 5).map(() => 204))
  t.equal((await container.request('HEAD', '/sda/3/AUTH_a/c')).headers['x-container-object-count'], '7')
  t.same(await objects.diskfile.listAsyncPending('sda', 0), [], 'nothing pending')
})

t.test('a row the container server refuses is kept as async_pending, as over HTTP', async (t) => {
  const { objects, httpRequests, route } = await startPair(t)
  // No such container (and AUTH_ is not an auto-create account): the container server says 404.
  const ts = nextTimestamp()
  const put = await objectRequest(objects.port, 'PUT', '/sda/7/AUTH_a/missing/o', putHeaders(ts, 'x', route), 'x')
  t.equal(put.status, 201, 'the PUT itself succeeds')
  t.same(httpRequests, [])
  const pending = await objects.diskfile.listAsyncPending('sda', 0)
  t.equal(pending.length, 1)
  t.equal(pending[0]?.update.container, 'missing')
  t.equal(pending[0]?.update.headers['X-Timestamp'], ts.internal)
  // A container device that is not there: 507 for the row, kept for later too.
  const other = { ...route, 'X-Container-Device': 'sdz' }
  t.equal((await objectRequest(objects.port, 'PUT', '/sda/7/AUTH_a/c/p', putHeaders(nextTimestamp(), 'y', other), 'y')).status, 201)
  t.equal((await objects.diskfile.listAsyncPending('sda', 0)).length, 2)
})

t.test('a container server that stopped is no longer taken for a local one', async (t) => {
  const { colocated, container, objects, route } = await startPair(t)
  t.ok(colocated.containerServerAt('127.0.0.1', container.port), 'registered while listening')
  await container.server.close()
  t.equal(colocated.containerServerAt('127.0.0.1', container.port), undefined, 'gone once closed')
  const put = await objectRequest(objects.port, 'PUT', '/sda/7/AUTH_a/c/late', putHeaders(nextTimestamp(), 'z', route), 'z')
  t.equal(put.status, 201)
  const pending = await objects.diskfile.listAsyncPending('sda', 0)
  t.same(pending.map((p) => p.update.obj), ['late'], 'the refused connection left the update pending')
})
