// Object requests (Swift's s3api controllers/obj.py): PutObject, GetObject / HeadObject
// (Range, If-*, response-* overrides, partNumber; multipart manifests assembled here) and
// DeleteObject (a multipart object's segments go with it).
import { InvalidArgument, InvalidRange, NoSuchBucket, NoSuchKey, PreconditionFailed } from './errors.ts'
import type { S3Error } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { sendEmpty, swiftError, unquoteEtag } from './s3-request.ts'
import type { SwiftResponse } from './swift-client.ts'
import { applyObjectHeaders, objectSize, objectWriteHeaders, s3Etag } from './object-headers.ts'
import type { Manifest } from './multipart-store.ts'
import { deleteSegments, isManifest, manifestStream, parseManifest } from './multipart-store.ts'

const noSuchKey = (req: S3Request) => () => new NoSuchKey(undefined, { Key: req.key ?? '' })

/** NoSuchBucket when the bucket is missing, else NoSuchKey (Swift answers 404 for both). */
async function notFoundError(req: S3Request): Promise<S3Error> {
  const head = await req.swift.request({ method: 'HEAD', container: req.bucket })
  head.discard()
  return head.status === 404 ? new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' }) : noSuchKey(req)()
}

/** The body failed its signature or hash check while streaming: that is the answer. */
export function throwBodyFailure(req: S3Request): void {
  if (req.bodyCheck?.failure) throw req.bodyCheck.failure
}

export async function putObject(req: S3Request): Promise<void> {
  const headers = objectWriteHeaders(req)
  if (req.contentLength !== null) headers['content-length'] = String(req.contentLength)
  else headers['transfer-encoding'] = 'chunked'
  const ifNoneMatch = req.ctx.get('If-None-Match')
  if (ifNoneMatch) {
    if (ifNoneMatch.trim() !== '*') throw new InvalidArgument('If-None-Match only supports *', { ArgumentName: 'If-None-Match', ArgumentValue: ifNoneMatch })
    headers['if-none-match'] = '*'
  }
  const res = await req.swift.request({ method: 'PUT', container: req.bucket, object: req.key, headers, body: req.body })
  throwBodyFailure(req)
  if (res.status === 201) {
    res.discard()
    req.ctx.set('ETag', s3Etag(res.headers))
    return sendEmpty(req, 200)
  }
  if (res.status === 404) throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  throw swiftError(req, res, noSuchKey(req))
}

interface ByteRange {
  start: number
  end: number
}

/** A single `bytes=` range over `size` bytes; undefined to send the whole object (AWS ignores what it cannot parse). */
function parseRange(header: string, size: number): ByteRange | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const n = Number(m[2])
    if (n === 0) throw new InvalidRange(undefined, { RangeRequested: header, ActualObjectSize: String(size) })
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (m[2] !== '' && Number(m[2]) < start) return undefined
  if (start >= size) throw new InvalidRange(undefined, { RangeRequested: header, ActualObjectSize: String(size) })
  return { start, end }
}

