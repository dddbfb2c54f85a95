// Multipart uploads (Swift's s3api controllers/multi_upload.py): Create, UploadPart,
// UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads, over the storage layout
// of multipart-store.ts.
import { createHash, randomBytes } from 'node:crypto'
import { EntityTooSmall, InvalidArgument, InvalidRequest, InvalidPart, InvalidPartOrder, MalformedXML, NoSuchBucket, NoSuchUpload, PreconditionFailed } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { quoteEtag, s3ListingTime, s3TimeOfHttpDate, sendEmpty, sendXml, swiftError, unquoteEtag } from './s3-request.ts'
import { readXmlBody } from './s3-request.ts'
import { objectWriteHeaders, s3Etag } from './object-headers.ts'
import { checksumWriteHeaders, throwBodyFailure } from './object.ts'
import { copySourceRange, openCopySource, resolveCopySource } from './copy.ts'
import type { SegmentEntry } from './multipart-store.ts'
import { ETAG_SYSMETA, UPLOAD_ID_SYSMETA, deleteSegments, isMultipartObject, listSegments, partName, readManifest, segmentsContainer, uploadMarkerName } from './multipart-store.ts'
import { listOf, textOf } from './xml.ts'
import { bucketVersioning } from './versioning.ts'
import type { ChecksumAlgorithm } from './checksums.ts'
import { CHECKSUM_ALGORITHMS, CHECKSUM_TYPE_SYSMETA, UPLOAD_CHECKSUM_SYSMETA, awsName, checksumSysmeta, compositeChecksum } from './checksums.ts'

const UPLOAD_ID = /^[A-Za-z0-9_-]{32}$/

function uploadIdOf(req: S3Request): string {
  const id = req.query.get('uploadId') ?? ''
  if (!UPLOAD_ID.test(id)) throw new NoSuchUpload(undefined, { UploadId: id })
  return id
}

/** The upload's marker object (its metadata is the final object's), or NoSuchUpload. */
async function uploadMarker(req: S3Request, uploadId: string): Promise<Record<string, string>> {
  const res = await req.swift.request({ method: 'HEAD', container: segmentsContainer(req.bucket as string), object: uploadMarkerName(req.key as string, uploadId) })
  res.discard()
  if (res.status === 200) return res.headers
  if (res.status === 404) throw new NoSuchUpload(undefined, { UploadId: uploadId })
  throw swiftError(req, res)
}

export async function createMultipartUpload(req: S3Request): Promise<void> {
  const bucket = req.bucket as string
  const headers = objectWriteHeaders(req)
  delete headers.etag
  const algorithm = req.ctx.get('x-amz-checksum-algorithm')
  if (algorithm) {
    if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm.toLowerCase())) throw new InvalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, SHA1, SHA256]')
    headers[UPLOAD_CHECKSUM_SYSMETA] = algorithm.toLowerCase()
    req.ctx.set('x-amz-checksum-algorithm', algorithm.toUpperCase())
  }
  const head = await req.swift.request({ method: 'HEAD', container: bucket })
  head.discard()
  if (head.status === 404) throw new NoSuchBucket(undefined, { BucketName: bucket })
  if (head.status !== 204 && head.status !== 200) throw swiftError(req, head)
  const seg = await req.swift.request({ method: 'PUT', container: segmentsContainer(bucket) })
  seg.discard()
  if (seg.status !== 201 && seg.status !== 202) throw swiftError(req, seg)
  const uploadId = randomBytes(24).toString('base64url')
  const res = await req.swift.request({ method: 'PUT', container: segmentsContainer(bucket), object: uploadMarkerName(req.key as string, uploadId), headers, body: Buffer.alloc(0) })
  res.discard()
  if (res.status !== 201) throw swiftError(req, res)
  sendXml(req, 200, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: req.key, UploadId: uploadId })
}

