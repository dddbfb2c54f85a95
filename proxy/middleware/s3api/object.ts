// Object requests (Swift's s3api controllers/obj.py): PutObject, GetObject / HeadObject
// (Range, If-*, response-* overrides, partNumber; SLO assembles multipart objects) and
// DeleteObject (a multipart object's segments go with it).
import { InvalidArgument, InvalidRange, NoSuchBucket, NoSuchKey, NoSuchVersion, PreconditionFailed } from './errors.ts'
import type { S3Error } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { sendEmpty, swiftError, unquoteEtag } from './s3-request.ts'
import { applyObjectHeaders, objectSize, objectWriteHeaders, s3Etag } from './object-headers.ts'
import { deleteSegments, isMultipartObject, readManifest } from './multipart-store.ts'
import { DELETE_MARKER_CONTENT_TYPE, bucketVersioning, checkVersionId } from './versioning.ts'
import { CHECKSUM_TYPE_SYSMETA, checksumSysmeta, requestedChecksum, storedChecksum } from './checksums.ts'

const noSuchKey = (req: S3Request) => () => new NoSuchKey(undefined, { Key: req.key ?? '' })

/** NoSuchBucket when the bucket is missing, else NoSuchVersion / NoSuchKey (Swift answers 404 for all). */
async function notFoundError(req: S3Request, versionId?: string): Promise<S3Error> {
  const head = await req.swift.request({ method: 'HEAD', container: req.bucket })
  head.discard()
  if (head.status === 404) return new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  if (versionId !== undefined && versionId !== 'null') return new NoSuchVersion(undefined, { Key: req.key ?? '', VersionId: versionId })
  return noSuchKey(req)()
}

const versionQuery = (versionId: string | undefined) => (versionId !== undefined ? { 'version-id': versionId } : undefined)

/** The body failed its signature or hash check while streaming: that is the answer. */
export function throwBodyFailure(req: S3Request): void {
  if (req.bodyCheck?.failure) throw req.bodyCheck.failure
}

/** The sysmeta keeping a write's verified x-amz-checksum-* (echoed on the answer, as AWS does). */
export function checksumWriteHeaders(req: S3Request): Record<string, string> {
  const checksum = requestedChecksum(req.ctx.req.headers)
  if (!checksum) return {}
  req.ctx.set(`x-amz-checksum-${checksum.algorithm}`, checksum.value)
  return { [checksumSysmeta(checksum.algorithm)]: checksum.value, [CHECKSUM_TYPE_SYSMETA]: 'FULL_OBJECT' }
}

/** Writes the request's body as bucket/key; answers the stored object's ETag. */
export async function storeObject(req: S3Request): Promise<string> {
  const headers = { ...objectWriteHeaders(req), ...checksumWriteHeaders(req) }
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
    if (res.headers['x-object-version-id']) req.ctx.set('x-amz-version-id', res.headers['x-object-version-id'])
    return s3Etag(res.headers)
  }
  if (res.status === 404) throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  throw swiftError(req, res, noSuchKey(req))
}

export async function putObject(req: S3Request): Promise<void> {
  req.ctx.set('ETag', await storeObject(req))
  sendEmpty(req, 200)
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

/** The byte range of part `n` of a multipart object, and its part count; a plain object has one part. */
async function partRange(req: S3Request, partNumber: number, versionId: string | undefined): Promise<{ range: string | undefined; count: number }> {
  const info = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key, query: versionQuery(versionId) })
  info.discard()
  if (info.status === 404) throw await notFoundError(req, versionId)
  if (info.status !== 200) throw swiftError(req, info, noSuchKey(req))
  const segments = isMultipartObject(info.headers) ? await readManifest(req.swift, req.bucket as string, req.key as string, versionId) : undefined
  const count = segments?.length ?? 1
  if (partNumber > count) throw new InvalidRange('The requested partnumber is not satisfiable', { PartNumberRequested: String(partNumber), ActualPartCount: String(count) })
  if (!segments) return { range: undefined, count }
  let start = 0
  for (let i = 0; i < partNumber - 1; i++) start += segments[i]?.bytes ?? 0
  return { range: `bytes=${start}-${start + (segments[partNumber - 1]?.bytes ?? 0) - 1}`, count }
}

/**
 * GetObject / HeadObject. The read goes down with the Range only (SLO assembles a multipart
 * object's parts); If-* are evaluated here against the S3 ETag, which for a multipart object
 * is not the one Swift would compare.
 */
