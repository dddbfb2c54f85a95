// One S3 request as the controllers see it: bucket and key (path-style or virtual-hosted),
// the decoded query, the Swift client bound to the credential owner's account, the
// verified request body, and the helpers that answer in S3's shapes.
import type { Readable } from 'node:stream'
import type { ProxyContext } from '../../context.ts'
import type { Owner, Requester } from './acl-model.ts'
import type { S3Authenticated } from './auth.ts'
import type { BucketRegistry } from './bucket-registry.ts'
import type { BodyCheck } from './aws-chunked.ts'
import type { PostForm } from './post-form.ts'
import type { S3Error } from './errors.ts'
import { InvalidBucketName, KeyTooLongError, MalformedXML, NoSuchBucket, errorForSwiftStatus } from './errors.ts'
import type { SwiftClient, SwiftResponse } from './swift-client.ts'
import { XmlLimitError, buildXml, parseXml, readLimitedBody } from './xml.ts'

export interface S3Config {
  /** The region buckets live in (Swift's s3api `location`). */
  readonly location: string
  readonly clockSkewSeconds: number
  /** Host names under which `<bucket>.<domain>` is virtual-hosted (Swift's storage_domain). */
  readonly storageDomains: readonly string[]
  /** The smallest part but the last of a multipart upload (AWS: 5 MiB). */
  readonly minSegmentSize: number
  readonly maxMultiDeleteObjects: number
  readonly maxUploadPartNumber: number
  readonly dnsCompliantBucketNames: boolean
}

export interface S3Request {
  readonly ctx: ProxyContext
  readonly config: S3Config
  readonly swift: SwiftClient
  /** The verified signature; undefined for an anonymous request. */
  readonly auth: S3Authenticated | undefined
  readonly bucket: string | undefined
  readonly key: string | undefined
  readonly query: ReadonlyMap<string, string>
  /** The request body, decoded (aws-chunked) and being verified. */
  readonly body: Readable
  /** Set when the body is checked while it streams; its failure is the answer. */
  readonly bodyCheck: BodyCheck | undefined
  /** The payload's length after decoding, or null when unknown (chunked). */
  readonly contentLength: number | null
  /** The requester as listings show owners (the bucket's owner for foreign requests). */
  readonly owner: { id: string; displayName: string }
  /** Whose ACL grants apply: the credential's canonical id, none when anonymous. */
  readonly requester: Requester
  /** The bucket belongs to another account (or the request is anonymous): ACLs were checked, `swift` acts as the owner. */
  readonly foreign: boolean
  readonly bucketOwner: Owner
  readonly registry: BucketRegistry
  /** A POST Object form (its fields; the file is `body`). */
  readonly form?: PostForm | undefined
}

export const MAX_KEY_LENGTH = 1024

/** S3's bucket naming rules (DNS-compliant unless configured otherwise, as Swift's validate_bucket_name). */
export function validBucketName(name: string, dnsCompliant: boolean): boolean {
  if (name.length < 3 || name.length > 63) return false
  if (!dnsCompliant) return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && !name.includes('+')
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false
  return !/^\d+\.\d+\.\d+\.\d+$/.test(name)
}

export function checkBucketName(name: string, config: S3Config): void {
  if (!validBucketName(name, config.dnsCompliantBucketNames)) throw new InvalidBucketName(undefined, { BucketName: name })
}

export function checkKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_LENGTH) throw new KeyTooLongError(undefined, { Size: String(Buffer.byteLength(key)), MaxSizeAllowed: String(MAX_KEY_LENGTH) })
}

/** Answers an XML document. */
export function sendXml(req: S3Request, status: number, root: string, content: Record<string, unknown>): void {
  req.ctx.status = status
  req.ctx.type = 'application/xml'
  req.ctx.body = buildXml(root, content)
}

/** Answers with no body. */
export function sendEmpty(req: S3Request, status: number): void {
  // Body first: Koa turns a null body's status into 204.
  req.ctx.body = null
  req.ctx.status = status
  if (status !== 204 && status !== 304) req.ctx.set('Content-Length', '0')
}

/** Reads and parses the request's XML body; anything wrong is MalformedXML. */
export async function readXmlBody(req: S3Request): Promise<Record<string, unknown>> {
  try {
    return parseXml(await readLimitedBody(req.body))
  } catch (err) {
    if (err instanceof XmlLimitError) throw new MalformedXML()
    throw err
  }
}

/** The S3 error for a Swift answer, NoSuchBucket / NoSuchKey for 404 as the request targets. */
export function swiftError(req: S3Request, res: SwiftResponse, notFound?: () => S3Error): S3Error {
  res.discard()
  return errorForSwiftStatus(res.status, notFound ?? (() => new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })))
}

/** Swift's ISO-ish listing time "2024-05-01T12:34:56.789012" as S3's "2024-05-01T12:34:56.789Z". */
export function s3ListingTime(swift: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(swift)
  if (!m) return swift
  return `${m[1]}.${(m[2] ?? '000').padEnd(3, '0').slice(0, 3)}Z`
}

/** An HTTP date as S3's listing time. */
export function s3TimeOfHttpDate(httpDate: string | undefined): string {
  const ms = httpDate ? Date.parse(httpDate) : Number.NaN
  return Number.isNaN(ms) ? new Date().toISOString() : new Date(ms).toISOString()
}

export const quoteEtag = (etag: string) => (etag.startsWith('"') ? etag : `"${etag}"`)
export const unquoteEtag = (etag: string) => etag.trim().replace(/^"|"$/g, '')