function partNumberOf(req: S3Request): number {
  const raw = req.query.get('partNumber') ?? ''
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > req.config.maxUploadPartNumber) throw new InvalidArgument(`Part number must be an integer between 1 and ${req.config.maxUploadPartNumber}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw })
  return n
}

export async function uploadPart(req: S3Request): Promise<void> {
  const uploadId = uploadIdOf(req)
  const part = partNumberOf(req)
  await uploadMarker(req, uploadId)
  const target = { container: segmentsContainer(req.bucket as string), object: partName(req.key as string, uploadId, part) }
  if (req.ctx.get('x-amz-copy-source')) {
    const src = await resolveCopySource(req)
    const { stream, length } = await openCopySource(req, src, copySourceRange(req, src))
    const res = await req.swift.request({ method: 'PUT', ...target, headers: { 'content-length': String(length) }, body: stream })
    res.discard()
    if (res.status !== 201) throw swiftError(req, res)
    return sendXml(req, 200, 'CopyPartResult', { LastModified: s3TimeOfHttpDate(res.headers['last-modified']), ETag: s3Etag(res.headers) })
  }
  const headers: Record<string, string> = {}
  if (req.contentLength !== null) headers['content-length'] = String(req.contentLength)
  else headers['transfer-encoding'] = 'chunked'
  const md5 = objectWriteHeaders(req).etag
  if (md5) headers.etag = md5
  Object.assign(headers, checksumWriteHeaders(req))
  const res = await req.swift.request({ method: 'PUT', ...target, headers, body: req.body })
  throwBodyFailure(req)
  res.discard()
  if (res.status !== 201) throw swiftError(req, res, () => new NoSuchUpload(undefined, { UploadId: uploadId }))
  req.ctx.set('ETag', s3Etag(res.headers))
  sendEmpty(req, 200)
}

/** The upload's parts by number (the marker and foreign names skipped). */
async function uploadedParts(req: S3Request, uploadId: string): Promise<Map<number, SegmentEntry>> {
  const prefix = `${uploadMarkerName(req.key as string, uploadId)}/`
  const parts = new Map<number, SegmentEntry>()
  for (const entry of await listSegments(req.swift, req.bucket as string, prefix)) {
    const rest = entry.name.slice(prefix.length)
    if (/^[1-9]\d*$/.test(rest)) parts.set(Number(rest), entry)
  }
  return parts
}

export async function completeMultipartUpload(req: S3Request): Promise<void> {
  const uploadId = uploadIdOf(req)
  const bucket = req.bucket as string
  const key = req.key as string
  const marker = await uploadMarker(req, uploadId)
  const doc = await readXmlBody(req)
  const listed = listOf(doc.CompleteMultipartUpload, 'Part')
  if (!doc.CompleteMultipartUpload || listed.length === 0) throw new MalformedXML()
  const uploaded = await uploadedParts(req, uploadId)
  const chosen: { path: string; etag: string; size_bytes: number }[] = []
  const md5s: Buffer[] = []
  let previous = 0
  for (const [i, item] of listed.entries()) {
    const number = Number(textOf(item, 'PartNumber'))
    const etag = unquoteEtag(textOf(item, 'ETag') ?? '')
    if (!Number.isInteger(number) || number < 1) throw new MalformedXML()
    if (number <= previous) throw new InvalidPartOrder(undefined, { UploadId: uploadId })
    previous = number
    const part = uploaded.get(number)
    if (!part || part.hash !== etag) throw new InvalidPart(undefined, { UploadId: uploadId, PartNumber: String(number), ETag: etag })
    if (i < listed.length - 1 && part.bytes < req.config.minSegmentSize) {
      throw new EntityTooSmall(undefined, { UploadId: uploadId, PartNumber: String(number), ProposedSize: String(part.bytes), MinSizeAllowed: String(req.config.minSegmentSize), ETag: etag })
    }
    chosen.push({ path: `/${segmentsContainer(bucket)}/${part.name}`, etag: part.hash, size_bytes: part.bytes })
    md5s.push(Buffer.from(part.hash, 'hex'))
  }
  const etag = `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${chosen.length}`
  const checksum = await completedChecksum(req, marker, chosen, listed, uploadId)
  const headers: Record<string, string> = {
    ...checksum.headers,
    accept: 'application/json',
    [ETAG_SYSMETA]: etag,
    [UPLOAD_ID_SYSMETA]: uploadId,
    // SLO fills in the base value; listings read the S3 ETag from the parameter.
    'x-object-sysmeta-container-update-override-etag': `; s3_etag=${etag}`,
  }
  for (const [k, v] of Object.entries(marker)) {
    if (k === UPLOAD_CHECKSUM_SYSMETA) continue
    if (k.startsWith('x-object-meta-') || k.startsWith('x-object-sysmeta-s3api-') || k.startsWith('x-object-transient-sysmeta-s3api-') || ['content-type', 'cache-control', 'expires', 'content-disposition', 'content-encoding', 'content-language'].includes(k)) headers[k] ??= v
  }
  // An overwritten multipart object's segments would leak: note them to delete after.
  const current = await req.swift.request({ method: 'HEAD', container: bucket, object: key })
  current.discard()
  const ifNoneMatch = req.ctx.get('If-None-Match')
  if (ifNoneMatch === '*' && current.status === 200) throw new PreconditionFailed(undefined, { Condition: 'If-None-Match' })
  const ifMatch = req.ctx.get('If-Match')
  if (ifMatch && (current.status !== 200 || unquoteEtag(ifMatch) !== unquoteEtag(s3Etag(current.headers)))) throw new PreconditionFailed(undefined, { Condition: 'If-Match' })
  // A versioned bucket keeps the replaced object as a version: its segments stay.
  const replaced = current.status === 200 && isMultipartObject(current.headers) && (await bucketVersioning(req)).status !== 'Enabled' ? await readManifest(req.swift, bucket, key) : undefined
  const res = await req.swift.request({ method: 'PUT', container: bucket, object: key, query: { 'multipart-manifest': 'put' }, headers, body: Buffer.from(JSON.stringify(chosen)) })
  if (res.status === 400) {
    // SLO found a part changed since it was listed (a concurrent UploadPart of the same number).
    req.ctx.state.log.warn('s3api: SLO refused a multipart manifest', { body: await res.text() })
    throw new InvalidPart(undefined, { UploadId: uploadId })
  }
  res.discard()
  if (res.status !== 201) throw swiftError(req, res)
  if (res.headers['x-object-version-id']) req.ctx.set('x-amz-version-id', res.headers['x-object-version-id'])
  const kept = new Set(chosen.map((p) => p.path))
  const unused = [...uploaded.values()].map((p) => p.name).filter((n) => !kept.has(`/${segmentsContainer(bucket)}/${n}`))
  if (replaced) unused.push(...replaced.map((p) => p.name).filter((n) => !kept.has(n)))
  await deleteSegments(req.swift, bucket, [...unused, uploadMarkerName(key, uploadId)])
  sendXml(req, 200, 'CompleteMultipartUploadResult', { Location: `/${bucket}/${key}`, Bucket: bucket, Key: key, ETag: quoteEtag(etag), ...checksum.xml })
}

/**
 * The completed object's COMPOSITE checksum when the upload named an algorithm: each part's
 * stored checksum (a checksum the Complete request lists must equal it), combined.
 */
async function completedChecksum(req: S3Request, marker: Record<string, string>, chosen: readonly { path: string }[], listed: readonly unknown[], uploadId: string): Promise<{ headers: Record<string, string>; xml: Record<string, string> }> {
  const algorithm = marker[UPLOAD_CHECKSUM_SYSMETA] as ChecksumAlgorithm | undefined
  if (!algorithm || !(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) return { headers: {}, xml: {} }
  const values: string[] = new Array<string>(chosen.length)
  const queue = chosen.map((c, i) => [c, i] as const)
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [c, i] = item
      const slash = c.path.indexOf('/', 1)
      const res = await req.swift.request({ method: 'HEAD', container: c.path.slice(1, slash), object: c.path.slice(slash + 1) })
      res.discard()
      values[i] = res.headers[checksumSysmeta(algorithm)] ?? ''
    }
  }
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker))
  for (const [i, item] of listed.entries()) {
    const claimed = textOf(item, `Checksum${awsName(algorithm)}`)
    if (claimed !== undefined && values[i] && claimed !== values[i]) throw new InvalidPart(undefined, { UploadId: uploadId, PartNumber: textOf(item, 'PartNumber') ?? '' })
  }
  // A part copied with UploadPartCopy has no checksum of its own: then the object has none either.
  if (values.some((v) => !v)) return { headers: {}, xml: {} }
  const value = compositeChecksum(algorithm, values)
  return {
    headers: { [checksumSysmeta(algorithm)]: value, [CHECKSUM_TYPE_SYSMETA]: 'COMPOSITE' },
    xml: { [`Checksum${awsName(algorithm)}`]: value, ChecksumType: 'COMPOSITE' },
  }
}

export async function abortMultipartUpload(req: S3Request): Promise<void> {
  const uploadId = uploadIdOf(req)
  await uploadMarker(req, uploadId)
  const parts = await uploadedParts(req, uploadId)
  await deleteSegments(req.swift, req.bucket as string, [...[...parts.values()].map((p) => p.name), uploadMarkerName(req.key as string, uploadId)])
  sendEmpty(req, 204)
}

function intParam(req: S3Request, name: string, fallback: number, max: number): number {
  const raw = req.query.get(name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new InvalidArgument(`Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw })
  return Math.min(Number(raw), max)
}

