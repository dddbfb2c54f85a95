// readObject against fake object servers: small GET bodies come back whole (a body cut short
// moves on to the next replica), larger ones and HEADs come back as streams.
import t from 'tap'
import type { Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { silentLogger } from '../../../common/logger.ts'
import { parseProxyConfigText } from '../../../proxy/config.ts'
import { readObject } from '../../../proxy/object-get.ts'
import type { Target } from '../../../proxy/backend-requests.ts'
import { ProxyApp } from '../../../proxy/proxy-app.ts'
import type { ProxyRing } from '../../../proxy/proxy-app.ts'
import type { RingNode } from '../../../ring/types.ts'

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse) => void

/** A fake object server per behaviour; resolves with the ring nodes pointing at them and the hit counts. */
async function fakeNodes(t: Test, behaviours: Behaviour[]): Promise<{ nodes: RingNode[]; hits: number[] }> {
  const hits = behaviours.map(() => 0)
  const nodes: RingNode[] = []
  for (const [i, behave] of behaviours.entries()) {
    const server = http.createServer((req, res) => {
      hits[i]!++
      behave(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }))
    const port = (server.address() as AddressInfo).port
    nodes.push({ id: i, index: i, region: 1, zone: i, ip: '127.0.0.1', port, replication_ip: '127.0.0.1', replication_port: port, device: `sd${i}`, weight: 1, meta: '' })
  }
  return { nodes, hits }
}

function target(nodes: RingNode[]): Target {
  const ring: ProxyRing = {
    replicaCount: nodes.length,
    getPart: () => 0,
    getPartNodes: () => nodes,
    getMoreNodes: () => [],
  }
  return { ring, part: 0, primaries: nodes, path: '/AUTH_test/c/o', serverType: 'Object' }
}

function makeApp(t: Test): ProxyApp {
  // sorting_method = none: nodes are asked in ring order, so the test knows which answers first.
  const app = new ProxyApp(parseProxyConfigText('[app:proxy-server]\nsorting_method = none\nnode_timeout = 5\n'), { account: target([]).ring, container: target([]).ring, object: target([]).ring }, silentLogger)
  t.teardown(() => app.close())
  return app
}

const body = Buffer.alloc(4096, 'a')
const whole: Behaviour = (_req, res) => {
  res.writeHead(200, { 'Content-Length': body.length, ETag: '"x"', 'X-Backend-Timestamp': '0000000001.00000' })
  res.end(body)
}
/** Promises 4096 bytes, sends 100 and drops the connection. */
const cut: Behaviour = (_req, res) => {
  res.writeHead(200, { 'Content-Length': body.length, 'X-Backend-Timestamp': '0000000001.00000' })
  res.write(body.subarray(0, 100), () => res.socket?.destroy())
}

t.test('a small GET body arrives whole; one cut short is fetched from the next replica', async (t) => {
  const { nodes, hits } = await fakeNodes(t, [cut, whole, whole])
  const app = makeApp(t)
  const outcome = await readObject(app, target(nodes), 'GET', {}, { bufferUpTo: 64 * 1024 })
  t.notOk(outcome.source, 'not streamed')
  t.equal(outcome.result?.status, 200)
  t.same(outcome.result?.body, body, 'the whole body, from the second replica')
  t.same(hits, [1, 1, 0], 'the third replica was not asked')
})

t.test('bodies above the limit, HEADs and reads without a limit stream', async (t) => {
  const { nodes } = await fakeNodes(t, [whole, whole, whole])
  const app = makeApp(t)
  const big = await readObject(app, target(nodes), 'GET', {}, { bufferUpTo: 1024 })
  t.ok(big.source, 'above the limit: a stream')
  const chunks: Buffer[] = []
  for await (const c of big.source!.stream) chunks.push(c as Buffer)
  t.same(Buffer.concat(chunks), body)
  const head = await readObject(app, target(nodes), 'HEAD', {}, { bufferUpTo: 64 * 1024 })
  t.ok(head.source, 'HEAD: the response as it came')
  head.source?.stream.resume()
  const plain = await readObject(app, target(nodes), 'GET', {})
  t.ok(plain.source, 'no limit given: a stream')
  plain.source?.stream.resume()
})
