// Account, container and object round trips through the proxy over the in-process cluster.
import t from 'tap'
import { createHash } from 'node:crypto'
import { startCluster } from '../../helpers/cluster.ts'

t.test('object PUT/GET/HEAD/DELETE through the proxy', async (t) => {
  const c = await startCluster(t)
  let r = await c.request('PUT', '/v1/AUTH_test/box')
  t.equal(r.status, 201, 'container created (account autocreated)')
  t.match(r.headers['x-trans-id'], /^tx[0-9a-f]{21}-[0-9a-f]{10}$/)
  t.equal(r.headers['x-openstack-request-id'], r.headers['x-trans-id'])
  r = await c.request('PUT', '/v1/AUTH_test/box')
  t.equal(r.status, 202, 'existing container PUT is 202')

  const body = Buffer.from('hello, tern')
  const md5 = createHash('md5').update(body).digest('hex')
  r = await c.request('PUT', '/v1/AUTH_test/box/a/b.txt', { body, headers: { 'X-Object-Meta-Color': 'blue' } })
  t.equal(r.status, 201)
  t.equal(r.headers.etag, md5)

  r = await c.request('GET', '/v1/AUTH_test/box/a/b.txt')
  t.equal(r.status, 200)
  t.same(r.body, body)
  t.equal(r.headers['content-type'], 'text/plain')
  t.equal(r.headers['x-object-meta-color'], 'blue')
  t.equal(r.headers.etag, md5, 'GET gives the etag bare, as Swift\'s proxy does (update_headers strips the quotes)')

  r = await c.request('HEAD', '/v1/AUTH_test/box/a/b.txt')
  t.equal(r.status, 200)
  t.equal(r.headers['content-length'], String(body.length))
  t.equal(r.body.length, 0)

  r = await c.request('GET', '/v1/AUTH_test/box?format=json')
  t.equal(r.status, 200)
  const listing = JSON.parse(r.body.toString()) as { name: string; bytes: number; hash: string }[]
  t.same(listing.map((o) => [o.name, o.bytes, o.hash]), [['a/b.txt', body.length, md5]])

  r = await c.request('HEAD', '/v1/AUTH_test')
  t.equal(r.status, 204)
  t.equal(r.headers['x-account-container-count'], '1')

  r = await c.request('DELETE', '/v1/AUTH_test/box/a/b.txt')
  t.equal(r.status, 204)
  r = await c.request('GET', '/v1/AUTH_test/box/a/b.txt')
  t.equal(r.status, 404)
  r = await c.request('DELETE', '/v1/AUTH_test/box')
  t.equal(r.status, 204)
  r = await c.request('GET', '/v1/AUTH_test/box')
  t.equal(r.status, 404)
})
