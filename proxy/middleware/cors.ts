// Cross-origin resource sharing as Swift's proxy does it (swift/proxy/controllers/base.py:
// Controller.OPTIONS, is_origin_allowed and the cors_validation decorator), as one
// middleware: it turns the controllers' answer to OPTIONS (200 with their Allow list) into
// a preflight answer when the request carries an Origin, and decorates the responses to
// other requests carrying one.
//
// The allowed origins of a container are its X-Container-Meta-Access-Control-Allow-Origin
// (space separated) plus the proxy's cors_allow_origin; -Max-Age and -Expose-Headers come from
// the container too. strict_cors_mode (default true) leaves responses to disallowed origins
// undecorated.
import { HttpError } from '../../common/http/errors.ts'
import { iniBool } from '../../common/config/ini.ts'
import type { ContainerInfoView, MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'

/** The methods Swift's controllers expose, for when the controller's answer names none. */
export const ALLOWED_METHODS = Object.freeze(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'])

/** Always exposed (Swift: simple response headers, etag, x-timestamp, x-trans-id...). */
const BASE_EXPOSE_HEADERS = Object.freeze([
  'cache-control',
  'content-language',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
  'etag',
  'x-timestamp',
  'x-trans-id',
  'x-openstack-request-id',
])

export interface CorsInfo {
  allowOrigin?: string | undefined
  exposeHeaders?: string | undefined
  maxAge?: string | undefined
}

export interface CorsOptions {
  /** The proxy's cors_allow_origin (comma separated in the config). */
  allowOrigin?: readonly string[]
  /** The proxy's cors_expose_headers. */
  exposeHeaders?: readonly string[]
  strictMode?: boolean
  getContainerInfo?: MiddlewareDeps['getContainerInfo']
}

function metaValue(meta: Readonly<Record<string, string>>, key: string): string | undefined {
  if (key in meta) return meta[key]
  for (const [k, v] of Object.entries(meta)) if (k.toLowerCase() === key) return v
  return undefined
}

export function corsInfoOf(info: ContainerInfoView | undefined): CorsInfo {
  if (!info || info.status < 200 || info.status >= 300) return {}
  return {
    allowOrigin: metaValue(info.meta, 'access-control-allow-origin'),
    exposeHeaders: metaValue(info.meta, 'access-control-expose-headers'),
    maxAge: metaValue(info.meta, 'access-control-max-age'),
  }
}

/** Swift's is_origin_allowed. */
export function isOriginAllowed(cors: CorsInfo, origin: string, proxyAllowed: readonly string[]): boolean {
  const allowed = new Set<string>(proxyAllowed)
  for (const o of (cors.allowOrigin ?? '').split(' ')) if (o.trim()) allowed.add(o.trim())
  return allowed.has(origin) || allowed.has('*')
}

interface ApiPath {
  account: string
  container: string | undefined
  object: string | undefined
}

/** /<version>/<account>[/<container>[/<object>]] for the API versions Swift serves, else undefined. */
export function splitApiPath(path: string): ApiPath | undefined {
  const m = /^\/(v1|v1\.0)\/([^/]+)(?:\/([^/]+)(?:\/(.+))?)?\/?$/s.exec(path)
  if (!m) return undefined
  return { account: m[2]!, container: m[3] || undefined, object: m[4] || undefined }
}

function csvList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)
}

/** The headers Swift's OPTIONS answers with; undefined status means "no CORS checks applied". */
export function preflightResponse(
  request: { origin?: string | undefined; requestMethod?: string | undefined; requestHeaders?: string | undefined },
  cors: CorsInfo | undefined,
  proxyAllowed: readonly string[],
  allowedMethods: readonly string[] = ALLOWED_METHODS,
): { status: number; headers: Record<string, string> } {
  const headers: Record<string, string> = { Allow: allowedMethods.join(', ') }
  // Not a CORS preflight, or an account (Swift has no CORS at the account level).
  if (!request.origin || cors === undefined) return { status: 200, headers }
  if (!isOriginAllowed(cors, request.origin, proxyAllowed) || !allowedMethods.includes(request.requestMethod ?? '')) {
    return { status: 401, headers }
  }
  const vary: string[] = []
  if (cors.allowOrigin?.trim() === '*') {
    headers['Access-Control-Allow-Origin'] = '*'
  } else {
    headers['Access-Control-Allow-Origin'] = request.origin
    vary.push('Origin')
  }
  if (cors.maxAge !== undefined) headers['Access-Control-Max-Age'] = cors.maxAge
  headers['Access-Control-Allow-Methods'] = allowedMethods.join(', ')
  const requested = [...new Set(csvList(request.requestHeaders))]
  if (requested.length) {
    headers['Access-Control-Allow-Headers'] = requested.join(', ')
    vary.push('Access-Control-Request-Headers')
  }
  if (vary.length) headers.Vary = vary.join(', ')
  return { status: 200, headers }
}

