// Tempauth over HTTP: the /auth endpoints, token issue/validation/expiry, and the authorize
// callback handed to controllers (401 vs 403, owner).
import t from 'tap'
import { SignedTokenCodec } from '../../../../proxy/middleware/auth-token.ts'
import { catchErrors } from '../../../../proxy/middleware/catch-errors.ts'
import { createTempAuth, tempauthMiddleware } from '../../../../proxy/middleware/tempauth.ts'
import type { ProxyMiddleware } from '../../../../proxy/context.ts'
import { silentLogger } from '../../../../common/logger.ts'
import { serveMiddleware } from '../../../helpers/koa-app.ts'

const conf = {
  reseller_prefix: 'AUTH, SERVICE',
  SERVICE_require_group: 'service',
  token_secret: 'unit-test-secret',
  user_admin_admin: 'admin .admin .reseller_admin',
  user_test_tester: 'testing .admin',
  user_test_tester3: 'testing3',
  user_test2_tester2: 'testing2 .admin',
  user_test5_tester5: 'testing5 service',
}

/** Stands in for the controllers: authorizes /v1/... with the ACLs given in test headers. */
const fakeController: ProxyMiddleware = async (ctx) => {
  const [, , account, container, ...rest] = ctx.path.split('/')
  const denied = ctx.state.authorize?.({
    method: ctx.method,
    account: account!,
    container: container || undefined,
    object: rest.length ? rest.join('/') : undefined,
    containerAcl: { read: ctx.get('x-test-read') || undefined, write: ctx.get('x-test-write') || undefined },
    referrer: ctx.get('referer') || undefined,
  })
  if (denied) throw denied
  ctx.status = 200
  ctx.body = JSON.stringify({ user: ctx.state.identity?.user ?? null, owner: ctx.state.swiftOwner === true })
}

async function setup(t: { teardown(fn: () => unknown): void }, now: () => number = Date.now) {
  const ta = createTempAuth(conf, { now })
  const { url } = await serveMiddleware(t, [catchErrors({ logger: silentLogger }), tempauthMiddleware(ta), fakeController])
  return { url, ta }
}

async function auth(url: string, path: string, headers: Record<string, string>) {
  return fetch(url + path, { headers })
}

