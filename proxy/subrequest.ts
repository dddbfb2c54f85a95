// Requests a middleware makes into the rest of the pipeline (Swift's make_subrequest /
// WSGIContext): a fresh Koa context on a synthetic request, run through the middleware after
// the caller (and then the proxy-server app); the answer is collected, not sent. By default
// the subrequest carries the caller's identity and authorize callback, so segments, versions
// and targets are authorized as the client (as Swift copies swift.authorize into the
// subrequest's environ). s3api's swift-client.ts does the same for account-bound paths.
import http from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { HttpError } from '../common/http/errors.ts'
import type { ProxyContext, ProxyMiddleware, ProxyState } from './context.ts'

export type Downstream = (ctx: ProxyContext) => Promise<void>

const CLIENT_SOCKET = Symbol('tern.subrequest.clientSocket')

/** The middleware after `self` in the app's stack, composed (Koa's `next` runs once per request). */
export function downstreamOf(ctx: ProxyContext, self: ProxyMiddleware): Downstream {
  const stack = (ctx.app as unknown as { middleware: ProxyMiddleware[] }).middleware
  const start = stack.indexOf(self) + 1
  if (start === 0) throw new Error('middleware is not in this app')
  return (sub) => {
    const dispatch = (i: number): Promise<void> => {
      const fn = stack[i]
      if (!fn) return Promise.resolve()
      return Promise.resolve(fn(sub, () => dispatch(i + 1))).then(() => undefined)
    }
    return dispatch(start)
  }
}

export interface SubrequestOptions {
  method: string
  /** The quoted path, e.g. "/v1/AUTH_test/c/o" (see quoteSwiftPath). */
  path: string
  /** Query parameters (values unencoded). */
  query?: Record<string, string | undefined>
  headers?: Record<string, string | undefined>
  body?: Buffer | Readable
  /** State overrides (e.g. an authorize that allows, swiftOwner). */
  state?: Partial<ProxyState>
  userAgent?: string
}

export interface SubResponse {
  status: number
  /** Lower-cased names. */
  headers: Record<string, string>
  /** A streamed body (objects), else undefined (use `buffer()`/`text()`). */
  stream: Readable | undefined
  buffer(): Promise<Buffer>
  text(): Promise<string>
  /** Drops an unread stream. */
  discard(): void
}

/** Percent-encodes each segment of a Swift path, keeping the slashes. */
export function quoteSwiftPath(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(s)).join('/')
}

function flatten(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v)
  }
  return out
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string))
  return Buffer.concat(chunks)
}

