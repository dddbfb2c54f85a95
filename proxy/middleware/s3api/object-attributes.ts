// GetObjectAttributes (GET ?attributes, x-amz-object-attributes: ETag, Checksum, ObjectParts,
// StorageClass, ObjectSize): what a HEAD knows, plus a multipart object's parts from its SLO
// manifest (x-amz-max-parts, x-amz-part-number-marker page them). Swift's s3api has no such call.
import { InvalidArgument, NoSuchBucket, NoSuchKey } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { sendXml, swiftError, unquoteEtag } from './s3-request.ts'
import { objectSize, s3Etag } from './object-headers.ts'
import { isMultipartObject, readManifest } from './multipart-store.ts'
import { awsName, storedChecksum } from './checksums.ts'

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const

function intHeader(req: S3Request, name: string, fallback: number, max: number): number {
  const raw = req.ctx.get(name)
  if (!raw) return fallback
  if (!/^\d+$/.test(raw)) throw new InvalidArgument(`Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw })
  return Math.min(Number(raw), max)
}

export async function getObjectAttributes(req: S3Request): Promise<void> {
  const wanted = new Set<string>()
  for (const item of req.ctx.get('x-amz-object-attributes').split(',')) {
    const name = item.trim()
    if (!name) continue
    const known = ATTRIBUTES.find((a) => a.toLowerCase() === name.toLowerCase())
    if (!known) throw new InvalidArgument('Invalid attribute name specified.', { ArgumentName: 'x-amz-object-attributes', ArgumentValue: name })
    wanted.add(known)
  }
  if (wanted.size === 0) throw new InvalidArgument('x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty', { ArgumentName: 'x-amz-object-attributes', ArgumentValue: '' })
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  res.discard()
  if (res.status === 404) {
    const bucket = await req.swift.request({ method: 'HEAD', container: req.bucket })
    bucket.discard()
    throw bucket.status === 404 ? new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' }) : new NoSuchKey(undefined, { Key: req.key ?? '' })
  }
  if (res.status !== 200) throw swiftError(req, res, () => new NoSuchKey(undefined, { Key: req.key ?? '' }))
  const out: Record<string, unknown> = {}
  if (wanted.has('ETag')) out.ETag = unquoteEtag(s3Etag(res.headers))
  const checksum = storedChecksum(res.headers)
  if (wanted.has('Checksum') && checksum) out.Checksum = { [`Checksum${awsName(checksum.algorithm)}`]: checksum.value, ChecksumType: checksum.type }
  if (wanted.has('ObjectParts') && isMultipartObject(res.headers)) {
    const segments = (await readManifest(req.swift, req.bucket as string, req.key as string)) ?? []
    const maxParts = intHeader(req, 'x-amz-max-parts', 1000, 1000)
    const marker = intHeader(req, 'x-amz-part-number-marker', 0, Number.MAX_SAFE_INTEGER)
    const page = segments.map((s, i) => ({ PartNumber: i + 1, Size: s.bytes })).filter((p) => p.PartNumber > marker)
    const shown = page.slice(0, maxParts)
    out.ObjectParts = {
      PartsCount: segments.length,
      PartNumberMarker: marker,
      NextPartNumberMarker: shown.at(-1)?.PartNumber ?? marker,
      MaxParts: maxParts,
      IsTruncated: page.length > maxParts ? 'true' : 'false',
      ...(shown.length ? { Part: shown } : {}),
    }
  }
  if (wanted.has('StorageClass')) out.StorageClass = 'STANDARD'
  if (wanted.has('ObjectSize')) out.ObjectSize = objectSize(res.headers)
  if (res.headers['last-modified']) req.ctx.set('Last-Modified', res.headers['last-modified'])
  sendXml(req, 200, 'GetObjectAttributesResponse', out)
}