export async function getObject(req: S3Request): Promise<void> {
  const ctx = req.ctx
  const head = ctx.method === 'HEAD'
  let range = ctx.get('Range') || undefined
  const versionId = checkVersionId(req.query.get('versionId'))
  const query = versionQuery(versionId)
  const partNumber = partNumberOf(req)
  if (partNumber !== undefined) {
    const part = await partRange(req, partNumber, versionId)
    range = part.range
    if (part.count > 1) ctx.set('x-amz-mp-parts-count', String(part.count))
  }
  const res = await req.swift.request({ method: head ? 'HEAD' : 'GET', container: req.bucket, object: req.key, query, headers: range ? { range } : {} })
  if (res.status === 404) {
    res.discard()
    throw await notFoundError(req, versionId)
  }
  if (res.headers['x-object-version-id']) ctx.set('x-amz-version-id', res.headers['x-object-version-id'])
  if (res.status === 416) {
    // Preconditions come before the range.
    res.discard()
    const whole = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key, query })
    whole.discard()
    if (whole.status === 200 && checkConditions(req, s3Etag(whole.headers), whole.headers['last-modified']) === 'not-modified') return notModified(req, whole.headers)
    throw new InvalidRange(undefined, { RangeRequested: range ?? '', ActualObjectSize: String(objectSize(whole.headers)) })
  }
  if (res.status !== 200 && res.status !== 206) throw swiftError(req, res, noSuchKey(req))
  let verdict: 'ok' | 'not-modified'
  try {
    verdict = checkConditions(req, s3Etag(res.headers), res.headers['last-modified'])
  } catch (err) {
    res.discard()
    throw err
  }
  if (verdict === 'not-modified') {
    res.discard()
    return notModified(req, res.headers)
  }
  const length = res.headers['content-length']
  if (res.status === 200 && ctx.get('x-amz-checksum-mode').toUpperCase() === 'ENABLED') {
    const checksum = storedChecksum(res.headers)
    if (checksum) {
      ctx.set(`x-amz-checksum-${checksum.algorithm}`, checksum.value)
      ctx.set('x-amz-checksum-type', checksum.type)
    }
  }
  if (head) {
    res.discard()
    // Koa drops Content-Type and Content-Length when the body is set to null: set it first.
    ctx.body = null
  } else ctx.body = res.stream ?? (await res.buffer())
  // Headers after the body: Koa rewrites Content-Type/-Length when the body changes.
  ctx.status = res.status
  applyObjectHeaders(req, res.headers)
  ctx.set('Content-Length', length ?? '0')
}

function notModified(req: S3Request, headers: Record<string, string>): void {
  req.ctx.set('ETag', s3Etag(headers))
  if (headers['last-modified']) req.ctx.set('Last-Modified', headers['last-modified'])
  sendEmpty(req, 304)
}

export interface DeleteOutcome {
  noBucket: boolean
  /** The version the DELETE removed or the delete marker it wrote. */
  versionId: string | undefined
  deleteMarker: boolean
}

/**
 * Deletes an object (or one version of it); a multipart object's segments follow its manifest
 * unless versioning keeps the object as a version. Missing keys are not an error (AWS).
 */
export async function deleteKey(req: S3Request, key: string, versionId?: string): Promise<DeleteOutcome> {
  const version = versionId !== undefined ? { 'version-id': versionId } : undefined
  if (versionId !== undefined && versionId !== 'null' && !(await bucketVersioning(req)).everEnabled) {
    // No version of anything was ever kept: nothing to delete (Swift's s3api answers 204).
    return { noBucket: false, versionId, deleteMarker: false }
  }
  const head = await req.swift.request({ method: 'HEAD', container: req.bucket, object: key, query: version })
  head.discard()
  let manifest: Awaited<ReturnType<typeof readManifest>>
  if (head.status === 200 && isMultipartObject(head.headers) && (versionId !== undefined || (await bucketVersioning(req)).status !== 'Enabled')) {
    manifest = await readManifest(req.swift, req.bucket as string, key, versionId)
  }
  const res = await req.swift.request({ method: 'DELETE', container: req.bucket, object: key, query: version })
  res.discard()
  const outcome: DeleteOutcome = {
    noBucket: false,
    versionId: res.headers['x-object-version-id'] ?? versionId,
    deleteMarker: res.headers['x-backend-content-type'] === DELETE_MARKER_CONTENT_TYPE || (versionId !== undefined && head.status === 404 && res.status !== 404),
  }
  if (res.status === 404) {
    const bucket = await req.swift.request({ method: 'HEAD', container: req.bucket })
    bucket.discard()
    return { ...outcome, noBucket: bucket.status === 404 }
  }
  if (res.status !== 204 && res.status !== 200) throw swiftError(req, res, noSuchKey(req))
  if (manifest) await deleteSegments(req.swift, req.bucket as string, manifest.map((p) => p.name))
  if (versionId !== undefined && res.headers['x-object-current-version-id'] === 'null') await restoreLatest(req, key)
  return outcome
}

/**
 * After the current version went, the newest remaining one becomes the object again (unless
 * it is a delete marker), as S3 shows it: Swift's object versioning leaves no current object.
 */
async function restoreLatest(req: S3Request, key: string): Promise<void> {
  const res = await req.swift.request({ method: 'GET', container: req.bucket, query: { versions: '', format: 'json', prefix: key, limit: '100' } })
  if (res.status !== 200) return res.discard()
  for (const row of JSON.parse(await res.text()) as { name: string; content_type?: string; version_id?: string }[]) {
    if (row.name !== key || row.content_type === DELETE_MARKER_CONTENT_TYPE) return
    const put = await req.swift.request({ method: 'PUT', container: req.bucket, object: key, query: { 'version-id': row.version_id ?? 'null' }, body: Buffer.alloc(0) })
    put.discard()
    if (put.status === 201) return
  }
}

export async function deleteObject(req: S3Request): Promise<void> {
  const outcome = await deleteKey(req, req.key as string, checkVersionId(req.query.get('versionId')))
  if (outcome.noBucket) throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  if (outcome.versionId) req.ctx.set('x-amz-version-id', outcome.versionId)
  if (outcome.deleteMarker) req.ctx.set('x-amz-delete-marker', 'true')
  sendEmpty(req, 204)
}
