// PUT ?multipart-manifest=put (Swift's StaticLargeObject.handle_multipart_put): reads the
// client's manifest, HEADs every segment through the pipeline (a nested SLO answers with its
// own size and ETag), checks sizes, ETags and ranges, and only if every segment is right
// stores the manifest with X-Static-Large-Object, the SLO's ETag and size in sysmeta, and the
// container listing's ETag override. Any problem answers 400 with the bulk-style body listing
// each segment's problem; nothing is stored.
import { createHash } from 'node:crypto'
import { HttpError } from '../../../common/http/errors.ts'
import { normalizeEtag } from '../../../common/http/conditional.ts'
import { guessContentType } from '../../controllers/content-type.ts'
import type { ProxyContext } from '../../context.ts'
import type { Downstream, SubResponse } from '../../subrequest.ts'
import { quoteSwiftPath, subrequest } from '../../subrequest.ts'
import { quoteName, statusLine } from '../bulk/delete-runner.ts'
import { bestFormat, bulkResponseBody } from '../bulk/response-body.ts'
import type { InputSegment, StoredSegment } from './manifest.ts'
import { SYSMETA_SLO_ETAG, SYSMETA_SLO_SIZE, normaliseRange, parseManifestInput, sloEtag, storedManifestText } from './manifest.ts'
import type { SloConfig } from './config.ts'

/** Swift's last_modified in manifests: "%Y-%m-%dT%H:%M:%S.%f". */
function manifestTime(httpDate: string | undefined): string {
  const ms = httpDate ? Date.parse(httpDate) : Date.now()
  return new Date(Number.isNaN(ms) ? Date.now() : ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000')
}

async function readBody(ctx: ProxyContext, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req) {
    const b = chunk as Buffer
    size += b.length
    if (size > max) {
      ctx.req.resume()
      throw new HttpError(413, { body: `Manifest File > ${max} bytes` })
    }
    chunks.push(b)
  }
  return Buffer.concat(chunks).toString('utf8')
}

const isTrue = (v: string | undefined) => ['true', '1', 'yes', 'on', 't', 'y'].includes((v ?? '').toLowerCase())

/** What a segment's HEAD says, seen through SLO: a nested manifest has its SLO size and ETag. */
function headFacts(res: SubResponse): { length: number; etag: string; contentType: string; sub: boolean; lastModified: string | undefined } {
  const sub = isTrue(res.headers['x-static-large-object'])
  const slosize = res.headers[SYSMETA_SLO_SIZE]
  const sloetag = res.headers[SYSMETA_SLO_ETAG]
  return {
    length: sub && slosize !== undefined ? Number(slosize) : Number(res.headers['content-length'] ?? 0),
    etag: sub && sloetag ? sloetag : normalizeEtag(res.headers.etag ?? ''),
    contentType: (res.headers['content-type'] ?? '').split(';')[0] ?? '',
    sub,
    lastModified: res.headers['last-modified'],
  }
}

