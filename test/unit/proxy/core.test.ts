// Pure pieces of the proxy core: config defaults, pipeline resolution, trans ids, best
// response, container-update spreading.
import t from 'tap'
import { parseProxyConfigText } from '../../../proxy/config.ts'
import { generateTransId, resolvePipeline } from '../../../proxy/pipeline.ts'
import { bestResponse } from '../../../proxy/backend-requests.ts'
import type { BackendResult } from '../../../proxy/backend-requests.ts'
import { quorumSize } from '../../../proxy/proxy-app.ts'
import { pairWithObjectNodes, spreadUpdates } from '../../../proxy/info-lookup.ts'
import { numContainerUpdates } from '../../../proxy/controllers/object-write-headers.ts'
import type { MiddlewareFactory } from '../../../proxy/context.ts'

t.test('config defaults and validation', async (t) => {
  const c = parseProxyConfigText('[app:proxy-server]\n')
  t.equal(c.bindPort, 8080)
  t.equal(c.connTimeout, 0.5)
  t.equal(c.nodeTimeout, 10)
  t.equal(c.recoverableNodeTimeout, 10, 'follows node_timeout')
  t.equal(c.errorSuppressionLimit, 10)
  t.equal(c.errorSuppressionInterval, 60)
  t.equal(c.objectPostAsCopy, false)
  t.equal(c.requestNodeCount(3), 6, '2 * replicas')
  t.ok(Object.isFrozen(c))
  const d = parseProxyConfigText('[app:proxy-server]\nnode_timeout = 3\nrequest_node_count = 5\n[swift-constraints]\nmax_file_size = 100\n')
  t.equal(d.recoverableNodeTimeout, 3)
  t.equal(d.requestNodeCount(3), 5)
  t.equal(d.constraints.maxFileSize, 100)
  t.throws(() => parseProxyConfigText('[app:proxy-server]\nconn_timeout = soon\n'), { code: 'ERR_PROXY_CONFIG' })
  t.throws(() => parseProxyConfigText('[pipeline:main]\npipeline = catch_errors\n'), { code: 'ERR_PROXY_CONFIG' }, 'must end in proxy-server')
})

t.test('required filters are put first when registered', async (t) => {
  const registry: MiddlewareFactory[] = [{ name: 'catch_errors', create: () => async () => {} }]
  t.same(resolvePipeline(['tempauth', 'proxy-server'], registry), ['catch_errors', 'tempauth', 'proxy-server'])
  t.same(resolvePipeline(['healthcheck', 'catch_errors', 'proxy-server'], registry), ['healthcheck', 'catch_errors', 'proxy-server'], 'kept where the line puts it')
  t.same(resolvePipeline(['proxy-server'], []), ['proxy-server'], 'not registered: not inserted')
})

t.test('trans ids look like Swift’s', async (t) => {
  const id = generateTransId('', 1_700_000_000_000)
  t.match(id, /^tx[0-9a-f]{21}-006553f100$/)
  t.match(generateTransId('-extra'), /^tx[0-9a-f]{21}-[0-9a-f]{10}-extra$/)
  t.not(generateTransId(), generateTransId())
})

t.test('best response needs a quorum of one class', async (t) => {
  const r = (status: number): BackendResult => ({ status, headers: {}, body: Buffer.alloc(0) })
  t.equal(quorumSize(3), 2)
  t.equal(quorumSize(4), 3)
  t.equal(quorumSize(1), 1)
  t.equal(bestResponse([r(201), r(201), r(503)]).status, 201)
  t.equal(bestResponse([r(201), r(503), r(503)]).status, 503)
  t.equal(bestResponse([r(404), r(404), r(201)]).status, 404)
  t.equal(bestResponse([r(404), r(409), r(201)]).status, 409, 'highest status of the quorum class')
  t.equal(bestResponse([r(204), r(202), r(500)]).status, 204)
  t.equal(bestResponse([r(201), r(404), r(503)]).status, 503, 'no class reaches quorum')
})

t.test('container updates spread over object nodes as Swift does', async (t) => {
  t.equal(numContainerUpdates(3, 3), 3)
  t.equal(numContainerUpdates(3, 5), 4, 'Qc + Ro - Qo = 2 + 5 - 3')
  t.equal(numContainerUpdates(1, 3), 2)
  const nodes = ['a', 'b', 'c'].map((d, i) => ({ ip: '10.0.0.1', port: 6000 + i, device: d }))
  t.same(spreadUpdates(3, nodes, 3).map((s) => s.devices), [['a'], ['b'], ['c']])
  t.same(spreadUpdates(2, nodes, 3).map((s) => s.devices), [['a', 'c'], ['b']])
  t.same(spreadUpdates(3, nodes.slice(0, 1), 2).map((s) => s.hosts), [['10.0.0.1:6000'], ['10.0.0.1:6000'], []])
})

t.test('each object node is given the container replica on its own drive when there is one', async (t) => {
  const drive = (ip: string, device: string, port: number) => ({ ip, port, device })
  const containers = [drive('10.0.0.1', 'sdb1', 6201), drive('10.0.0.2', 'sdb2', 6211), drive('10.0.0.3', 'sdb3', 6221)]
  const objects = [drive('10.0.0.3', 'sdb3', 6220), drive('10.0.0.4', 'sdb4', 6230), drive('10.0.0.1', 'sdb1', 6200)]
  const paired = pairWithObjectNodes(containers, objects)
  t.same(paired.map((c) => c.device), ['sdb3', 'sdb2', 'sdb1'], 'same drive at the same index, the rest in ring order')
  t.same([...paired].sort((a, b) => a.port - b.port), containers, 'still every container replica once')
  t.same(pairWithObjectNodes(containers, []), containers, 'no object nodes: ring order')
  // Same device name on another host is another drive.
  t.same(pairWithObjectNodes(containers, [drive('10.0.0.9', 'sdb3', 6220)]).map((c) => c.device), ['sdb1', 'sdb2', 'sdb3'])
  // More object nodes than container replicas (and the other way round).
  const five = [...objects, drive('10.0.0.2', 'sdb2', 6210), drive('10.0.0.5', 'sdb5', 6240)]
  t.same(pairWithObjectNodes(containers, five).map((c) => c.device), ['sdb3', 'sdb2', 'sdb1'])
  t.same(pairWithObjectNodes(containers, objects.slice(2)).map((c) => c.device), ['sdb1', 'sdb2', 'sdb3'])
  t.same(pairWithObjectNodes(containers, [objects[1]!, objects[0]!]).map((c) => c.device), ['sdb1', 'sdb3', 'sdb2'])
})
