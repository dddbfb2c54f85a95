// The proxy's error boundary, healthcheck and access log, over real HTTP.
import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { HttpError } from '../../../../common/http/errors.ts'
import { createLogger, silentLogger } from '../../../../common/logger.ts'
import { catchErrors, generateTransId, realmOf } from '../../../../proxy/middleware/catch-errors.ts'
import { healthcheck } from '../../../../proxy/middleware/healthcheck.ts'
import { proxyLogging } from '../../../../proxy/middleware/proxy-logging.ts'
import type { ProxyMiddleware } from '../../../../proxy/context.ts'
import { serveMiddleware } from '../../../helpers/koa-app.ts'

/** A logger whose lines the test can read. */
function captureLogger() {
  const stream = new PassThrough()
  const lines: Record<string, unknown>[] = []
  const waiters: { test: () => boolean; resolve: () => void }[] = []
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>)
    for (const w of [...waiters]) if (w.test()) waiters.splice(waiters.indexOf(w), 1) && w.resolve()
  })
  /** Resolves once `test` holds over the lines logged so far (checked on every new line). */
  const waitFor = (test: () => boolean) => new Promise<void>((resolve) => (test() ? resolve() : waiters.push({ test, resolve })))
  return { logger: createLogger({ stream, level: 'debug' }), lines, waitFor }
}

const throwing: ProxyMiddleware = async (ctx) => {
  ctx.set('X-Leaked', 'yes')
  if (ctx.path === '/http') throw new HttpError(412, { headers: { 'X-Reason': 'test' } })
  if (ctx.path === '/custom') throw new HttpError(400, { body: 'bad thing', headers: { 'Content-Type': 'text/plain' } })
  if (ctx.path === '/401') throw new HttpError(401)
  if (ctx.path === '/v1/AUTH_x/401') throw new HttpError(401)
  if (ctx.path === '/204') throw new HttpError(204)
  if (ctx.path === '/boom') throw new Error('kaboom')
  ctx.status = 200
  ctx.body = 'fine'
}

t.test('transaction ids look like Swift\'s and carry the suffix', async (t) => {
  const id = generateTransId('-extra', 0x65000000 * 1000)
  t.match(id, /^tx[0-9a-f]{21}-0065000000-extra$/)
  t.not(generateTransId(), generateTransId())
  t.equal(realmOf('/v1/AUTH_test/c'), 'AUTH_test')
  t.equal(realmOf('/auth/v1.0'), 'unknown')
  t.equal(realmOf('/x'), 'unknown')
})

t.test('HttpError renders Swift\'s response; other errors a logged 500; every response has a trans id', async (t) => {
  const { logger, lines } = captureLogger()
  const { url } = await serveMiddleware(t, [catchErrors({ logger, transIdSuffix: 'sfx' }), throwing])
  let r = await fetch(`${url}/ok`, { headers: { 'X-Trans-Id-Extra': 'hello' } })
  t.equal(r.status, 200)
  const txn = r.headers.get('x-trans-id')!
  t.match(txn, /^tx[0-9a-f]{21}-[0-9a-f]{10}sfx-hello$/)
  t.equal(r.headers.get('x-openstack-request-id'), txn)
  t.equal(await r.text(), 'fine')

  r = await fetch(`${url}/http`)
  t.equal(r.status, 412)
  t.equal(r.headers.get('x-reason'), 'test')
  t.equal(r.headers.get('x-leaked'), null, 'headers set before the error are dropped')
  t.equal(r.headers.get('content-type'), 'text/html; charset=UTF-8')
  t.equal(await r.text(), '<html><h1>Precondition Failed</h1><p>A precondition for this request was not met.</p></html>')
  t.ok(r.headers.get('x-trans-id'))

  r = await fetch(`${url}/custom`)
  t.equal(r.status, 400)
  t.equal(r.headers.get('content-type'), 'text/plain')
  t.equal(await r.text(), 'bad thing')

  r = await fetch(`${url}/v1/AUTH_x/401`)
  t.equal(r.status, 401)
  t.equal(r.headers.get('www-authenticate'), 'Swift realm="AUTH_x"')
  r = await fetch(`${url}/401`)
  t.equal(r.headers.get('www-authenticate'), 'Swift realm="unknown"')

  r = await fetch(`${url}/204`)
  t.equal(r.status, 204)
  t.equal(await r.text(), '')

  r = await fetch(`${url}/boom`)
  t.equal(r.status, 500)
  t.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8')
  t.equal(await r.text(), 'An error occurred')
  const txn500 = r.headers.get('x-trans-id')
  const logged = lines.find((l) => l.msg === 'Error: An error occurred')
  t.ok(logged, 'the 500 is logged')
  t.equal(logged?.txn, txn500, 'with the transaction id')
  t.match((logged?.err as { message?: string })?.message, 'kaboom')

  r = await fetch(`${url}/http`, { method: 'HEAD' })
  t.equal(r.status, 412)
  t.equal(await r.text(), '', 'HEAD has no body')
  t.ok(r.headers.get('x-trans-id'))
})

