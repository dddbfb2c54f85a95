// CORS as Swift's proxy answers it: preflight OPTIONS (200 with Access-Control-Allow-*, or
// 401), and Allow-Origin / Expose-Headers on actual responses, from the container's metadata.
import t from 'tap'
import { HttpError } from '../../../../common/http/errors.ts'
import { silentLogger } from '../../../../common/logger.ts'
import { catchErrors } from '../../../../proxy/middleware/catch-errors.ts'
import { cors, isOriginAllowed, splitApiPath } from '../../../../proxy/middleware/cors.ts'
import type { ContainerInfoView, ProxyMiddleware } from '../../../../proxy/context.ts'
import { serveMiddleware } from '../../../helpers/koa-app.ts'

const containers: Record<string, ContainerInfoView> = {
  'AUTH_test/open': { status: 200, meta: { 'access-control-allow-origin': '*', 'access-control-max-age': '600' } },
  'AUTH_test/listed': {
    status: 200,
    meta: { 'access-control-allow-origin': 'http://a.example.com http://b.example.com', 'access-control-expose-headers': 'X-Custom-One x-custom-two' },
  },
  'AUTH_test/plain': { status: 200, meta: {} },
  'AUTH_test/missing': { status: 404, meta: {} },
}
let lookups = 0
const getContainerInfo = async (_ctx: unknown, account: string, container: string): Promise<ContainerInfoView> => {
  lookups++
  return containers[`${account}/${container}`] ?? { status: 404, meta: {} }
}