/** Runs one subrequest through `downstream` on behalf of `ctx`. */
export async function subrequest(ctx: ProxyContext, downstream: Downstream, r: SubrequestOptions): Promise<SubResponse> {
  const query = Object.entries(r.query ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&')
  const url = r.path + (query ? `?${query}` : '')
  const headers: IncomingHttpHeaders = { host: ctx.get('Host') || 'localhost', 'user-agent': r.userAgent ?? `${ctx.get('User-Agent') || 'tern'} subrequest` }
  for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v
  let body: Readable
  if (r.body === undefined) {
    body = Readable.from([])
    if (r.method === 'PUT' || r.method === 'POST') headers['content-length'] ??= '0'
  } else if (Buffer.isBuffer(r.body)) {
    body = Readable.from([r.body])
    headers['content-length'] = String(r.body.length)
  } else body = r.body
  const rawHeaders: string[] = []
  for (const [k, v] of Object.entries(headers)) rawHeaders.push(k, String(v))
  // A subrequest's body may be a backend answer whose socket Node clears once it is read:
  // nested subrequests keep the client's socket (Koa reads it for ctx.href and ctx.ip).
  const socket = (ctx.req as unknown as Record<symbol, unknown>)[CLIENT_SOCKET] ?? ctx.req.socket
  const req = Object.assign(body, {
    method: r.method,
    url,
    headers,
    rawHeaders,
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    socket,
    connection: socket,
    [CLIENT_SOCKET]: socket,
  }) as unknown as IncomingMessage
  const res = new http.ServerResponse(req)
  const sub = ctx.app.createContext(req, res) as ProxyContext
  const parent = ctx.state
  sub.state = {
    txnId: parent.txnId,
    log: parent.log,
    authorize: parent.authorize,
    identity: parent.identity,
    swiftOwner: parent.swiftOwner,
    resellerRequest: parent.resellerRequest,
    keepSysmeta: true,
    ...r.state,
  } as ProxyState
  let status: number
  let outHeaders: Record<string, string>
  let payload: unknown
  try {
    await downstream(sub)
    status = sub.status
    outHeaders = flatten(sub.response.headers as Record<string, unknown>)
    payload = sub.body
  } catch (err) {
    if (!(err instanceof HttpError)) throw err
    status = err.status
    outHeaders = flatten(err.headers)
    payload = r.method === 'HEAD' ? undefined : err.renderBody()
  }
  if (r.body !== undefined && !Buffer.isBuffer(r.body) && !body.readableEnded) body.resume()
  const stream = payload instanceof Readable ? payload : undefined
  const fixed = stream
    ? undefined
    : Buffer.isBuffer(payload)
      ? payload
      : typeof payload === 'string'
        ? Buffer.from(payload)
        : payload == null
          ? Buffer.alloc(0)
          : Buffer.from(JSON.stringify(payload))
  const buffer = async () => (stream ? collect(stream) : (fixed as Buffer))
  return {
    status,
    headers: outHeaders,
    stream,
    buffer,
    text: async () => (await buffer()).toString('utf8'),
    discard: () => {
      if (stream && !stream.readableEnded) stream.destroy()
    },
  }
}

/** Replaces the client's answer with a subrequest's, `extra` headers added. */
export async function relayResponse(ctx: ProxyContext, sub: SubResponse, extra: Record<string, string> = {}): Promise<void> {
  const keep = new Set(['x-trans-id', 'x-openstack-request-id'])
  for (const name of ctx.res.getHeaderNames()) if (!keep.has(name)) ctx.res.removeHeader(name)
  if (ctx.method === 'HEAD' || sub.status === 204 || sub.status === 304) {
    ctx.body = null
    sub.discard()
  } else ctx.body = sub.stream ?? (await sub.buffer())
  ctx.status = sub.status
  for (const [k, v] of Object.entries(sub.headers)) if (!keep.has(k) && (ctx.state.keepSysmeta || !k.includes('-sysmeta-'))) ctx.set(k, v)
  for (const [k, v] of Object.entries(extra)) ctx.set(k, v)
}

/**
 * Lets a middleware see the system metadata of the answer to `ctx` (the gatekeeper hides it
 * from clients): runs `fn` with it kept, then strips it again unless an outer layer asked too.
 */
export async function withSysmeta(ctx: ProxyContext, fn: () => Promise<void>): Promise<void> {
  const outer = ctx.state.keepSysmeta === true
  ctx.state.keepSysmeta = true
  try {
    await fn()
  } finally {
    if (!outer) {
      ctx.state.keepSysmeta = false
      if (!ctx.res.headersSent) for (const name of ctx.res.getHeaderNames()) if (name.includes('-sysmeta-')) ctx.res.removeHeader(name)
    }
  }
}

/**
 * Makes a subrequest's answer the answer to `ctx` (status, headers, body), keeping the
 * transaction id headers; as Swift's middleware returning a subrequest's response.
 */
export async function respondWithSubresponse(ctx: ProxyContext, sub: SubResponse, status = sub.status): Promise<void> {
  const previous = ctx.body as { destroy?: () => void } | null
  if (previous && previous !== sub.stream && typeof previous.destroy === 'function') previous.destroy()
  const keep = new Set(['x-trans-id', 'x-openstack-request-id'])
  for (const name of ctx.res.getHeaderNames()) if (!keep.has(name)) ctx.res.removeHeader(name)
  if (ctx.method === 'HEAD' || status === 204 || status === 304) {
    ctx.body = null
    sub.discard()
  } else ctx.body = sub.stream ?? (await sub.buffer())
  ctx.status = status
  for (const [k, v] of Object.entries(sub.headers)) if (!keep.has(k)) ctx.set(k, v)
}
