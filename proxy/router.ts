// The proxy-server app, last in the pipeline (Swift's proxy/server.py handle_request):
// validates the path (412 for bad UTF-8, 404 for a bad path, 400 for an unknown API
// version), the header limits, calls the auth middleware's authorize once up front and
// routes to the info, account, container or object controller. As Swift's delay_denial,
// container reads and object requests get a second chance once the container's ACLs are known.
import { validApiVersion } from '../common/constraints-check.ts'
import { HttpError } from '../common/http/errors.ts'
import { allowsReservedNames, decodePath, splitPath } from '../common/http/split-path.ts'
import type { AuthorizeTarget, ProxyContext, ProxyMiddleware } from './context.ts'
import { handleAccount } from './controllers/account.ts'
import { handleContainer } from './controllers/container.ts'
import { handleInfo } from './controllers/info.ts'
import { handleObject } from './controllers/object.ts'
import type { ProxyApp } from './proxy-app.ts'

function checkHeaders(app: ProxyApp, ctx: ProxyContext): void {
  const c = app.config.constraints
  const raw = ctx.req.rawHeaders
  if (raw.length / 2 > c.maxMetaCount + 36 + Math.max(c.extraHeaderCount, 0)) throw new HttpError(400, { body: 'Too many headers' })
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).length + 2 + (raw[i + 1] as string).length > c.maxHeaderSize) throw new HttpError(400, { body: 'Header Line Too Long' })
  }
}

const sameTarget = (a: AuthorizeTarget, b: AuthorizeTarget) => a.method === b.method && a.account === b.account && a.container === b.container && a.object === b.object

/**
 * Swift calls authorize before the controller; allowed requests are not asked again, denied
 * ones are retried by controllers that can learn more (ACLs), or answered at once.
 */
function preAuthorize(ctx: ProxyContext, account: string, container: string | undefined, object: string | undefined): void {
  const authorize = ctx.state.authorize
  if (!authorize) return
  const own: AuthorizeTarget = { method: ctx.method, account, container, object, referrer: ctx.get('Referer') || undefined }
  const denial = authorize(own)
  if (!denial) {
    // Other targets (a copy's source) are still checked.
    ctx.state.authorize = (t) => (sameTarget(t, own) ? undefined : authorize(t))
    return
  }
  const delayed = object !== undefined || (container !== undefined && (ctx.method === 'GET' || ctx.method === 'HEAD'))
  if (!delayed) throw denial
}

export function proxyServerApp(app: ProxyApp): ProxyMiddleware {
  return async (ctx) => {
    const path = decodePath(ctx.path, allowsReservedNames(ctx.req.headers))
    const host = (ctx.get('Host') || '').split(':')[0] ?? ''
    if (app.config.denyHostHeaders.includes(host)) throw new HttpError(403, { body: 'Invalid host header' })
    checkHeaders(app, ctx)
    if (path === '/info') return handleInfo(app, ctx)
    let parts: (string | undefined)[]
    try {
      parts = splitPath(path, 1, 4, true)
    } catch {
      throw new HttpError(404)
    }
    const [version, account, container, object] = parts
    if (account && !validApiVersion(version, app.config.constraints)) throw new HttpError(400)
    if (!account) throw new HttpError(412, { body: 'Bad URL' })
    preAuthorize(ctx, account, container, object)
    if (object !== undefined && container !== undefined) return handleObject(app, ctx, { account, container, object })
    if (container !== undefined) return handleContainer(app, ctx, account, container)
    return handleAccount(app, ctx, account)
  }
}