export async function putManifest(ctx: ProxyContext, downstream: Downstream, config: SloConfig, p: { account: string; path: string }): Promise<void> {
  if (ctx.get('X-Copy-From')) throw new HttpError(405, { body: 'Multipart Manifest PUTs cannot be COPY requests' })
  const cl = ctx.get('Content-Length')
  if (cl === '') {
    if (ctx.get('Transfer-Encoding').toLowerCase() !== 'chunked') throw new HttpError(411)
  } else if (Number(cl) > config.maxManifestSize) throw new HttpError(413, { body: `Manifest File > ${config.maxManifestSize} bytes` })
  const input = parseManifestInput(await readBody(ctx, config.maxManifestSize), p.path, p.account)
  const objectSegments = input.filter((s) => s.kind === 'path')
  if (objectSegments.length > config.maxManifestSegments) throw new HttpError(413, { body: `Number of object-backed segments must be <= ${config.maxManifestSegments}` })
  const format = bestFormat(ctx.get('Accept') || undefined) ?? 'text/plain'

  // One HEAD per distinct path, a few at a time.
  const heads = new Map<string, SubResponse>()
  const paths = [...new Set(objectSegments.map((s) => (s as Extract<InputSegment, { kind: 'path' }>).path))]
  const queue = [...paths]
  const worker = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      const res = await subrequest(ctx, downstream, { method: 'HEAD', path: `/v1/${quoteSwiftPath(p.account)}/${quoteSwiftPath(path.replace(/^\/+/, ''))}`, userAgent: `${ctx.get('User-Agent')} SLO MultipartPUT` })
      res.discard()
      heads.set(path, res)
    }
  }
  await Promise.all(Array.from({ length: Math.min(config.concurrency, queue.length) }, worker))

  const problems: [string, string][] = []
  const stored: StoredSegment[] = []
  let total = 0
  input.forEach((seg, i) => {
    if (seg.kind === 'data') {
      stored.push({ data: seg.data })
      total += Buffer.from(seg.data, 'base64').length
      return
    }
    const res = heads.get(seg.path) as SubResponse
    const name = quoteName(seg.path)
    if (res.status < 200 || res.status >= 300) {
      problems.push([name, statusLine(res.status)])
      return
    }
    const facts = headFacts(res)
    let length = facts.length
    let range: string | undefined
    if (seg.range) {
      const r = normaliseRange(seg.range, facts.length)
      if (!r) problems.push([name, 'Unsatisfiable Range'])
      else if (!(r[0] === 0 && r[1] === facts.length - 1)) {
        range = `${r[0]}-${r[1]}`
        length = r[1] - r[0] + 1
      }
    }
    if (length < 1 && i !== input.length - 1) problems.push([name, 'Too small; each segment must be at least 1 byte.'])
    if (seg.sizeBytes !== undefined && seg.sizeBytes !== facts.length) problems.push([name, 'Size Mismatch'])
    if (seg.etag !== undefined && seg.etag !== null && seg.etag !== facts.etag) problems.push([name, 'Etag Mismatch'])
    const record: StoredSegment = { name: `/${seg.path.replace(/^\/+/, '')}`, bytes: facts.length, hash: facts.etag, content_type: facts.contentType, last_modified: manifestTime(facts.lastModified) }
    if (range) record.range = range
    if (facts.sub) record.sub_slo = true
    stored.push(record)
    total += Math.max(length, 0)
  })
  if (problems.length) {
    throw new HttpError(400, { body: bulkResponseBody(format, {}, problems, 'upload'), headers: { 'Content-Type': format } })
  }
  const etag = sloEtag(stored)
  const clientEtag = ctx.get('Etag')
  if (clientEtag && normalizeEtag(clientEtag) !== etag) throw new HttpError(422)

  const body = Buffer.from(storedManifestText(stored))
  const manifestMd5 = createHash('md5').update(body).digest('hex')
  const headers: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (v === undefined || ['content-length', 'transfer-encoding', 'etag', 'host', 'expect'].includes(k)) continue
    headers[k] = Array.isArray(v) ? v.join(', ') : v
  }
  const override = 'x-object-sysmeta-container-update-override-etag'
  const [base = '', ...params] = (headers[override] ?? '').split(';')
  Object.assign(headers, {
    [SYSMETA_SLO_ETAG]: etag,
    [SYSMETA_SLO_SIZE]: String(total),
    'x-static-large-object': 'True',
    etag: manifestMd5,
    [override]: `${[base || manifestMd5, ...params].join(';')}; slo_etag=${etag}`,
    'content-type': `${headers['content-type'] || guessContentType(p.path)};swift_bytes=${total}`,
  })
  const res = await subrequest(ctx, downstream, { method: 'PUT', path: ctx.path, headers, body, state: { keepSysmeta: ctx.state.keepSysmeta } })
  ctx.status = res.status
  for (const [k, v] of Object.entries(res.headers)) if (k !== 'content-length') ctx.set(k, v)
  if (res.status >= 200 && res.status < 300) ctx.set('Etag', `"${etag}"`)
  ctx.body = await res.buffer()
  ctx.status = res.status
}