export async function listParts(req: S3Request): Promise<void> {
  const uploadId = uploadIdOf(req)
  await uploadMarker(req, uploadId)
  const maxParts = intParam(req, 'max-parts', 1000, 1000)
  const after = intParam(req, 'part-number-marker', 0, Number.MAX_SAFE_INTEGER)
  const all = [...(await uploadedParts(req, uploadId)).entries()].sort((a, b) => a[0] - b[0]).filter(([n]) => n > after)
  const page = all.slice(0, maxParts)
  const truncated = all.length > maxParts
  const owner = { ID: req.owner.id, DisplayName: req.owner.displayName }
  const out: Record<string, unknown> = {
    Bucket: req.bucket, Key: req.key, UploadId: uploadId, Initiator: owner, Owner: owner, StorageClass: 'STANDARD',
    PartNumberMarker: after, NextPartNumberMarker: page.at(-1)?.[0] ?? after, MaxParts: maxParts, IsTruncated: truncated ? 'true' : 'false',
  }
  if (page.length) out.Part = page.map(([n, p]) => ({ PartNumber: n, LastModified: s3ListingTime(p.last_modified), ETag: quoteEtag(p.hash), Size: p.bytes }))
  sendXml(req, 200, 'ListPartsResult', out)
}

export async function listMultipartUploads(req: S3Request): Promise<void> {
  const bucket = req.bucket as string
  const head = await req.swift.request({ method: 'HEAD', container: bucket })
  head.discard()
  if (head.status === 404) throw new NoSuchBucket(undefined, { BucketName: bucket })
  const prefix = req.query.get('prefix') ?? ''
  const keyMarker = req.query.get('key-marker') ?? ''
  const maxUploads = intParam(req, 'max-uploads', 1000, 1000)
  const uploads: { key: string; id: string; initiated: string }[] = []
  for (const entry of await listSegments(req.swift, bucket, prefix)) {
    const slash = entry.name.lastIndexOf('/')
    const id = entry.name.slice(slash + 1)
    if (slash <= 0 || !UPLOAD_ID.test(id)) continue
    const key = entry.name.slice(0, slash)
    if (keyMarker && key <= keyMarker) continue
    uploads.push({ key, id, initiated: s3ListingTime(entry.last_modified) })
  }
  uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated < b.initiated ? -1 : 1))
  const page = uploads.slice(0, maxUploads)
  const owner = { ID: req.owner.id, DisplayName: req.owner.displayName }
  const out: Record<string, unknown> = {
    Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: req.query.get('upload-id-marker') ?? '',
    NextKeyMarker: page.at(-1)?.key ?? '', NextUploadIdMarker: page.at(-1)?.id ?? '', MaxUploads: maxUploads,
    IsTruncated: uploads.length > maxUploads ? 'true' : 'false',
  }
  if (prefix) out.Prefix = prefix
  if (page.length) out.Upload = page.map((u) => ({ Key: u.key, UploadId: u.id, Initiator: owner, Owner: owner, StorageClass: 'STANDARD', Initiated: u.initiated }))
  sendXml(req, 200, 'ListMultipartUploadsResult', out)
}
