// Answering a GET or HEAD of a large object (SLO or DLO) once its manifest is known, as
// swob's conditional_response does for Swift's middleware: If-Match/If-None-Match against the
// large object's ETag, If-(Un)Modified-Since, HEAD with the whole length, a single Range as
// 206 across segment boundaries (416 when unsatisfiable), else the whole body streamed.
// Several ranges get the whole object (RFC 7233 lets a server ignore Range).
import { conditionalStatus, parseHttpDate } from '../common/http/conditional.ts'
import { defaultBody } from '../common/http/status.ts'
import { contentRange, parseRange, rangesForLength } from '../common/http/range.ts'
import type { ProxyContext } from './context.ts'
import type { SegmentFetch, SegmentPiece } from './segmented-stream.ts'
import { segmentedBody } from './segmented-stream.ts'

export interface LargeObject {
  /** Headers of the manifest's answer worth keeping (metadata, content type, timestamps). */
  headers: Record<string, string>
  /** The large object's ETag, unquoted. */
  etag: string
  length: number
  /** The pieces covering bytes [start, end] (inclusive), in order. */
  pieces(start: number, end: number): AsyncIterable<SegmentPiece>
  fetch: SegmentFetch
}

const DROPPED = new Set(['content-length', 'etag', 'content-range', 'accept-ranges', 'transfer-encoding'])

function stripSwiftBytes(contentType: string): string {
  return contentType.replace(/;\s*swift_bytes=\d+/, '')
}

function discardBody(ctx: ProxyContext): void {
  const body = ctx.body as { destroy?: () => void; resume?: () => void } | null | undefined
  if (body && typeof body.destroy === 'function') body.destroy()
}

export async function sendLargeObject(ctx: ProxyContext, lo: LargeObject, extraHeaders: Record<string, string> = {}): Promise<void> {
  discardBody(ctx)
  ctx.body = null
  for (const name of ctx.res.getHeaderNames()) if (!name.startsWith('x-trans-id') && name !== 'x-openstack-request-id') ctx.res.removeHeader(name)
  for (const [k, v] of Object.entries(lo.headers)) if (!DROPPED.has(k)) ctx.set(k, k === 'content-type' ? stripSwiftBytes(v) : v)
  for (const [k, v] of Object.entries(extraHeaders)) ctx.set(k, v)
  ctx.set('Etag', `"${lo.etag}"`)
  ctx.set('Accept-Ranges', 'bytes')
  const conditional = conditionalStatus(ctx.req.headers, { etag: lo.etag, lastModified: parseHttpDate(lo.headers['last-modified']), status: 200 })
  if (conditional) {
    ctx.status = conditional
    ctx.set('Content-Length', '0')
    if (conditional === 412) {
      const body = defaultBody(412)
      ctx.type = 'text/html; charset=UTF-8'
      ctx.body = ctx.method === 'HEAD' ? null : body
      ctx.status = 412
    }
    return
  }
  let start = 0
  let end = lo.length - 1
  let status = 200
  const specs = ctx.get('Range') ? parseRange(ctx.get('Range')) : undefined
  if (specs && lo.length > 0) {
    const ranges = rangesForLength(specs, lo.length)
    if (ranges.length === 0) {
      ctx.status = 416
      ctx.set('Content-Range', `bytes */${lo.length}`)
      ctx.type = 'text/html; charset=UTF-8'
      ctx.body = ctx.method === 'HEAD' ? null : defaultBody(416)
      ctx.status = 416
      return
    }
    const only = ranges[0]
    if (ranges.length === 1 && only) {
      ;[start, end] = [only[0], only[1] - 1]
      status = 206
      ctx.set('Content-Range', contentRange(only[0], only[1], lo.length))
    }
  }
  const sending = end - start + 1
  if (ctx.method === 'HEAD' || sending <= 0) {
    ctx.status = status
    ctx.set('Content-Length', String(Math.max(sending, 0)))
    if (ctx.method !== 'HEAD') ctx.body = Buffer.alloc(0)
    ctx.status = status
    return
  }
  const body = await segmentedBody(lo.pieces(start, end), lo.fetch, ctx.state.log, ctx.path)
  ctx.body = body.stream
  ctx.set('Content-Length', String(sending))
  ctx.status = status
}
