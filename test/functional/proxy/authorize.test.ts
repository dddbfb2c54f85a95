// The authorization hook: controllers call ctx.state.authorize as Swift's proxy calls
// swift.authorize — once up front, and again with the container's ACLs for requests that
// can be granted by them (container reads, objects). A fake auth middleware stands in for tempauth.
import t from 'tap'
import { HttpError } from '../../../common/http/errors.ts'
import type { AuthorizeTarget, MiddlewareFactory } from '../../../proxy/context.ts'
import { startCluster } from '../../helpers/cluster.ts'

/** "X-Fake-User: owner" may do anything; anyone else only what a ".r:*" read ACL allows. */
function fakeAuth(seen: AuthorizeTarget[]): MiddlewareFactory {
  return {
    name: 'fakeauth',
    create: () => async (ctx, next) => {
      const owner = ctx.get('X-Fake-User') === 'owner'
      ctx.state.authorize = (target) => {
        seen.push(target)
        if (owner) return undefined
        const reads = target.method === 'GET' || target.method === 'HEAD'
        if (reads && target.container && target.containerAcl?.read?.includes('.r:*')) return undefined
        return new HttpError(403)
      }
      await next()
    },
  }
}

t.test('authorize before and after the container ACLs are known', async (t) => {
  const seen: AuthorizeTarget[] = []
  const c = await startCluster(t, { pipeline: 'fakeauth proxy-server', registry: [fakeAuth(seen)] })
  const owner = { 'X-Fake-User': 'owner' }
  t.equal((await c.request('PUT', '/v1/AUTH_test/public', { headers: { ...owner, 'X-Container-Read': '.r:*' } })).status, 201)
  t.equal((await c.request('PUT', '/v1/AUTH_test/private', { headers: owner })).status, 201)
  for (const cont of ['public', 'private']) t.equal((await c.request('PUT', `/v1/AUTH_test/${cont}/o`, { headers: owner, body: cont })).status, 201)

  t.equal((await c.request('GET', '/v1/AUTH_test')).status, 403, 'account GET denied at once')
  t.equal((await c.request('PUT', '/v1/AUTH_test/new')).status, 403, 'container PUT denied at once')
  t.equal((await c.request('HEAD', '/v1/AUTH_test/new', { headers: owner })).status, 404, 'nothing was created')

  seen.length = 0
  let r = await c.request('GET', '/v1/AUTH_test/public/o')
  t.equal(r.status, 200, 'the read ACL grants the object')
  t.equal(r.body.toString(), 'public')
  t.same(seen.map((s) => s.containerAcl?.read), [undefined, '.r:*'], 'asked first without, then with the ACL')
  t.equal((await c.request('GET', '/v1/AUTH_test/public')).status, 200, 'and the listing')
  t.equal((await c.request('GET', '/v1/AUTH_test/private/o')).status, 403)
  t.equal((await c.request('PUT', '/v1/AUTH_test/public/o2', { body: 'x' })).status, 403, 'no write ACL')

  r = await c.request('PUT', '/v1/AUTH_test/public/stolen', { headers: { ...owner, 'X-Copy-From': 'private/o', 'Content-Length': '0' } })
  t.equal(r.status, 201, 'the owner may copy')
  seen.length = 0
  r = await c.request('COPY', '/v1/AUTH_test/private/o', { headers: { Destination: 'public/x' } })
  t.equal(r.status, 403, 'copying from an unreadable container is refused')
  t.equal((await c.request('HEAD', '/v1/AUTH_test/public/x', { headers: owner })).status, 404)
})
