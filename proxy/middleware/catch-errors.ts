// The proxy's single error boundary (Swift's catch_errors middleware, first in the pipeline):
// gives every request a transaction id, turns a thrown HttpError into Swift's response and
// anything else into a 500 with a log line, and stamps X-Trans-Id / X-Openstack-Request-Id
// on every response.
import { randomUUID } from 'node:crypto'
import { HttpError } from '../../common/http/errors.ts'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import type { Logger } from '../../common/logger.ts'

/** Swift's generate_trans_id: "tx" + 21 hex + "-" + 10-hex-digit epoch seconds + suffix. */
export function generateTransId(suffix = '', now: number = Date.now()): string {
  const random = randomUUID().replace(/-/g, '').slice(0, 21)
  const seconds = Math.floor(now / 1000).toString(16).padStart(10, '0')
  return `tx${random}-${seconds}${encodeURIComponent(suffix).replace(/%2F/g, '/')}`
}

/** The realm Swift puts in Www-Authenticate: the account of /<version>/<account>/..., else "unknown". */
export function realmOf(path: string): string {
  const segs = path.split('/')
  const realm = segs[0] === '' && segs[1] && segs[2] ? segs[2] : 'unknown'
  return realm === 'v1.0' || realm === 'auth' ? 'unknown' : realm
}

function setTransId(ctx: ProxyContext, txnId: string): void {
  if (ctx.res.headersSent) return
  ctx.set('X-Trans-Id', txnId)
  ctx.set('X-Openstack-Request-Id', txnId)
}

/** A thrown 401 names a realm, as swob adds one to any 401 it constructs without one. */
function ensureWwwAuthenticate(ctx: ProxyContext): void {
  if (ctx.status === 401 && !ctx.response.get('Www-Authenticate')) {
    ctx.set('Www-Authenticate', `Swift realm="${encodeURIComponent(realmOf(ctx.path))}"`)
  }
}

function renderHttpError(ctx: ProxyContext, err: HttpError): void {
  ctx.status = err.status
  let hasType = false
  for (const [name, value] of Object.entries(err.headers)) {
    ctx.set(name, value)
    if (name.toLowerCase() === 'content-type') hasType = true
  }
  const body = err.renderBody()
  if (body) {
    if (!hasType) ctx.type = 'text/html; charset=UTF-8'
    ctx.body = body
  } else {
    ctx.body = null
    // Koa turns a null body into 204; put the status back and say "no body" explicitly.
    ctx.status = err.status
    ctx.length = 0
  }
}

function clearHeaders(ctx: ProxyContext): void {
  for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name)
}

export interface CatchErrorsOptions {
  transIdSuffix?: string
  logger: Logger
}

export function catchErrors(options: CatchErrorsOptions): ProxyMiddleware {
  const baseSuffix = options.transIdSuffix ?? ''
  return async (ctx, next) => {
    const extra = ctx.get('X-Trans-Id-Extra')
    const txnId = generateTransId(extra ? `${baseSuffix}-${extra.slice(0, 32)}` : baseSuffix)
    ctx.state.txnId = txnId
    ctx.state.log = options.logger.child({ txn: txnId })
    setTransId(ctx, txnId)
    try {
      await next()
    } catch (err) {
      if (ctx.res.headersSent || !ctx.writable) {
        // Part of the body is out: the client can only learn of the failure by a cut connection.
        ctx.state.log.error('error after response started', { err, method: ctx.method, path: ctx.url })
        ctx.res.destroy(err instanceof Error ? err : undefined)
        return
      }
      clearHeaders(ctx)
      if (err instanceof HttpError) {
        renderHttpError(ctx, err)
        ensureWwwAuthenticate(ctx)
      } else {
        ctx.state.log.error('Error: An error occurred', { err, method: ctx.method, path: ctx.url })
        ctx.status = 500
        ctx.type = 'text/plain'
        ctx.body = 'An error occurred'
      }
    }
    setTransId(ctx, txnId)
  }
}

export const catchErrorsFactory: MiddlewareFactory = {
  name: 'catch_errors',
  create: (conf, deps) => catchErrors({ transIdSuffix: conf.trans_id_suffix ?? '', logger: deps.logger }),
}
