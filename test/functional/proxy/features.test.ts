// Server-side copy, expiring objects, X-Newest, metadata and listings through the proxy.
import t from 'tap'
import { createHash } from 'node:crypto'
import { BackendClient } from '../../../common/backend-client.ts'
import { directPutObject } from '../../../common/direct-client.ts'
import { Timestamp } from '../../../common/timestamp.ts'
import { CLUSTER_SECRETS, startCluster } from '../../helpers/cluster.ts'

t.test('server-side copy', async (t) => {
  const c = await startCluster(t)
  for (const name of ['src', 'dst']) t.equal((await c.request('PUT', `/v1/AUTH_test/${name}`)).status, 201)
  t.equal((await c.request('PUT', '/v1/AUTH_test/src/o', { body: 'payload', headers: { 'Content-Type': 'text/x-test', 'X-Object-Meta-A': '1', 'Content-Disposition': 'inline' } })).status, 201)

  let r = await c.request('PUT', '/v1/AUTH_test/dst/copy1', { headers: { 'X-Copy-From': '/src/o', 'X-Object-Meta-B': '2', 'Content-Length': '0' } })
  t.equal(r.status, 201)
  t.equal(r.headers['x-copied-from'], 'src/o')
  t.equal(r.headers['x-copied-from-account'], 'AUTH_test')
  t.ok(r.headers['x-copied-from-last-modified'])
  r = await c.request('GET', '/v1/AUTH_test/dst/copy1')
  t.equal(r.body.toString(), 'payload')
  t.equal(r.headers['content-type'], 'text/x-test', 'content type copied')
  t.equal(r.headers['x-object-meta-a'], '1', 'source metadata copied')
  t.equal(r.headers['x-object-meta-b'], '2', 'new metadata added')
  t.equal(r.headers['content-disposition'], 'inline')

  r = await c.request('COPY', '/v1/AUTH_test/src/o', { headers: { Destination: 'dst/copy2', 'X-Fresh-Metadata': 'true', 'X-Object-Meta-C': '3' } })
  t.equal(r.status, 201, 'COPY with Destination')
  r = await c.request('HEAD', '/v1/AUTH_test/dst/copy2')
  t.equal(r.headers['x-object-meta-a'], undefined, 'X-Fresh-Metadata drops the old metadata')
  t.equal(r.headers['x-object-meta-c'], '3')
  t.equal(r.headers['content-length'], '7')

  r = await c.request('COPY', '/v1/AUTH_test/src/o', { headers: { Destination: 'nocontainer' } })
  t.equal(r.status, 412, 'Destination without an object')
  t.equal(r.body.toString(), 'Destination header must be of the form <container name>/<object name>')
  r = await c.request('PUT', '/v1/AUTH_test/dst/x', { headers: { 'X-Copy-From': 'src/missing', 'Content-Length': '0' } })
  t.equal(r.status, 404, 'missing source')
  r = await c.request('PUT', '/v1/AUTH_test/dst/x', { headers: { 'X-Copy-From': 'src/o' }, body: 'body' })
  t.equal(r.status, 400, 'copy with a body')
})

t.test('X-Delete-After becomes X-Delete-At and queues the expirer', async (t) => {
  const c = await startCluster(t)
  t.equal((await c.request('PUT', '/v1/AUTH_test/exp')).status, 201)
  const before = Math.floor(Date.now() / 1000)
  t.equal((await c.request('PUT', '/v1/AUTH_test/exp/o', { body: 'x', headers: { 'X-Delete-After': '3600' } })).status, 201)
  const after = Math.ceil(Date.now() / 1000)
  const r = await c.request('HEAD', '/v1/AUTH_test/exp/o')
  const at = Number(r.headers['x-delete-at'])
  t.ok(at >= before + 3600 && at <= after + 3600, `X-Delete-At ${at} is now + 3600`)
  // Swift's expirer queue container: the day of X-Delete-At minus a shard (md5 of the path mod 100).
  const digest = createHash('md5').update(`${CLUSTER_SECRETS.prefix}/AUTH_test/exp/o${CLUSTER_SECRETS.suffix}`).digest('hex')
  const queueName = String(Math.floor(at / 86400) * 86400 - Number(BigInt(`0x${digest}`) % 100n)).padStart(10, '0')
  const queue = await c.request('GET', `/v1/.expiring_objects/${queueName}?format=json`)
  t.equal(queue.status, 200, 'the object servers queued the object for the expirer')
  t.same((JSON.parse(queue.body.toString()) as { name: string }[]).map((o) => o.name), [`${at}-AUTH_test/exp/o`])

  const p = await c.request('POST', '/v1/AUTH_test/exp/o', { headers: { 'X-Delete-At': String(at + 10), 'X-Object-Meta-P': 'q' } })
  t.equal(p.status, 202)
  const h = await c.request('HEAD', '/v1/AUTH_test/exp/o')
  t.equal(h.headers['x-delete-at'], String(at + 10))
  t.equal(h.headers['x-object-meta-p'], 'q')
})

t.test('X-Newest asks every replica', async (t) => {
  const c = await startCluster(t, { proxySettings: { sorting_method: 'none' } })
  t.equal((await c.request('PUT', '/v1/AUTH_test/n')).status, 201)
  t.equal((await c.request('PUT', '/v1/AUTH_test/n/o', { body: 'old' })).status, 201)
  // A newer version lands on the last primary only (as if the others missed it).
  const { partition, nodes } = c.rings.object.getNodes('AUTH_test', 'n', 'o')
  const last = nodes[nodes.length - 1]!
  const client = new BackendClient()
  t.teardown(() => client.close())
  await directPutObject(client, last, partition, 'AUTH_test', 'n', 'o', 'new', {
    'X-Timestamp': Timestamp.fromSeconds(Date.now() / 1000 + 5).internal,
    'Content-Type': 'text/plain',
    'X-Backend-Storage-Policy-Index': '0',
  })
  t.equal((await c.request('GET', '/v1/AUTH_test/n/o')).body.toString(), 'old', 'a plain GET reads the first primary')
  t.equal((await c.request('GET', '/v1/AUTH_test/n/o', { headers: { 'X-Newest': 'true' } })).body.toString(), 'new', 'X-Newest finds the newest')
})

