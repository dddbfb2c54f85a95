// Answering a GET or HEAD of a large object (SLO or DLO) once its manifest is known, as
// swob's conditional_response does for Swift's middleware: If-Match/If-None-Match against the
// large object's ETag, If-(Un)Modified-Since, HEAD with the whole length (swob ignores Range
// on HEAD), a single Range as 206 across segment boundaries (416 when unsatisfiable), several
// ranges as 206 multipart/byteranges (SLO's SegmentedIterable.app_iter_ranges) or, for DLO,
// the whole object (Swift's dlo drops a Range of more than one range), else the whole body.
import { conditionalStatus, parseHttpDate } from '../common/http/conditional.ts'
import { defaultBody } from '../common/http/status.ts'
import type { ByteRange } from '../common/http/range.ts'
import { contentRange, multipartByteranges, parseRange, rangesForLength } from '../common/http/range.ts'
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
  /** Several ranges answer multipart/byteranges (SLO); otherwise the whole object (DLO). */
  multiRange?: boolean
}

const DROPPED = new Set(['content-length', 'etag', 'content-range', 'accept-ranges', 'transfer-encoding'])

export function stripSwiftBytes(contentType: string): string {
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
  const specs = ctx.get('Range') && ctx.method === 'GET' ? parseRange(ctx.get('Range')) : undefined
  if (specs && lo.length > 0 && (specs.length === 1 || lo.multiRange)) {
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
    } else if (ranges.length > 1) {
      return sendRanges(ctx, lo, ranges)
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

/** 206 multipart/byteranges: each range's part header, then its bytes read across segments. */
async function sendRanges(ctx: ProxyContext, lo: LargeObject, ranges: readonly ByteRange[]): Promise<void> {
  const layout = multipartByteranges(ranges, ctx.response.get('Content-Type') || 'application/octet-stream', lo.length)
  async function* pieces(): AsyncGenerator<SegmentPiece> {
    for (const part of layout.parts) {
      yield { data: part.head, start: 0, end: part.head.length - 1 }
      yield* lo.pieces(part.start, part.end - 1)
    }
    yield { data: layout.tail, start: 0, end: layout.tail.length - 1 }
  }
  const body = await segmentedBody(pieces(), lo.fetch, ctx.state.log, ctx.path)
  ctx.body = body.stream
  ctx.set('Content-Type', layout.contentType)
  ctx.set('Content-Length', String(layout.length))
  ctx.status = 206
}