/** Evaluates If-Match / If-None-Match / If-(Un)Modified-Since against an S3 ETag (RFC 7232 order). */
function checkConditions(req: S3Request, etag: string, lastModified: string | undefined): 'ok' | 'not-modified' {
  const ctx = req.ctx
  const modified = lastModified ? Date.parse(lastModified) : Number.NaN
  const matches = (list: string) => list.split(',').some((e) => e.trim() === '*' || unquoteEtag(e.trim().replace(/^W\//, '')) === unquoteEtag(etag))
  const ifMatch = ctx.get('If-Match')
  if (ifMatch && !matches(ifMatch)) throw new PreconditionFailed(undefined, { Condition: 'If-Match' })
  const ifUnmodified = Date.parse(ctx.get('If-Unmodified-Since'))
  if (!ifMatch && !Number.isNaN(ifUnmodified) && !Number.isNaN(modified) && modified > ifUnmodified) throw new PreconditionFailed(undefined, { Condition: 'If-Unmodified-Since' })
  const ifNoneMatch = ctx.get('If-None-Match')
  if (ifNoneMatch && matches(ifNoneMatch)) return 'not-modified'
  const ifModified = Date.parse(ctx.get('If-Modified-Since'))
  if (!ifNoneMatch && !Number.isNaN(ifModified) && !Number.isNaN(modified) && modified <= ifModified) return 'not-modified'
  return 'ok'
}

function partNumberOf(req: S3Request): number | undefined {
  const raw = req.query.get('partNumber')
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > req.config.maxUploadPartNumber) throw new InvalidArgument('Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: raw })
  return n
}

async function sendManifestObject(req: S3Request, headers: Record<string, string>, manifest: Manifest | undefined, head: boolean): Promise<void> {
  const ctx = req.ctx
  const etag = s3Etag(headers)
  if (checkConditions(req, etag, headers['last-modified']) === 'not-modified') {
    ctx.set('ETag', etag)
    return sendEmpty(req, 304)
  }
  const size = objectSize(headers)
  let range: ByteRange | undefined
  const partNumber = partNumberOf(req)
  if (partNumber !== undefined) {
    manifest ??= await fetchManifest(req)
    if (partNumber > manifest.parts.length) throw new InvalidRange('The requested partnumber is not satisfiable', { PartNumberRequested: String(partNumber), ActualPartCount: String(manifest.parts.length) })
    let start = 0
    for (let i = 0; i < partNumber - 1; i++) start += manifest.parts[i]?.bytes ?? 0
    range = { start, end: start + (manifest.parts[partNumber - 1]?.bytes ?? 0) - 1 }
    ctx.set('x-amz-mp-parts-count', String(manifest.parts.length))
  } else {
    const rangeHeader = ctx.get('Range')
    range = rangeHeader && size > 0 ? parseRange(rangeHeader, size) : undefined
  }
  const out = { ...headers }
  delete out['content-range']
  const start = range?.start ?? 0
  const end = range?.end ?? size - 1
  if (head || size === 0) {
    ctx.body = null
  } else {
    manifest ??= await fetchManifest(req)
    ctx.body = manifestStream(req.swift, manifest, start, end)
  }
  // Headers after the body: Koa rewrites Content-Type/-Length when the body changes.
  applyObjectHeaders(req, out)
  ctx.status = range ? 206 : 200
  if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${size}`)
  ctx.set('Content-Length', String(end - start + 1))
}

async function fetchManifest(req: S3Request): Promise<Manifest> {
  const res = await req.swift.request({ method: 'GET', container: req.bucket, object: req.key })
  if (res.status !== 200) throw swiftError(req, res, noSuchKey(req))
  return parseManifest(await res.text())
}

/** Swift headers for the read: the client's Range and conditionals pass through for plain objects. */
function readHeaders(req: S3Request): Record<string, string> {
  const out: Record<string, string> = {}
  for (const h of ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since']) {
    const v = req.ctx.get(h)
    if (v) out[h] = v
  }
  if (req.query.has('partNumber')) delete out.range
  return out
}

export async function getObject(req: S3Request): Promise<void> {
  const head = req.ctx.method === 'HEAD'
  let res: SwiftResponse = await req.swift.request({ method: head ? 'HEAD' : 'GET', container: req.bucket, object: req.key, headers: readHeaders(req) })
  let bodyless = head
  if (res.status === 304 || res.status === 412 || res.status === 416) {
    // A manifest's conditions and ranges are about the assembled object, not the manifest body.
    const plain = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
    if (plain.status === 200 && isManifest(plain.headers)) {
      res.discard()
      res = plain
      bodyless = true
    }
  }
  if (isManifest(res.headers) && (res.status === 200 || res.status === 206)) {
    let manifest: Manifest | undefined
    if (!bodyless && res.status === 200) manifest = parseManifest(await res.text())
    else res.discard()
    return sendManifestObject(req, res.headers, manifest, head)
  }
  if (res.status === 200 || res.status === 206) {
    const partNumber = partNumberOf(req)
    if (partNumber !== undefined && partNumber !== 1) {
      res.discard()
      throw new InvalidRange('The requested partnumber is not satisfiable', { PartNumberRequested: String(partNumber), ActualPartCount: '1' })
    }
    if (head) {
      res.discard()
      // Koa drops Content-Type and Content-Length when the body is set to null: set it first.
      req.ctx.body = null
      req.ctx.status = res.status
      applyObjectHeaders(req, res.headers)
      req.ctx.set('Content-Length', res.headers['content-length'] ?? '0')
      return
    }
    applyObjectHeaders(req, res.headers)
    req.ctx.status = res.status
    const length = res.headers['content-length']
    req.ctx.body = res.stream ?? (await res.buffer())
    if (length !== undefined) req.ctx.set('Content-Length', length)
    return
  }
  if (res.status === 304) {
    res.discard()
    req.ctx.set('ETag', s3Etag(res.headers))
    if (res.headers['last-modified']) req.ctx.set('Last-Modified', res.headers['last-modified'])
    return sendEmpty(req, 304)
  }
  if (res.status === 412) throw new PreconditionFailed(undefined, { Condition: req.ctx.get('If-Match') ? 'If-Match' : 'If-Unmodified-Since' })
  if (res.status === 416) throw new InvalidRange(undefined, { RangeRequested: req.ctx.get('Range') })
  if (res.status === 404) {
    res.discard()
    throw await notFoundError(req)
  }
  throw swiftError(req, res, noSuchKey(req))
}

/** Deletes an object; a multipart object's segments follow its manifest. Missing keys are not an error (AWS). */
export async function deleteKey(req: S3Request, key: string): Promise<'deleted' | 'no-bucket'> {
  const head = await req.swift.request({ method: 'HEAD', container: req.bucket, object: key })
  head.discard()
  let manifest: Manifest | undefined
  if (head.status === 200 && isManifest(head.headers)) {
    const res = await req.swift.request({ method: 'GET', container: req.bucket, object: key })
    if (res.status === 200 && isManifest(res.headers)) manifest = parseManifest(await res.text())
    else res.discard()
  }
  const res = await req.swift.request({ method: 'DELETE', container: req.bucket, object: key })
  res.discard()
  if (res.status === 404) {
    const bucket = await req.swift.request({ method: 'HEAD', container: req.bucket })
    bucket.discard()
    if (bucket.status === 404) return 'no-bucket'
    return 'deleted'
  }
  if (res.status !== 204 && res.status !== 200) throw swiftError(req, res, noSuchKey(req))
  if (manifest) await deleteSegments(req.swift, manifest.bucket, manifest.parts.map((p) => p.name))
  return 'deleted'
}

export async function deleteObject(req: S3Request): Promise<void> {
  if ((await deleteKey(req, req.key as string)) === 'no-bucket') throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  sendEmpty(req, 204)
}