t.test('GET /auth/v1.0 issues a token and the storage URL (both header spellings)', async (t) => {
  const { url } = await setup(t)
  const variants: Record<string, string>[] = [
    { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' },
    { 'X-Storage-User': 'test:tester', 'X-Storage-Pass': 'testing' },
  ]
  for (const headers of variants) {
    const res = await auth(url, '/auth/v1.0', headers)
    t.equal(res.status, 200)
    t.equal(res.headers.get('x-storage-url'), `${url}/v1/AUTH_test`)
    const token = res.headers.get('x-auth-token')
    t.match(token, /^AUTH_tk[0-9a-f]+$/)
    t.equal(res.headers.get('x-storage-token'), token)
    const expires = Number(res.headers.get('x-auth-token-expires'))
    t.ok(expires > 86_390 && expires <= 86_400, `expires in ${expires}s`)
    t.equal(await res.text(), '')
  }
})

t.test('the other auth paths: /auth/v1/<account>/auth and /auth/auth', async (t) => {
  const { url } = await setup(t)
  let res = await auth(url, '/auth/v1/test/auth', { 'X-Storage-User': 'tester', 'X-Storage-Pass': 'testing' })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-storage-url'), `${url}/v1/AUTH_test`)
  res = await auth(url, '/auth/v1/test/auth', { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' })
  t.equal(res.status, 200)
  res = await auth(url, '/auth/v1/test/auth', { 'X-Auth-User': 'test2:tester2', 'X-Auth-Key': 'testing2' })
  t.equal(res.status, 401, 'account in the path must match the user')
  t.equal(res.headers.get('www-authenticate'), 'Swift realm="test"')
  res = await auth(url, '/auth/auth', { 'X-Auth-User': 'test2:tester2', 'X-Auth-Key': 'testing2' })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-storage-url'), `${url}/v1/AUTH_test2`)
  res = await auth(url, '/auth/v2/x', { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' })
  t.equal(res.status, 400)
  res = await fetch(`${url}/auth/v1.0`, { method: 'POST', headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  t.equal(res.status, 405)
})

t.test('bad credentials answer 401 with Swift body and realm', async (t) => {
  const { url } = await setup(t)
  const cases: [Record<string, string>, string][] = [
    [{ 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'wrong' }, 'unknown'],
    [{ 'X-Auth-User': 'test:nobody', 'X-Auth-Key': 'testing' }, 'test'],
    [{ 'X-Auth-User': 'tester', 'X-Auth-Key': 'testing' }, 'unknown'],
    [{ 'X-Auth-User': 'test:tester' }, 'test'],
    [{}, 'unknown'],
  ]
  for (const [headers, realm] of cases) {
    const res = await auth(url, '/auth/v1.0', headers)
    t.equal(res.status, 401, JSON.stringify(headers))
    t.equal(res.headers.get('www-authenticate'), `Swift realm="${realm}"`)
    t.equal(await res.text(), '<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the document you requested.</p></html>')
    t.ok(res.headers.get('x-trans-id'))
  }
})

t.test('tokens: accepted in X-Auth-Token and X-Storage-Token, rejected when forged or expired', async (t) => {
  let clock = Date.now()
  const { url } = await setup(t, () => clock)
  const res = await auth(url, '/auth/v1.0', { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' })
  const token = res.headers.get('x-auth-token')!
  for (const name of ['X-Auth-Token', 'X-Storage-Token']) {
    const r = await fetch(`${url}/v1/AUTH_test/c`, { headers: { [name]: token } })
    t.equal(r.status, 200, name)
    t.same(await r.json(), { user: 'test:tester', owner: true })
  }
  // Flip one hex digit of the MAC: 401 naming the account.
  const forged = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0')
  let r = await fetch(`${url}/v1/AUTH_test/c`, { headers: { 'X-Auth-Token': forged } })
  t.equal(r.status, 401)
  t.equal(r.headers.get('www-authenticate'), 'Swift realm="AUTH_test"')
  r = await fetch(`${url}/v1/AUTH_test/c`, { headers: { 'X-Auth-Token': 'AUTH_tknotatoken' } })
  t.equal(r.status, 401)
  // A token signed by another secret is worthless.
  const other = new SignedTokenCodec('another-secret', 'AUTH_').issue({ user: 'test:tester', expiresAt: clock + 1e6 }, 'testing')
  r = await fetch(`${url}/v1/AUTH_test/c`, { headers: { 'X-Auth-Token': other } })
  t.equal(r.status, 401)
  clock += 86_400 * 1000 + 1
  r = await fetch(`${url}/v1/AUTH_test/c`, { headers: { 'X-Auth-Token': token } })
  t.equal(r.status, 401, 'expired after token_life')
})

t.test('a token is valid in every process sharing the secret, and dies with a key change', async (t) => {
  const a = createTempAuth(conf)
  const b = createTempAuth(conf)
  const issued = a.issueToken('test:tester', 'testing')!
  t.equal(b.resolve(issued.token)?.user, 'test:tester')
  t.same(b.resolve(issued.token)?.accounts, ['AUTH_test', 'SERVICE_test'])
  const changed = createTempAuth({ ...conf, user_test_tester: 'newpass .admin' })
  t.equal(changed.resolve(issued.token), undefined)
  const noSecret = createTempAuth({ ...conf, token_secret: '' })
  t.equal(noSecret.config.tokenSecretConfigured, false)
  t.equal(noSecret.resolve(issued.token), undefined)
})

t.test('authorize: anonymous 401, other users 403, ACL grants, reseller admin', async (t) => {
  const { url } = await setup(t)
  const tokenOf = async (user: string, key: string) =>
    (await auth(url, '/auth/v1.0', { 'X-Auth-User': user, 'X-Auth-Key': key })).headers.get('x-auth-token')!
  const tester2 = await tokenOf('test2:tester2', 'testing2')
  const tester3 = await tokenOf('test:tester3', 'testing3')
  const admin = await tokenOf('admin:admin', 'admin')
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(url + path, { method, headers })

  let r = await get('/v1/AUTH_test/c/o')
  t.equal(r.status, 401, 'anonymous denied: 401')
  t.equal(r.headers.get('www-authenticate'), 'Swift realm="AUTH_test"')
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester2 })
  t.equal(r.status, 403, 'authenticated but denied: 403')
  t.match(await r.text(), /<h1>Forbidden<\/h1>/)
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester2, 'x-test-read': 'test2:tester2' })
  t.equal(r.status, 200, 'X-Container-Read: account:user')
  t.same(await r.json(), { user: 'test2:tester2', owner: false })
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester2, 'x-test-read': 'test2' })
  t.equal(r.status, 200, 'X-Container-Read: account')
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester2, 'x-test-read': 'test2:tester2' }, 'PUT')
  t.equal(r.status, 403, 'the read ACL does not grant writes')
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester2, 'x-test-write': 'test2:tester2' }, 'PUT')
  t.equal(r.status, 200, 'X-Container-Write grants object PUT')
  r = await get('/v1/AUTH_test/c', { 'X-Auth-Token': tester2, 'x-test-write': 'test2:tester2' }, 'DELETE')
  t.equal(r.status, 403, 'but not deleting the container')
  r = await get('/v1/AUTH_test/c/o', { 'x-test-read': '.r:*' })
  t.equal(r.status, 200, '.r:* lets anonymous read objects')
  r = await get('/v1/AUTH_test/c', { 'x-test-read': '.r:*' })
  t.equal(r.status, 401, '... but not list without .rlistings')
  r = await get('/v1/AUTH_test/c', { 'x-test-read': '.r:*,.rlistings' })
  t.equal(r.status, 200, '.rlistings allows listing')
  r = await get('/v1/AUTH_test/c/o', { 'x-test-read': '.r:example.com', Referer: 'http://example.com/page' })
  t.equal(r.status, 200, '.r:example.com with that referrer')
  r = await get('/v1/AUTH_test/c/o', { 'x-test-read': '.r:example.com', Referer: 'http://other.com/' })
  t.equal(r.status, 401, '.r:example.com with another referrer')
  r = await get('/v1/AUTH_test/c/o', { 'x-test-read': '.r:*,.r:-bad.com', Referer: 'http://bad.com/' })
  t.equal(r.status, 401, '.r:-bad.com denies that referrer')
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester3 })
  t.equal(r.status, 403, 'a non-admin user of the account needs an ACL')
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester3, 'x-test-read': 'test:tester3' })
  t.equal(r.status, 200)
  r = await get('/v1/AUTH_test2/c/o', { 'X-Auth-Token': admin }, 'DELETE')
  t.equal(r.status, 200, 'reseller admin may act on any account')
  t.same(await r.json(), { user: 'admin:admin', owner: true })
  r = await get('/v1/OTHER_x/c/o', { 'X-Auth-Token': admin })
  t.equal(r.status, 403, 'accounts outside the reseller prefixes are denied')
  r = await get('/v1/OTHER_x/c/o')
  t.equal(r.status, 401)
  r = await get('/v1/AUTH_test/c/o', { 'X-Auth-Token': tester2 }, 'OPTIONS')
  t.equal(r.status, 200, 'OPTIONS is always allowed')
})

t.test('SERVICE_ accounts need the service group (X-Service-Token adds it)', async (t) => {
  const { url } = await setup(t)
  const tokenOf = async (user: string, key: string) =>
    (await auth(url, '/auth/v1.0', { 'X-Auth-User': user, 'X-Auth-Key': key })).headers.get('x-auth-token')!
  const tester = await tokenOf('test:tester', 'testing')
  const tester5 = await tokenOf('test5:tester5', 'testing5')
  let r = await fetch(`${url}/v1/SERVICE_test/c`, { headers: { 'X-Auth-Token': tester } })
  t.equal(r.status, 403, 'owner of SERVICE_test but not in group service')
  r = await fetch(`${url}/v1/SERVICE_test/c`, { headers: { 'X-Auth-Token': tester, 'X-Service-Token': tester5 } })
  t.equal(r.status, 200, 'with a service token')
  r = await fetch(`${url}/v1/AUTH_test/c`, { headers: { 'X-Auth-Token': tester } })
  t.equal(r.status, 200)
})
