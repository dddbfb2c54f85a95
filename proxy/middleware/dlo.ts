// Dynamic Large Objects (Swift's dlo middleware): an object with X-Object-Manifest:
// <container>/<prefix> reads as the concatenation, in listing order, of the objects whose
// names start with <prefix> in <container>, listed when read. Its ETag is the quoted MD5 of
// the segments' ETags; ranges span segments. ?multipart-manifest=get reads the manifest
// object itself. A PUT's X-Object-Manifest must name a container and a prefix.
import { createHash } from 'node:crypto'
import { HttpError } from '../../common/http/errors.ts'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import { sendLargeObject } from '../large-object-response.ts'
import { swiftPathOf } from '../request-path.ts'
import type { SegmentPiece } from '../segmented-stream.ts'
import { SegmentError } from '../segmented-stream.ts'
import type { Downstream } from '../subrequest.ts'
import { downstreamOf, quoteSwiftPath, subrequest } from '../subrequest.ts'

const LISTING_LIMIT = 10000

interface ListedSegment {
  name: string
  bytes: number
  hash: string
}

/** "container/prefix" (percent-decoded), or undefined when the value is not of that form. */
export function parseObjectManifest(value: string): { container: string; prefix: string } | undefined {
  const slash = value.indexOf('/')
  const container = slash < 0 ? '' : value.slice(0, slash)
  const prefix = slash < 0 ? '' : value.slice(slash + 1)
  if (!container || !prefix || value.includes('?') || value.includes('&') || prefix.startsWith('/')) return undefined
  try {
    return { container: decodeURIComponent(container), prefix: decodeURIComponent(prefix) }
  } catch {
    return undefined
  }
}

async function listSegments(ctx: ProxyContext, downstream: Downstream, account: string, container: string, prefix: string): Promise<ListedSegment[]> {
  const out: ListedSegment[] = []
  let marker: string | undefined
  for (;;) {
    const res = await subrequest(ctx, downstream, {
      method: 'GET',
      path: `/v1/${quoteSwiftPath(account)}/${quoteSwiftPath(container)}`,
      query: { format: 'json', prefix, marker },
      userAgent: `${ctx.get('User-Agent')} DLO MultipartGET`,
    })
    if (res.status === 404 || res.status === 204) {
      res.discard()
      return out
    }
    if (res.status !== 200) {
      res.discard()
      throw new HttpError(res.status === 401 || res.status === 403 ? res.status : 409)
    }
    const page = JSON.parse(await res.text()) as ListedSegment[]
    out.push(...page.filter((s) => s.name !== undefined))
    if (page.length < LISTING_LIMIT) return out
    marker = page.at(-1)?.name
  }
}

async function* listingPieces(account: string, container: string, segments: readonly ListedSegment[], start: number, end: number): AsyncGenerator<SegmentPiece> {
  let offset = 0
  for (const seg of segments) {
    const segStart = offset
    const segEnd = offset + seg.bytes - 1
    offset += seg.bytes
    if (seg.bytes <= 0 || segEnd < start) continue
    if (segStart > end) return
    yield {
      path: `/v1/${quoteSwiftPath(account)}/${quoteSwiftPath(container)}/${quoteSwiftPath(seg.name)}`,
      start: Math.max(start, segStart) - segStart,
      end: Math.min(end, segEnd) - segStart,
      size: seg.bytes,
    }
  }
}

function responseHeaders(ctx: ProxyContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.response.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v)
  return out
}

async function getOrHead(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, account: string, objectPath: string): Promise<void> {
  const ignore = ctx.get('X-Backend-Ignore-Range-If-Metadata-Present')
  ctx.req.headers['x-backend-ignore-range-if-metadata-present'] = ignore ? `${ignore},X-Object-Manifest` : 'X-Object-Manifest'
  await next()
  let headers = responseHeaders(ctx)
  if (headers['x-object-manifest'] === undefined || headers['x-static-large-object']) return
  if (ctx.status === 304 || ctx.status === 412) {
    // Answered against the manifest object's own ETag: look at the manifest afresh.
    const res = await subrequest(ctx, downstream, { method: 'HEAD', path: objectPath, query: { 'multipart-manifest': 'get' } })
    res.discard()
    if (res.headers['x-object-manifest'] === undefined) throw new HttpError(503)
    headers = res.headers
  } else if (ctx.status < 200 || ctx.status >= 300) return
  const target = parseObjectManifest(headers['x-object-manifest'] ?? '')
  if (!target) throw new HttpError(400, { body: 'X-Object-Manifest must be in the format container/prefix' })
  const segments = await listSegments(ctx, downstream, account, target.container, target.prefix)
  const etag = createHash('md5')
  for (const s of segments) etag.update(s.hash)
  await sendLargeObject(ctx, {
    headers,
    etag: etag.digest('hex'),
    length: segments.reduce((n, s) => n + s.bytes, 0),
    pieces: (start, end) => listingPieces(account, target.container, segments, start, end),
    fetch: async (path, range) => {
      const res = await subrequest(ctx, downstream, { method: 'GET', path, headers: { range }, userAgent: `${ctx.get('User-Agent')} DLO MultipartGET` })
      if (res.status === 404) throw new SegmentError(`segment ${decodeURIComponent(path)} is gone`)
      return res
    },
  })
}

export function dynamicLargeObject(): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    const p = swiftPathOf(ctx)
    if (!p || p.object === undefined) return next()
    if (ctx.method === 'PUT' && ctx.get('X-Object-Manifest')) {
      if (!parseObjectManifest(ctx.get('X-Object-Manifest'))) throw new HttpError(400, { body: 'X-Object-Manifest must be in the format container/prefix' })
      return next()
    }
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.query['multipart-manifest'] !== 'get') {
      return getOrHead(ctx, next, downstreamOf(ctx, mw), p.account, ctx.path)
    }
    return next()
  }
  return mw
}

export const dloFactory: MiddlewareFactory = {
  name: 'dlo',
  // Swift's dlo registers no /info section.
  create() {
    return dynamicLargeObject()
  },
}
