// Service and bucket requests (Swift's s3api controllers/service.py, bucket.py, location.py):
// ListBuckets over the account listing, CreateBucket / HeadBucket / DeleteBucket over the
// container, GetBucketLocation, and ListObjects v1 / v2 over the container listing.
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, BucketNotEmpty, InvalidArgument, InvalidLocationConstraint, NoSuchBucket } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { checkBucketName, quoteEtag, readXmlBody, s3ListingTime, sendEmpty, sendXml, swiftError, validBucketName } from './s3-request.ts'
import { textOf } from './xml.ts'
import { segmentsContainer } from './multipart-store.ts'
import { aclHeaders } from './acl.ts'

interface AccountEntry {
  name: string
  last_modified?: string
}

export interface ContainerEntry {
  name?: string
  subdir?: string
  bytes?: number
  hash?: string
  last_modified?: string
  content_type?: string
}

const LISTING_PAGE = 10_000

export async function listBuckets(req: S3Request): Promise<void> {
  const buckets: Record<string, string>[] = []
  let marker = ''
  for (;;) {
    const res = await req.swift.request({ method: 'GET', query: { format: 'json', marker, limit: String(LISTING_PAGE) } })
    if (res.status === 404 || res.status === 204) break
    if (res.status !== 200) throw swiftError(req, res)
    const page = JSON.parse(await res.text()) as AccountEntry[]
    for (const c of page) {
      if (!validBucketName(c.name, req.config.dnsCompliantBucketNames)) continue
      buckets.push({ Name: c.name, CreationDate: c.last_modified ? s3ListingTime(c.last_modified) : '2009-02-03T16:45:09.000Z' })
    }
    if (page.length < LISTING_PAGE) break
    marker = page.at(-1)?.name ?? ''
  }
  sendXml(req, 200, 'ListAllMyBucketsResult', {
    Owner: { ID: req.owner.id, DisplayName: req.owner.displayName },
    Buckets: buckets.length ? { Bucket: buckets } : '',
  })
}

export async function createBucket(req: S3Request): Promise<void> {
  const bucket = req.bucket as string
  checkBucketName(bucket, req.config)
  if (req.contentLength !== 0) {
    const doc: Record<string, unknown> = await readXmlBody(req).catch((err: unknown) => {
      // An empty body is no configuration at all.
      if (req.contentLength === null) return {} as Record<string, unknown>
      throw err
    })
    const location = textOf(doc.CreateBucketConfiguration, 'LocationConstraint')
    if (location !== undefined && location !== '' && location !== req.config.location && !(req.config.location === 'us-east-1' && location === 'US')) {
      throw new InvalidLocationConstraint(undefined, { LocationConstraint: location })
    }
  }
  const headers = aclHeaders(req, 'bucket')
  const claim = await req.registry.claim(bucket, { account: req.swift.account, owner: { id: req.owner.id, name: req.owner.displayName } })
  if (typeof claim === 'object') throw new BucketAlreadyExists(undefined, { BucketName: bucket })
  const res = await req.swift.request({ method: 'PUT', container: bucket, headers })
  if (res.status === 202) throw new BucketAlreadyOwnedByYou(undefined, { BucketName: bucket })
  if (res.status !== 201 && res.status !== 204) {
    if (claim === 'claimed') await req.registry.release(bucket, req.swift.account)
    throw swiftError(req, res)
  }
  req.ctx.set('Location', `/${bucket}`)
  sendEmpty(req, 200)
}

export async function headBucket(req: S3Request): Promise<void> {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket })
  if (res.status === 204 || res.status === 200) {
    req.ctx.set('x-amz-bucket-region', req.config.location)
    return sendEmpty(req, 200)
  }
  throw swiftError(req, res)
}

export async function deleteBucket(req: S3Request): Promise<void> {
  const bucket = req.bucket as string
  const res = await req.swift.request({ method: 'DELETE', container: bucket })
  if (res.status === 409) throw new BucketNotEmpty(undefined, { BucketName: bucket })
  if (res.status !== 204) throw swiftError(req, res)
  // The multipart segments container goes with its bucket when it is empty (uploads aborted).
  const segments = await req.swift.request({ method: 'DELETE', container: segmentsContainer(bucket) })
  segments.discard()
  await req.registry.release(bucket, req.swift.account)
  sendEmpty(req, 204)
}

export async function getBucketLocation(req: S3Request): Promise<void> {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket })
  if (res.status !== 204 && res.status !== 200) throw swiftError(req, res)
  sendXml(req, 200, 'LocationConstraint', req.config.location === 'us-east-1' ? {} : { '#text': req.config.location })
}