/**
 * The headers cors_validation adds to an actual response; `responseHeaders` are the
 * response's own (any case), read for user metadata names and existing CORS headers.
 */
export function actualResponseHeaders(
  origin: string,
  cors: CorsInfo,
  responseHeaders: Readonly<Record<string, string | string[] | number | undefined>>,
  options: { proxyAllowed: readonly string[]; proxyExpose: readonly string[]; strict: boolean },
): Record<string, string> {
  if (options.strict && !isOriginAllowed(cors, origin, options.proxyAllowed)) return {}
  const lower = new Map(Object.entries(responseHeaders).map(([k, v]) => [k.toLowerCase(), v]))
  const out: Record<string, string> = {}
  if (!lower.has('access-control-expose-headers')) {
    const expose = new Set<string>([...BASE_EXPOSE_HEADERS, ...options.proxyExpose.map((h) => h.toLowerCase())])
    for (const name of lower.keys()) if (name.startsWith('x-container-meta') || name.startsWith('x-object-meta')) expose.add(name)
    for (const h of (cors.exposeHeaders ?? '').split(' ')) if (h.trim()) expose.add(h.trim().toLowerCase())
    out['Access-Control-Expose-Headers'] = [...expose].join(', ')
  }
  if (!lower.has('access-control-allow-origin')) {
    if (cors.allowOrigin?.trim() === '*') {
      out['Access-Control-Allow-Origin'] = '*'
    } else {
      out['Access-Control-Allow-Origin'] = origin
      const vary = lower.get('vary')
      out.Vary = vary ? `${String(vary)}, Origin` : 'Origin'
    }
  }
  return out
}

async function lookupCors(ctx: ProxyContext, options: CorsOptions, api: ApiPath): Promise<CorsInfo> {
  if (!options.getContainerInfo || !api.container) return {}
  try {
    return corsInfoOf(await options.getContainerInfo(ctx, api.account, api.container))
  } catch (err) {
    ctx.state.log.warn('cors: container info unavailable', { err })
    return {}
  }
}

export function cors(options: CorsOptions = {}): ProxyMiddleware {
  const proxyAllowed = options.allowOrigin ?? []
  const proxyExpose = options.exposeHeaders ?? []
  const strict = options.strictMode ?? true
  return async (ctx, next) => {
    const api = splitApiPath(ctx.path)
    if (!api) return next()
    const origin = ctx.get('Origin') || undefined
    if (ctx.method === 'OPTIONS') {
      // Plain OPTIONS, and OPTIONS on an account (Swift has no CORS there), are the
      // controllers' to answer with their Allow list.
      if (!origin || !api.container) return next()
      const info = await lookupCors(ctx, options, api)
      await next()
      if (ctx.status !== 200) return
      const allowed = csvList(ctx.response.get('Allow') || ALLOWED_METHODS.join(', '))
      const answer = preflightResponse(
        { origin, requestMethod: ctx.get('Access-Control-Request-Method') || undefined, requestHeaders: ctx.get('Access-Control-Request-Headers') || undefined },
        info,
        proxyAllowed,
        allowed,
      )
      ctx.status = answer.status
      ctx.set(answer.headers)
      if (answer.status === 401) {
        ctx.type = 'text/html; charset=UTF-8'
        ctx.body = new HttpError(401).renderBody()
      } else {
        ctx.body = ''
        ctx.remove('Content-Type')
      }
      return
    }
    if (!origin || !api.container) return next()
    const info = await lookupCors(ctx, options, api)
    const decorate = { proxyAllowed, proxyExpose, strict }
    try {
      await next()
    } catch (err) {
      if (err instanceof HttpError) Object.assign(err.headers, actualResponseHeaders(origin, info, err.headers, decorate))
      throw err
    }
    const extra = actualResponseHeaders(origin, info, ctx.response.headers as Record<string, string>, decorate)
    if (!ctx.res.headersSent) ctx.set(extra)
  }
}

export const corsFactory: MiddlewareFactory = {
  name: 'cors',
  create: (conf, deps) =>
    cors({
      allowOrigin: csvList(conf.cors_allow_origin),
      exposeHeaders: csvList(conf.cors_expose_headers),
      strictMode: iniBool(conf.strict_cors_mode, true),
      getContainerInfo: deps.getContainerInfo,
    }),
}