t.test('metadata on accounts and containers, with X-Remove-*', async (t) => {
  const c = await startCluster(t)
  t.equal((await c.request('PUT', '/v1/AUTH_test/m', { headers: { 'X-Container-Meta-One': '1', 'X-Container-Read': '.r:*' } })).status, 201)
  t.equal((await c.request('POST', '/v1/AUTH_test/m', { headers: { 'X-Container-Meta-Two': '2', 'X-Remove-Container-Meta-One': 'x' } })).status, 204)
  let r = await c.request('HEAD', '/v1/AUTH_test/m')
  t.equal(r.headers['x-container-meta-one'], undefined, 'removed')
  t.equal(r.headers['x-container-meta-two'], '2')
  t.equal(r.headers['x-container-read'], '.r:*')
  t.equal((await c.request('POST', '/v1/AUTH_test', { headers: { 'X-Account-Meta-Color': 'red' } })).status, 204)
  r = await c.request('HEAD', '/v1/AUTH_test')
  t.equal(r.headers['x-account-meta-color'], 'red')
  t.equal((await c.request('POST', '/v1/AUTH_test', { headers: { 'X-Remove-Account-Meta-Color': 'x' } })).status, 204)
  r = await c.request('HEAD', '/v1/AUTH_test')
  t.equal(r.headers['x-account-meta-color'], undefined)
  t.equal((await c.request('POST', '/v1/AUTH_test/nosuch', { headers: { 'X-Container-Meta-A': 'b' } })).status, 404)
  t.equal((await c.request('PUT', '/v1/AUTH_test/nosuch/o', { body: 'x' })).status, 404, 'object PUT into a missing container')
})

t.test('listings with every parameter and format', async (t) => {
  const c = await startCluster(t)
  t.equal((await c.request('PUT', '/v1/AUTH_test/l')).status, 201)
  const names = ['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd.txt', 'é']
  for (const n of names) t.equal((await c.request('PUT', `/v1/AUTH_test/l/${encodeURIComponent(n)}`, { body: n })).status, 201)
  const sorted = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
  const plain = async (query: string, headers: Record<string, string> = {}) => {
    const r = await c.request('GET', `/v1/AUTH_test/l${query}`, { headers })
    return r.status === 204 ? [] : r.body.toString().split('\n').filter(Boolean)
  }
  t.same(await plain(''), sorted)
  t.same(await plain('?limit=2'), sorted.slice(0, 2))
  t.same(await plain('?marker=a/2'), sorted.filter((n) => n > 'a/2'))
  t.same(await plain('?end_marker=b/1'), sorted.filter((n) => n < 'b/1'))
  t.same(await plain('?prefix=a/'), sorted.filter((n) => n.startsWith('a/')))
  t.same(await plain('?delimiter=/'), ['a/', 'b/', 'c', 'd.txt', 'é'])
  t.same(await plain('?prefix=a/&delimiter=/'), ['a/1', 'a/2', 'a/b/'])
  t.same(await plain('?path=a'), ['a/1', 'a/2'])
  t.same(await plain('?reverse=true'), [...sorted].reverse())
  t.same(await plain('?reverse=true&limit=2&marker=c'), sorted.filter((n) => n < 'c').reverse().slice(0, 2))

  let r = await c.request('GET', '/v1/AUTH_test/l?format=json&limit=1')
  t.equal(r.headers['content-type'], 'application/json; charset=utf-8')
  const first = (JSON.parse(r.body.toString()) as { name: string; bytes: number }[])[0]!
  t.same([first.name, first.bytes], ['a/1', 3])
  r = await c.request('GET', '/v1/AUTH_test/l?limit=1', { headers: { Accept: 'application/json' } })
  t.equal(r.headers['content-type'], 'application/json; charset=utf-8', 'Accept picks JSON')
  r = await c.request('GET', '/v1/AUTH_test/l?format=xml&limit=1')
  t.equal(r.headers['content-type'], 'application/xml; charset=utf-8')
  t.match(r.body.toString(), /^<\?xml version="1.0" encoding="UTF-8"\?>\n<container name="l"><object><name>a\/1<\/name>/)
  r = await c.request('GET', '/v1/AUTH_test/l?limit=1', { headers: { Accept: 'text/xml' } })
  t.equal(r.headers['content-type'], 'text/xml; charset=utf-8')

  for (const n of ['l2', 'l3']) t.equal((await c.request('PUT', `/v1/AUTH_test/${n}`)).status, 201)
  r = await c.request('GET', '/v1/AUTH_test?format=json')
  // Object counts reach the account through the container updater daemon, not the listing path.
  t.same((JSON.parse(r.body.toString()) as { name: string }[]).map((x) => x.name), ['l', 'l2', 'l3'])
  r = await c.request('GET', '/v1/AUTH_test?marker=l&limit=1')
  t.equal(r.body.toString(), 'l2\n')
  r = await c.request('GET', '/v1/AUTH_test?reverse=on&format=xml')
  t.match(r.body.toString(), /<account name="AUTH_test">\n<container><name>l3<\/name>/)
  r = await c.request('GET', '/v1/AUTH_new?format=json')
  t.equal(r.status, 200, 'autocreate: a missing account lists as empty')
  t.equal(r.body.toString(), '[]')
})