/** S3's encoding-type=url: the name percent-encoded, "/" kept. */
export function encoder(req: S3Request): (s: string) => string {
  const type = req.query.get('encoding-type')
  if (type === undefined) return (s) => s
  if (type !== 'url') throw new InvalidArgument('Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: type })
  return (s) => encodeURIComponent(s).replace(/%2F/g, '/')
}

export function maxKeysOf(req: S3Request, name: string): number {
  const raw = req.query.get(name)
  if (raw === undefined) return 1000
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new InvalidArgument('Provided max-keys not an integer or within integer range', { ArgumentName: name, ArgumentValue: raw })
  return Math.min(n, 1000)
}

export async function listObjects(req: S3Request): Promise<void> {
  const v2 = req.query.get('list-type') === '2'
  const encode = encoder(req)
  const maxKeys = maxKeysOf(req, 'max-keys')
  const prefix = req.query.get('prefix') ?? ''
  const delimiter = req.query.get('delimiter') ?? ''
  let marker: string
  let token: string | undefined
  if (v2) {
    token = req.query.get('continuation-token')
    if (token !== undefined) {
      marker = Buffer.from(token, 'base64').toString('utf8')
      if (token === '' || Buffer.from(marker, 'utf8').toString('base64') !== token) throw new InvalidArgument('The continuation token provided is incorrect', { ArgumentName: 'continuation-token' })
    } else marker = req.query.get('start-after') ?? ''
  } else marker = req.query.get('marker') ?? ''

  let entries: ContainerEntry[] = []
  if (maxKeys > 0) {
    const res = await req.swift.request({
      method: 'GET',
      container: req.bucket,
      query: { format: 'json', limit: String(maxKeys + 1), prefix: prefix || undefined, delimiter: delimiter || undefined, marker: marker || undefined },
    })
    if (res.status !== 200 && res.status !== 204) throw swiftError(req, res)
    entries = res.status === 204 ? [] : (JSON.parse(await res.text()) as ContainerEntry[])
  } else {
    const res = await req.swift.request({ method: 'HEAD', container: req.bucket })
    res.discard()
    if (res.status !== 204 && res.status !== 200) throw swiftError(req, res)
  }
  const truncated = entries.length > maxKeys
  if (truncated) entries = entries.slice(0, maxKeys)
  const fetchOwner = !v2 || req.query.get('fetch-owner') === 'true'
  const contents: Record<string, unknown>[] = []
  const prefixes: Record<string, string>[] = []
  for (const e of entries) {
    if (e.subdir !== undefined) {
      prefixes.push({ Prefix: encode(e.subdir) })
      continue
    }
    const item: Record<string, unknown> = {
      Key: encode(e.name ?? ''),
      LastModified: s3ListingTime(e.last_modified ?? ''),
      ETag: quoteEtag(listingEtag(e)),
      Size: e.bytes ?? 0,
    }
    if (fetchOwner) item.Owner = { ID: req.owner.id, DisplayName: req.owner.displayName }
    item.StorageClass = 'STANDARD'
    contents.push(item)
  }
  const last = entries.at(-1)
  const lastName = last ? (last.subdir ?? last.name ?? '') : ''
  const out: Record<string, unknown> = { Name: req.bucket, Prefix: encode(prefix) }
  if (v2) {
    if (req.query.has('start-after')) out.StartAfter = encode(req.query.get('start-after') ?? '')
    if (token !== undefined) out.ContinuationToken = token
    if (truncated) out.NextContinuationToken = Buffer.from(lastName, 'utf8').toString('base64')
    out.KeyCount = contents.length + prefixes.length
  } else {
    out.Marker = encode(marker)
    if (truncated && delimiter) out.NextMarker = encode(lastName)
  }
  out.MaxKeys = maxKeys
  if (delimiter) out.Delimiter = encode(delimiter)
  if (req.query.has('encoding-type')) out.EncodingType = 'url'
  out.IsTruncated = truncated ? 'true' : 'false'
  if (contents.length) out.Contents = contents
  if (prefixes.length) out.CommonPrefixes = prefixes
  sendXml(req, 200, 'ListBucketResult', out)
}

/** A multipart object's listing hash carries its S3 ETag as "<md5>; s3_etag=<md5>-N" (the container update override). */
export function listingEtag(e: Pick<ContainerEntry, 'hash'>): string {
  const [base = '', ...params] = (e.hash ?? '').split(';')
  for (const param of params) {
    const [k, v] = param.trim().split('=', 2)
    if (k === 's3_etag' && v) return v
  }
  return base.trim()
}

export { NoSuchBucket }
