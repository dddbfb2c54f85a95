// What both versioning modes need around their subrequests (Swift's WSGIContext helpers in
// versioned_writes): pre-authorized subrequests, Swift's error mapping for a failed
// versioning step, copying an object's answer into a PUT, and editing the headers of an
// answer whether the layer below set it or threw it.
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { HttpError } from '../../../common/http/errors.ts'
import type { ProxyContext, ProxyState } from '../../context.ts'
import type { SwiftPath } from '../../request-path.ts'
import type { Downstream, SubResponse } from '../../subrequest.ts'

/** An object request a versioning mode handles: the layers below it, as next and as a subrequest target. */
export interface ObjectCall {
  ctx: ProxyContext
  next: () => Promise<void>
  downstream: Downstream
  p: SwiftPath & { container: string; object: string }
}

/** Swift's make_pre_authed_request: the layers below see no authorize callback. */
export const PRE_AUTHED: Partial<ProxyState> = { authorize: undefined }

/** Swift's MAX_FILE_SIZE: a version copy of anything larger answers 413. */
export const MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024 + 2

export const isSuccess = (status: number) => status >= 200 && status < 300
export const truthy = (v: string | undefined) => v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.trim().toLowerCase())

export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** The client's right to write the object (Swift: swift.authorize with the container's write ACL). */
export function authorizeObjectWrite(ctx: ProxyContext, p: { account: string; container: string; object: string }, acl: { read?: string | undefined; write?: string | undefined }): HttpError | undefined {
  return ctx.state.authorize?.({ method: ctx.method, account: p.account, container: p.container, object: p.object, containerAcl: acl, referrer: ctx.get('Referer') || undefined })
}

/** Swift's _check_response_error (legacy: every client error is a 412). */
export async function checkResponseError(sub: SubResponse, mode: 'legacy' | 'versioning'): Promise<void> {
  if (isSuccess(sub.status)) return
  if (sub.status >= 400 && sub.status < 500) {
    if (mode === 'legacy' || sub.status === 404) {
      sub.discard()
      throw new HttpError(412)
    }
    const body = await sub.text()
    throw new HttpError(sub.status, { body, headers: { ...sub.headers } })
  }
  sub.discard()
  throw new HttpError(503)
}

const NOT_COPIED = new Set(['x-timestamp', 'date', 'last-modified', 'accept-ranges', 'x-trans-id', 'x-openstack-request-id', 'connection', 'transfer-encoding', 'content-location', 'x-object-version-id', 'keep-alive'])

/** The headers of a PUT that stores a copy of `source` (Swift's copy_header_subset minus x-timestamp). */
export function copiedObjectHeaders(source: SubResponse): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(source.headers)) if (!NOT_COPIED.has(k) && !k.startsWith('x-backend-')) out[k] = v
  const sloSize = out['x-object-sysmeta-slo-size']
  if (sloSize && out['content-type'] !== undefined) out['content-type'] += `; swift_bytes=${sloSize}`
  return out
}

/** The client's request headers, minus those a subrequest sets itself. */
export function clientHeaders(ctx: ProxyContext, skip: (name: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (v === undefined || k === 'host' || k === 'content-length' || k === 'transfer-encoding' || k === 'connection' || k === 'expect' || skip(k)) continue
    out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

/** Counts the bytes of a client's upload on their way to the version object. */
export class ByteCounter extends Transform {
  bytes = 0
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    done(null, chunk)
  }
}

/** Read and set headers on an answer, whether it is being set on `ctx` or was thrown. */
export interface AnswerHeaders {
  status: number
  get(name: string): string | undefined
  set(name: string, value: string): void
}

function errorHeaders(err: HttpError): AnswerHeaders {
  const h = err.headers
  const key = (name: string) => Object.keys(h).find((k) => k.toLowerCase() === name.toLowerCase())
  return {
    status: err.status,
    get: (name) => {
      const k = key(name)
      return k === undefined ? undefined : h[k]
    },
    set: (name, value) => {
      const k = key(name)
      if (k !== undefined) delete h[k]
      h[name] = value
    },
  }
}

/** Runs the layers below, then lets `edit` look at and change the answer's headers. */
export async function editAnswer(ctx: ProxyContext, next: () => Promise<void>, edit: (answer: AnswerHeaders) => void | Promise<void>): Promise<void> {
  try {
    await next()
  } catch (err) {
    if (err instanceof HttpError) await edit(errorHeaders(err))
    throw err
  }
  await edit({
    status: ctx.status,
    get: (name) => {
      const v = ctx.response.get(name) as unknown
      return v === '' || v === undefined || v === null ? undefined : String(v)
    },
    set: (name, value) => ctx.set(name, value),
  })
}

/**
 * Runs the layers below on another (quoted) path in the reserved namespace, as Swift's
 * middleware rewriting req.path_info; the layers above see the client's path and headers again.
 */
export async function withReservedPath(ctx: ProxyContext, path: string, query: string, run: () => Promise<void>): Promise<void> {
  const original = ctx.url
  const allowed = ctx.req.headers['x-backend-allow-reserved-names']
  ctx.url = query ? `${path}?${query}` : path
  ctx.req.headers['x-backend-allow-reserved-names'] = 'true'
  try {
    await run()
  } finally {
    ctx.url = original
    if (allowed === undefined) delete ctx.req.headers['x-backend-allow-reserved-names']
    else ctx.req.headers['x-backend-allow-reserved-names'] = allowed
  }
}
