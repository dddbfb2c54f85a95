// Quorum writes, handoffs, read fallback and error limiting with storage nodes stopped.
import t from 'tap'
import { createServer } from 'node:http'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startCluster } from '../../helpers/cluster.ts'
import type { Cluster } from '../../helpers/cluster.ts'

/** Node indexes (primaries, handoff) of an object, from the ring. */
function placement(c: Cluster, path: [string, string, string]) {
  const { partition, nodes } = c.rings.object.getNodes(...path)
  const primaries = nodes.map((n) => n.id)
  const handoff = [...c.rings.object.getMoreNodes(partition)].map((n) => n.id)[0] as number
  return { partition, primaries, handoff }
}

/** Whether a node's device holds any .data file under the object partition. */
async function holdsData(c: Cluster, node: number, partition: number): Promise<boolean> {
  const n = c.nodes[node]!
  const dir = join(n.devices, n.device, 'objects', String(partition))
  const walk = async (d: string): Promise<boolean> => {
    let entries
    try {
      entries = await readdir(d, { withFileTypes: true })
    } catch {
      return false
    }
    for (const e of entries) {
      if (e.isDirectory() ? await walk(join(d, e.name)) : e.name.endsWith('.data')) return true
    }
    return false
  }
  return walk(dir)
}

t.test('quorum, handoffs, fallback and error limiting', async (t) => {
  const c = await startCluster(t, { proxySettings: { error_suppression_limit: 2, error_suppression_interval: 60 } })
  t.equal((await c.request('PUT', '/v1/AUTH_test/q')).status, 201)

  const obj: [string, string, string] = ['AUTH_test', 'q', 'one-down']
  const p = placement(c, obj)
  const down = p.primaries[0]!
  await c.nodes[down]!.stop(['object'])
  let r = await c.request('PUT', '/v1/AUTH_test/q/one-down', { body: 'x'.repeat(100) })
  t.equal(r.status, 201, 'one primary down: quorum reached')
  t.ok(await holdsData(c, p.handoff, p.partition), 'the handoff node took the down primary’s replica')
  for (const i of p.primaries.slice(1)) t.ok(await holdsData(c, i, p.partition), `primary ${i} has the object`)

  r = await c.request('GET', '/v1/AUTH_test/q/one-down')
  t.equal(r.status, 200, 'GET falls back past the down primary')
  t.equal(r.body.toString(), 'x'.repeat(100))
  await c.nodes[down]!.start(['object'])

  // Two primaries and the only handoff down: one connection, below quorum.
  const obj2: [string, string, string] = ['AUTH_test', 'q', 'two-down']
  const p2 = placement(c, obj2)
  const stopped = [p2.primaries[0]!, p2.primaries[1]!, p2.handoff]
  for (const i of stopped) await c.nodes[i]!.stop(['object'])
  r = await c.request('PUT', '/v1/AUTH_test/q/two-down', { body: 'y' })
  t.equal(r.status, 503, 'two primaries down and no handoff left: 503')
  r = await c.request('HEAD', '/v1/AUTH_test/q/two-down')
  t.not(r.status, 200, 'nothing readable was created')
  for (const i of stopped) await c.nodes[i]!.start(['object'])

  // Two primaries down but the handoff up: still a quorum.
  for (const i of p2.primaries.slice(0, 2)) await c.nodes[i]!.stop(['object'])
  r = await c.request('PUT', '/v1/AUTH_test/q/two-down', { body: 'z' })
  t.equal(r.status, 201, 'two primaries down, handoff up: quorum with the handoff')
  for (const i of p2.primaries.slice(0, 2)) await c.nodes[i]!.start(['object'])
})

t.test('GET falls back to another replica when one lost its copy', async (t) => {
  const c = await startCluster(t, { proxySettings: { sorting_method: 'none' } })
  t.equal((await c.request('PUT', '/v1/AUTH_test/f')).status, 201)
  t.equal((await c.request('PUT', '/v1/AUTH_test/f/o', { body: 'data' })).status, 201)
  const p = placement(c, ['AUTH_test', 'f', 'o'])
  // Ring order: the first primary is asked first; its copy is gone, so it answers 404.
  const first = c.nodes[p.primaries[0]!]!
  await rm(join(first.devices, first.device, 'objects', String(p.partition)), { recursive: true, force: true })
  t.notOk(await holdsData(c, first.index, p.partition))
  const r = await c.request('GET', '/v1/AUTH_test/f/o')
  t.equal(r.status, 200, 'a 404 from one replica is not the answer')
  t.equal(r.body.toString(), 'data')
})

t.test('error limiting skips a node that keeps failing', async (t) => {
  const c = await startCluster(t, { proxySettings: { error_suppression_limit: 1, sorting_method: 'none' } })
  t.equal((await c.request('PUT', '/v1/AUTH_test/e')).status, 201)
  t.equal((await c.request('PUT', '/v1/AUTH_test/e/o', { body: 'data' })).status, 201)
  const p = placement(c, ['AUTH_test', 'e', 'o'])
  const first = c.nodes[p.primaries[0]!]!
  // The first primary answers 500 to everything and counts what it gets.
  await first.stop(['object'])
  let hits = 0
  const failing = createServer((_req, res) => {
    hits++
    res.writeHead(500, { 'Content-Length': 0 }).end()
  })
  await new Promise<void>((resolve) => failing.listen(first.ports.object, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { failing.close(() => resolve()); failing.closeAllConnections() }))

  const limiter = c.proxy.app.client.errorLimiter
  const node = { ip: '127.0.0.1', port: first.ports.object, device: first.device }
  for (let i = 0; i < 2; i++) t.equal((await c.request('GET', '/v1/AUTH_test/e/o')).status, 200, 'read served by another replica')
  t.equal(hits, 2, 'the failing node was asked while under the limit')
  t.ok(limiter.isLimited(node), 'more than error_suppression_limit errors: limited')
  for (let i = 0; i < 3; i++) t.equal((await c.request('GET', '/v1/AUTH_test/e/o')).status, 200)
  t.equal(hits, 2, 'a limited node is skipped for error_suppression_interval')
})

t.test('a client that stops sending its body gets 408 after client_timeout, and nothing is stored', async (t) => {
  const c = await startCluster(t, { proxySettings: { client_timeout: 0.5 } })
  t.equal((await c.request('PUT', '/v1/AUTH_test/slow')).status, 201)
  const { PassThrough } = await import('node:stream')
  const body = new PassThrough()
  const answer = c.request('PUT', '/v1/AUTH_test/slow/o', { headers: { 'Content-Length': '100' }, body })
  body.write('0123456789') // then silence: 90 bytes never come
  const r = await answer
  body.destroy()
  t.equal(r.status, 408, 'Request Timeout, as Swift answers')
  t.equal((await c.request('HEAD', '/v1/AUTH_test/slow/o')).status, 404, 'no part of the object stored')
})
