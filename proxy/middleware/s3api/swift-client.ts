// Swift API subrequests from s3api into the rest of the pipeline (Swift's s3api calls
// `self.app` with a rewritten environ, as many times as a translation needs). Each
// subrequest is a fresh Koa context on a synthetic request, run through the middleware
// after s3api (auth, logging, the proxy-server app); its answer is collected rather than
// sent. The caller's identity and authorize callback travel in the subrequest's state.
import http from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { HttpError } from '../../../common/http/errors.ts'
import type { ProxyContext, ProxyMiddleware, ProxyState } from '../../context.ts'

export type Downstream = (ctx: ProxyContext) => Promise<void>

/** The middleware after `self` in the app's stack, composed (Koa's `next` runs only once per request). */
export function downstreamOf(ctx: ProxyContext, self: ProxyMiddleware): Downstream {
  const stack = (ctx.app as unknown as { middleware: ProxyMiddleware[] }).middleware
  const start = stack.indexOf(self) + 1
  if (start === 0) throw new Error('s3api is not in this app')
  return (sub) => {
    const dispatch = (i: number): Promise<void> => {
      const fn = stack[i]
      if (!fn) return Promise.resolve()
      return Promise.resolve(fn(sub, () => dispatch(i + 1))).then(() => undefined)
    }
    return dispatch(start)
  }
}

export interface SwiftRequest {
  method: string
  container?: string | undefined
  object?: string | undefined
  /** Query parameters (values already decoded). */
  query?: Record<string, string | undefined>
  headers?: Record<string, string | undefined>
  body?: Buffer | Readable
}

export interface SwiftResponse {
  status: number
  /** Lower-cased names. */
  headers: Record<string, string>
  /** A streamed object body, else undefined (use `text()`/`buffer()`). */
  stream: Readable | undefined
  buffer(): Promise<Buffer>
  text(): Promise<string>
  /** Drops an unread stream. */
  discard(): void
}

function encodePath(segment: string): string {
  return encodeURIComponent(segment).replace(/%2F/g, '/')
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

export class SwiftClient {
  constructor(
    private readonly ctx: ProxyContext,
    private readonly downstream: Downstream,
    readonly account: string,
    /** The state each subrequest starts with (identity, authorize bound to that subrequest). */
    private readonly stateFor: () => Partial<ProxyState>,
  ) {}

  path(container?: string, object?: string): string {
    let p = `/v1/${encodePath(this.account)}`
    if (container !== undefined) p += `/${encodePath(container)}`
    if (object !== undefined) p += `/${encodePath(object)}`
    return p
  }

  async request(r: SwiftRequest): Promise<SwiftResponse> {
    const query = Object.entries(r.query ?? {})
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&')
    const url = this.path(r.container, r.object) + (query ? `?${query}` : '')
    const headers: IncomingHttpHeaders = { host: this.ctx.get('Host') || 'localhost', 'user-agent': 'tern-s3api' }
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
    const req = Object.assign(body, {
      method: r.method,
      url,
      headers,
      rawHeaders,
      httpVersion: '1.1',
      httpVersionMajor: 1,
      httpVersionMinor: 1,
      socket: this.ctx.req.socket,
      connection: this.ctx.req.socket,
    }) as unknown as IncomingMessage
    const res = new http.ServerResponse(req)
    const sub = this.ctx.app.createContext(req, res) as ProxyContext
    sub.state = { txnId: this.ctx.state.txnId, log: this.ctx.state.log, keepSysmeta: true, ...this.stateFor() } as ProxyState
    let status: number
    let outHeaders: Record<string, string>
    let payload: unknown
    try {
      await this.downstream(sub)
      status = sub.status
      outHeaders = flatten(sub.response.headers as Record<string, unknown>)
      payload = sub.body
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      status = err.status
      outHeaders = flatten(err.headers)
      payload = r.method === 'HEAD' ? undefined : err.renderBody()
    }
    if (!body.readableEnded && r.body !== undefined && !Buffer.isBuffer(r.body)) {
      // A refused upload: nothing more of the client's body is wanted.
      body.resume()
    }
    const stream = payload instanceof Readable ? payload : undefined
    const fixed = stream ? undefined : Buffer.isBuffer(payload) ? payload : typeof payload === 'string' ? Buffer.from(payload) : payload == null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(payload))
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
}