/** Stands in for the controllers: OPTIONS answers 200 with an Allow list, as theirs do. */
const CONTROLLER_METHODS = ['COPY', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']
const app: ProxyMiddleware = async (ctx) => {
  if (ctx.method === 'OPTIONS') {
    ctx.set('Allow', CONTROLLER_METHODS.join(', '))
    ctx.body = ''
    return
  }
  if (ctx.path.endsWith('/denied')) throw new HttpError(401)
  ctx.set('X-Object-Meta-Color', 'blue')
  ctx.set('Etag', '"abc"')
  ctx.body = 'data'
}

async function setup(t: { teardown(fn: () => unknown): void }, options: Parameters<typeof cors>[0] = {}) {
  const { url } = await serveMiddleware(t, [catchErrors({ logger: silentLogger }), cors({ getContainerInfo, ...options }), app])
  return url
}

const preflight = (url: string, path: string, headers: Record<string, string>) => fetch(url + path, { method: 'OPTIONS', headers })

t.test('path parsing and origin matching', async (t) => {
  t.same(splitApiPath('/v1/AUTH_test/c/o/with/slashes'), { account: 'AUTH_test', container: 'c', object: 'o/with/slashes' })
  t.same(splitApiPath('/v1.0/AUTH_test'), { account: 'AUTH_test', container: undefined, object: undefined })
  t.equal(splitApiPath('/info'), undefined)
  t.equal(splitApiPath('/v2/AUTH_test/c'), undefined)
  t.ok(isOriginAllowed({ allowOrigin: 'http://a.com  http://b.com' }, 'http://b.com', []))
  t.notOk(isOriginAllowed({ allowOrigin: 'http://a.com' }, 'http://c.com', []))
  t.ok(isOriginAllowed({}, 'http://c.com', ['http://c.com']), 'cors_allow_origin from the proxy config')
  t.ok(isOriginAllowed({ allowOrigin: '*' }, 'http://anything', []))
})

t.test('preflight to a container allowing every origin', async (t) => {
  const url = await setup(t)
  const r = await preflight(url, '/v1/AUTH_test/open/obj', {
    Origin: 'http://site.example',
    'Access-Control-Request-Method': 'PUT',
    'Access-Control-Request-Headers': 'x-auth-token, content-type',
  })
  t.equal(r.status, 200)
  t.equal(r.headers.get('access-control-allow-origin'), '*')
  t.equal(r.headers.get('access-control-max-age'), '600')
  t.same(r.headers.get('access-control-allow-methods')!.split(', '), CONTROLLER_METHODS, 'the controller\'s methods')
  t.equal(r.headers.get('access-control-allow-headers'), 'x-auth-token, content-type')
  t.equal(r.headers.get('vary'), 'Access-Control-Request-Headers')
  t.ok(r.headers.get('allow'))
  t.ok(r.headers.get('x-trans-id'))
  t.equal(await r.text(), '')
})

t.test('preflight to a container listing origins echoes the origin and varies on it', async (t) => {
  const url = await setup(t)
  const r = await preflight(url, '/v1/AUTH_test/listed', { Origin: 'http://b.example.com', 'Access-Control-Request-Method': 'GET' })
  t.equal(r.status, 200)
  t.equal(r.headers.get('access-control-allow-origin'), 'http://b.example.com')
  t.equal(r.headers.get('vary'), 'Origin')
  t.equal(r.headers.get('access-control-max-age'), null)
})

t.test('preflight refusals answer 401 as Swift', async (t) => {
  const url = await setup(t)
  const cases: [string, Record<string, string>][] = [
    ['/v1/AUTH_test/listed/o', { Origin: 'http://evil.example.com', 'Access-Control-Request-Method': 'GET' }],
    ['/v1/AUTH_test/plain/o', { Origin: 'http://a.example.com', 'Access-Control-Request-Method': 'GET' }],
    ['/v1/AUTH_test/missing/o', { Origin: 'http://a.example.com', 'Access-Control-Request-Method': 'GET' }],
    ['/v1/AUTH_test/open/o', { Origin: 'http://a.example.com', 'Access-Control-Request-Method': 'PATCH' }],
    ['/v1/AUTH_test/open/o', { Origin: 'http://a.example.com' }],
  ]
  for (const [path, headers] of cases) {
    const r = await preflight(url, path, headers)
    t.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`)
    t.equal(r.headers.get('access-control-allow-origin'), null)
    t.match(await r.text(), /<h1>Unauthorized<\/h1>/)
  }
})

t.test('OPTIONS without Origin, or on an account, is a plain 200 with Allow', async (t) => {
  const url = await setup(t)
  const before = lookups
  let r = await preflight(url, '/v1/AUTH_test/listed/o', {})
  t.equal(r.status, 200)
  t.same(r.headers.get('allow')!.split(', '), CONTROLLER_METHODS)
  t.equal(r.headers.get('access-control-allow-origin'), null)
  r = await preflight(url, '/v1/AUTH_test', { Origin: 'http://evil.example.com', 'Access-Control-Request-Method': 'GET' })
  t.equal(r.status, 200)
  t.equal(lookups, before, 'no container lookups for either')
})

t.test('cors_allow_origin from the proxy config admits an origin on any container', async (t) => {
  const url = await setup(t, { allowOrigin: ['http://ops.example.com'] })
  const r = await preflight(url, '/v1/AUTH_test/plain/o', { Origin: 'http://ops.example.com', 'Access-Control-Request-Method': 'DELETE' })
  t.equal(r.status, 200)
  t.equal(r.headers.get('access-control-allow-origin'), 'http://ops.example.com')
})

t.test('actual responses carry Allow-Origin and Expose-Headers for allowed origins only', async (t) => {
  const url = await setup(t, { exposeHeaders: ['X-Proxy-Wide'] })
  let r = await fetch(`${url}/v1/AUTH_test/listed/o`, { headers: { Origin: 'http://a.example.com' } })
  t.equal(r.status, 200)
  t.equal(r.headers.get('access-control-allow-origin'), 'http://a.example.com')
  t.equal(r.headers.get('vary'), 'Origin')
  const exposed = r.headers.get('access-control-expose-headers')!.split(', ')
  for (const h of ['etag', 'x-trans-id', 'content-type', 'x-object-meta-color', 'x-custom-one', 'x-custom-two', 'x-proxy-wide']) {
    t.ok(exposed.includes(h), `exposes ${h}`)
  }
  r = await fetch(`${url}/v1/AUTH_test/open/o`, { headers: { Origin: 'http://z.example.com' } })
  t.equal(r.headers.get('access-control-allow-origin'), '*')
  t.equal(r.headers.get('vary'), null)
  r = await fetch(`${url}/v1/AUTH_test/listed/o`, { headers: { Origin: 'http://evil.example.com' } })
  t.equal(r.status, 200)
  t.equal(r.headers.get('access-control-allow-origin'), null, 'strict mode: nothing for a disallowed origin')
  r = await fetch(`${url}/v1/AUTH_test/listed/o`)
  t.equal(r.headers.get('access-control-allow-origin'), null, 'not a CORS request')
  r = await fetch(`${url}/v1/AUTH_test/listed/denied`, { headers: { Origin: 'http://a.example.com' } })
  t.equal(r.status, 401)
  t.equal(r.headers.get('access-control-allow-origin'), 'http://a.example.com', 'error responses are decorated too')
})

t.test('non-strict mode decorates responses to any origin', async (t) => {
  const url = await setup(t, { strictMode: false })
  const r = await fetch(`${url}/v1/AUTH_test/plain/o`, { headers: { Origin: 'http://evil.example.com' } })
  t.equal(r.headers.get('access-control-allow-origin'), 'http://evil.example.com')
})
