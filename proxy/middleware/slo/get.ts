// GET/HEAD of a static large object (Swift's SloGetContext): the request goes down the
// pipeline with X-Backend-Ignore-Range-If-Metadata-Present so a manifest always comes back
// whole; a plain object passes through untouched. A manifest is answered with its segments'
// bytes (nested manifests expanded, ranged segments cut), the SLO's ETag and length, and
// X-Manifest-Etag. ?multipart-manifest=get returns the stored manifest (format=raw: in
// the form a PUT accepts).
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { HttpError } from '../../../common/http/errors.ts'
import type { ProxyContext } from '../../context.ts'
import { sendLargeObject, stripSwiftBytes } from '../../large-object-response.ts'
import type { SegmentPiece } from '../../segmented-stream.ts'
import { SegmentError } from '../../segmented-stream.ts'
import type { Downstream } from '../../subrequest.ts'
import { quoteSwiftPath, subrequest } from '../../subrequest.ts'
import type { StoredSegment } from './manifest.ts'
import { SYSMETA_SLO_ETAG, SYSMETA_SLO_SIZE, normaliseRange, parseStoredManifest, rawManifestText, segmentLength, sloEtag } from './manifest.ts'

const MAX_RECURSION_DEPTH = 10
const isTrue = (v: unknown) => ['true', '1', 'yes', 'on', 't', 'y'].includes(String(v ?? '').toLowerCase())

function responseHeaders(ctx: ProxyContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.response.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v)
  return out
}

async function bodyText(body: unknown): Promise<string> {
  if (body instanceof Readable) {
    const chunks: Buffer[] = []
    for await (const c of body) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  if (Buffer.isBuffer(body)) return body.toString('utf8')
  return typeof body === 'string' ? body : ''
}

export function segmentPath(account: string, name: string): string {
  return `/v1/${quoteSwiftPath(account)}/${quoteSwiftPath(name.replace(/^\/+/, ''))}`
}

/** The pieces covering [start, end] of a manifest's bytes, nested manifests expanded lazily. */
export async function* manifestPieces(ctx: ProxyContext, downstream: Downstream, account: string, segments: readonly StoredSegment[], start: number, end: number, depth = 0): AsyncGenerator<SegmentPiece> {
  let offset = 0
  for (const seg of segments) {
    const len = segmentLength(seg)
    const segStart = offset
    const segEnd = offset + len - 1
    offset += len
    if (len <= 0 || segEnd < start) continue
    if (segStart > end) return
    const from = Math.max(start, segStart) - segStart
    const to = Math.min(end, segEnd) - segStart
    if (seg.data !== undefined) {
      yield { data: Buffer.from(seg.data, 'base64').subarray(from, to + 1), start: from, end: to }
      continue
    }
    const base = seg.range ? (normaliseRange(seg.range, seg.bytes ?? 0)?.[0] ?? 0) : 0
    const name = seg.name ?? ''
    if (isTrue(seg.sub_slo)) {
      if (depth + 1 >= MAX_RECURSION_DEPTH) throw new SegmentError(`While processing manifest ${ctx.path}, max recursion depth was exceeded`)
      const res = await subrequest(ctx, downstream, { method: 'GET', path: segmentPath(account, name), query: { 'multipart-manifest': 'get' }, userAgent: `${ctx.get('User-Agent')} SLO MultipartGET` })
      if (res.status !== 200 || !isTrue(res.headers['x-static-large-object'])) {
        res.discard()
        throw new SegmentError(`while fetching ${name}, GET of submanifest failed with status ${res.status}`)
      }
      yield* manifestPieces(ctx, downstream, account, parseStoredManifest(await res.text()), base + from, base + to, depth + 1)
      continue
    }
    yield { path: segmentPath(account, name), start: base + from, end: base + to, etag: seg.hash, size: seg.bytes }
  }
}

/** Handles GET/HEAD; returns after `next` for anything that is not an SLO. */
export async function getOrHead(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, account: string): Promise<void> {
  const manifestGet = ctx.query['multipart-manifest'] === 'get'
  if (!manifestGet) ctx.req.headers['x-backend-ignore-range-if-metadata-present'] = 'X-Static-Large-Object'
  await next()
  let headers = responseHeaders(ctx)
  if (!isTrue(headers['x-static-large-object'])) return
  if (manifestGet) {
    if (ctx.query.format === 'raw') {
      const text = rawManifestText(parseStoredManifest(await bodyText(ctx.body)))
      ctx.body = text
      ctx.set('Etag', createHash('md5').update(text).digest('hex'))
      // The stored type stays (as Swift's proxy cleans it), so a manifest copy keeps it.
      ctx.set('Content-Type', stripSwiftBytes(headers['content-type'] ?? 'application/octet-stream'))
      return
    }
    ctx.set('Content-Type', 'application/json; charset=utf-8')
    return
  }
  const sloEtagHeader = headers[SYSMETA_SLO_ETAG]
  const sloSize = headers[SYSMETA_SLO_SIZE]
  let segments: StoredSegment[] | undefined
  if (ctx.method === 'GET' && ctx.status === 200) segments = parseStoredManifest(await bodyText(ctx.body))
  else if (ctx.method === 'GET' || !(sloEtagHeader && sloSize)) {
    // A conditional answered against the manifest's own ETag, or an old manifest: read it whole.
    const res = await subrequest(ctx, downstream, { method: 'GET', path: ctx.path, query: { 'multipart-manifest': 'get' }, userAgent: `${ctx.get('User-Agent')} SLO MultipartGET` })
    if (!isTrue(res.headers['x-static-large-object'])) {
      res.discard()
      throw new HttpError(503)
    }
    segments = parseStoredManifest(await res.text())
    headers = res.headers
  }
  const etag = headers[SYSMETA_SLO_ETAG] ?? sloEtag(segments ?? [])
  const length = headers[SYSMETA_SLO_SIZE] !== undefined ? Number(headers[SYSMETA_SLO_SIZE]) : (segments ?? []).reduce((n, s) => n + segmentLength(s), 0)
  const manifestEtag = headers.etag ?? ''
  await sendLargeObject(
    ctx,
    {
      headers,
      etag,
      length,
      pieces: (start, end) => manifestPieces(ctx, downstream, account, segments ?? [], start, end),
      fetch: (path, range) => subrequest(ctx, downstream, { method: 'GET', path, headers: { range }, userAgent: `${ctx.get('User-Agent')} SLO MultipartGET` }),
      multiRange: true,
    },
    { 'X-Manifest-Etag': manifestEtag },
  )
}