t.test('healthcheck: OK, then DISABLED BY FILE while the file exists', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tern-hc-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const disable = join(dir, 'disabled')
  const { url } = await serveMiddleware(t, [catchErrors({ logger: silentLogger }), healthcheck({ disablePath: disable }), throwing])
  let r = await fetch(`${url}/healthcheck`)
  t.equal(r.status, 200)
  t.equal(await r.text(), 'OK')
  t.ok(r.headers.get('x-trans-id'))
  await writeFile(disable, '')
  r = await fetch(`${url}/healthcheck`)
  t.equal(r.status, 503)
  t.equal(await r.text(), 'DISABLED BY FILE')
  r = await fetch(`${url}/healthcheckx`)
  t.equal(await r.text(), 'fine', 'other paths pass through')
})

t.test('proxy-logging: one JSON line per request, from the innermost instance', async (t) => {
  const { logger, lines, waitFor } = captureLogger()
  const echo: ProxyMiddleware = async (ctx) => {
    ctx.state.identity = { user: 'test:tester', groups: [], accounts: [], isAdmin: false, isResellerAdmin: false }
    const chunks: Buffer[] = []
    for await (const c of ctx.req) chunks.push(c as Buffer)
    ctx.status = 201
    ctx.body = Buffer.concat(chunks).toString().toUpperCase() + '!'
  }
  const early: ProxyMiddleware = async (ctx, next) => {
    if (ctx.path === '/early') {
      ctx.state.source = 'early'
      ctx.body = 'answered early'
      return
    }
    await next()
  }
  const { url } = await serveMiddleware(t, [
    catchErrors({ logger: silentLogger }),
    proxyLogging({ logger }),
    early,
    proxyLogging({ logger }),
    echo,
  ])
  const seen = waitFor(() => lines.filter((l) => l.msg === 'access').length >= 2)
  const r = await fetch(`${url}/v1/AUTH_test/c/o?x=1`, { method: 'PUT', body: 'hello world', headers: { 'User-Agent': 'tap-test', 'X-Forwarded-For': '10.1.2.3, 10.0.0.1' } })
  t.equal(await r.text(), 'HELLO WORLD!')
  const r2 = await fetch(`${url}/early`)
  t.equal(await r2.text(), 'answered early')
  await seen
  const access = lines.filter((l) => l.msg === 'access')
  t.equal(access.length, 2, 'exactly one line per request')
  const [first, second] = access
  t.match(first, {
    method: 'PUT',
    path: '/v1/AUTH_test/c/o?x=1',
    status: 201,
    bytesIn: 11,
    bytesOut: 12,
    txn: r.headers.get('x-trans-id'),
    clientIp: '10.1.2.3',
    remoteAddr: '127.0.0.1',
    userAgent: 'tap-test',
    user: 'test:tester',
  })
  t.type(first?.ms, 'number')
  t.match(second, { method: 'GET', path: '/early', status: 200, bytesOut: 14, source: 'early', txn: r2.headers.get('x-trans-id') })
})
