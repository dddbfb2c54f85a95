// CopyObject and the source side of UploadPartCopy: x-amz-copy-source ("/bucket/key",
// percent-encoded), its x-amz-copy-source-if-* conditions, x-amz-metadata-directive
// COPY / REPLACE. Plain sources are copied server-side by Swift (X-Copy-From); large-object
// sources are read assembled (through SLO) and written as a new plain object.
import { Readable } from 'node:stream'
import { InvalidArgument, InvalidRange, InvalidRequest, NoSuchBucket, NoSuchKey, PreconditionFailed } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { checkBucketName, checkKey, s3TimeOfHttpDate, sendXml, swiftError, unquoteEtag } from './s3-request.ts'
import { throwBodyFailure } from './object.ts'
import { metadataHeaders, objectSize, objectWriteHeaders, s3Etag } from './object-headers.ts'
import { aclHeaders } from './acl.ts'
import { isLargeObject } from './multipart-store.ts'

export interface CopySource {
  bucket: string
  key: string
  /** The source's Swift headers (from a HEAD). */
  headers: Record<string, string>
  etag: string
}

function parseCopySourceHeader(req: S3Request): { bucket: string; key: string } {
  const raw = req.ctx.get('x-amz-copy-source')
  let decoded: string
  try {
    decoded = decodeURIComponent(raw.split('?')[0] ?? '')
  } catch {
    throw new InvalidArgument('Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw })
  }
  if (raw.includes('?versionId=') && !/\?versionId=null$/.test(raw)) throw new InvalidArgument('Invalid version id specified', { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw })
  if (decoded.startsWith('/')) decoded = decoded.slice(1)
  const slash = decoded.indexOf('/')
  if (slash <= 0 || slash === decoded.length - 1) throw new InvalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw })
  const bucket = decoded.slice(0, slash)
  const key = decoded.slice(slash + 1)
  checkBucketName(bucket, req.config)
  checkKey(key)
  return { bucket, key }
}

/** x-amz-copy-source-if-*: any failing condition is 412 (AWS). */
function checkSourceConditions(req: S3Request, etag: string, lastModified: string | undefined): void {
  const get = (h: string) => req.ctx.get(`x-amz-copy-source-${h}`)
  const modified = lastModified ? Date.parse(lastModified) : Number.NaN
  const matches = (list: string) => list.split(',').some((e) => e.trim() === '*' || unquoteEtag(e) === unquoteEtag(etag))
  const ifMatch = get('if-match')
  const ifNoneMatch = get('if-none-match')
  const ifUnmodified = Date.parse(get('if-unmodified-since'))
  const ifModified = Date.parse(get('if-modified-since'))
  const fail = (condition: string) => new PreconditionFailed(undefined, { Condition: `x-amz-copy-source-${condition}` })
  if (ifMatch && !matches(ifMatch)) throw fail('If-Match')
  if (!ifMatch && !Number.isNaN(ifUnmodified) && modified > ifUnmodified) throw fail('If-Unmodified-Since')
  if (ifNoneMatch && matches(ifNoneMatch)) throw fail('If-None-Match')
  if (!ifNoneMatch && !Number.isNaN(ifModified) && !(modified > ifModified)) throw fail('If-Modified-Since')
}

/** The copy source named by the request, checked to exist and to meet its conditions. */
export async function resolveCopySource(req: S3Request): Promise<CopySource> {
  const { bucket, key } = parseCopySourceHeader(req)
  const res = await req.swift.request({ method: 'HEAD', container: bucket, object: key })
  res.discard()
  if (res.status === 404) {
    const b = await req.swift.request({ method: 'HEAD', container: bucket })
    b.discard()
    if (b.status === 404) throw new NoSuchBucket(undefined, { BucketName: bucket })
    throw new NoSuchKey(undefined, { Key: key })
  }
  if (res.status !== 200) throw swiftError(req, res, () => new NoSuchKey(undefined, { Key: key }))
  const etag = s3Etag(res.headers)
  checkSourceConditions(req, etag, res.headers['last-modified'])
  return { bucket, key, headers: res.headers, etag }
}

/** The source's bytes [start, end] as a stream (SLO assembles a multipart source). */
export async function openCopySource(req: S3Request, src: CopySource, range?: { start: number; end: number }): Promise<{ stream: Readable; length: number }> {
  const res = await req.swift.request({ method: 'GET', container: src.bucket, object: src.key, headers: range ? { range: `bytes=${range.start}-${range.end}` } : {} })
  if (res.status !== 200 && res.status !== 206) throw swiftError(req, res, () => new NoSuchKey(undefined, { Key: src.key }))
  // The proxy relays small bodies as one buffer rather than a stream.
  const stream = res.stream ?? Readable.from([await res.buffer()])
  return { stream, length: Number(res.headers['content-length'] ?? 0) }
}

/** x-amz-copy-source-range "bytes=first-last" within the source. */
export function copySourceRange(req: S3Request, src: CopySource): { start: number; end: number } | undefined {
  const raw = req.ctx.get('x-amz-copy-source-range')
  if (!raw) return undefined
  const m = /^bytes=(\d+)-(\d+)$/.exec(raw.trim())
  if (!m) throw new InvalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: raw })
  const start = Number(m[1])
  const end = Number(m[2])
  const size = objectSize(src.headers)
  if (end < start || end >= size) throw new InvalidRange(undefined, { RangeRequested: raw, ActualObjectSize: String(size) })
  return { start, end }
}

export async function copyObject(req: S3Request): Promise<void> {
  const src = await resolveCopySource(req)
  const directive = (req.ctx.get('x-amz-metadata-directive') || 'COPY').toUpperCase()
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new InvalidArgument('Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive })
  const sameObject = src.bucket === req.bucket && src.key === req.key
  if (sameObject && directive === 'COPY' && !req.ctx.get('x-amz-acl') && !req.ctx.get('x-amz-storage-class')) {
    throw new InvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
  }
  const replace = directive === 'REPLACE'
  let res
  if (isLargeObject(src.headers)) {
    // Copying a manifest would share its segments: write the assembled bytes instead.
    const headers: Record<string, string> = replace ? objectWriteHeaders(req) : { ...keptMetadata(src.headers), ...aclHeaders(req, 'object') }
    delete headers.etag
    const { stream, length } = await openCopySource(req, src)
    headers['content-length'] = String(length)
    res = await req.swift.request({ method: 'PUT', container: req.bucket, object: req.key, headers, body: stream })
  } else {
    const headers: Record<string, string> = { 'x-copy-from': `/${encodeURIComponent(src.bucket)}/${encodeURIComponent(src.key)}`, ...aclHeaders(req, 'object') }
    if (replace) Object.assign(headers, { 'x-fresh-metadata': 'true' }, metadataHeaders(req))
    res = await req.swift.request({ method: 'PUT', container: req.bucket, object: req.key, headers })
  }
  throwBodyFailure(req)
  res.discard()
  if (res.status === 404) throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  if (res.status !== 201) throw swiftError(req, res)
  sendXml(req, 200, 'CopyObjectResult', { LastModified: s3TimeOfHttpDate(res.headers['last-modified']), ETag: s3Etag(res.headers) })
}

function keptMetadata(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith('x-object-meta-') || ['content-type', 'cache-control', 'expires', 'content-disposition', 'content-encoding', 'content-language', 'x-object-sysmeta-s3api-acl', 'x-object-sysmeta-s3api-tagging', 'x-object-transient-sysmeta-s3api-acl', 'x-object-transient-sysmeta-s3api-tagging'].includes(k)) out[k] = v
  }
  return out
}
