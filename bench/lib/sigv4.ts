// A minimal AWS Signature Version 4 signer (header authentication) for the load generator's
// S3 requests, written from AWS's published description of the algorithm. The payload may be
// left unsigned ("UNSIGNED-PAYLOAD"), which S3 and Swift's s3api accept over plain HTTP.
import { createHash, createHmac } from 'node:crypto'

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

export interface SigV4Credentials {
  accessKey: string
  secretKey: string
  region: string
  /** "s3" for S3; AWS's generic test suite uses "service". */
  service: string
}

export interface SigV4Request {
  method: string
  /** The path as sent on the wire (already percent-encoded). */
  path: string
  /** Query parameters, unencoded; order does not matter. */
  query?: Readonly<Record<string, string>>
  /** Header names in any case; "host" is required. */
  headers: Readonly<Record<string, string>>
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string
}

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest()

/** RFC 3986 encoding as SigV4 wants it: only A-Z a-z 0-9 - _ . ~ stay as they are. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** 20150830T123600Z */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

export function canonicalQuery(query: Readonly<Record<string, string>> = {}): string {
  return Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

export interface CanonicalParts {
  canonicalRequest: string
  signedHeaders: string
}

export function canonicalRequest(req: SigV4Request): CanonicalParts {
  const headers = Object.entries(req.headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const signedHeaders = headers.map(([k]) => k).join(';')
  const canonical = [
    req.method,
    req.path || '/',
    canonicalQuery(req.query),
    headers.map(([k, v]) => `${k}:${v}\n`).join(''),
    signedHeaders,
    req.payloadHash,
  ].join('\n')
  return { canonicalRequest: canonical, signedHeaders }
}

export function signingKey(creds: SigV4Credentials, day: string): Buffer {
  const kDate = hmac(`AWS4${creds.secretKey}`, day)
  const kRegion = hmac(kDate, creds.region)
  const kService = hmac(kRegion, creds.service)
  return hmac(kService, 'aws4_request')
}

/**
 * The Authorization header for `req` at `date`. The request's headers must already hold
 * x-amz-date (= amzDate(date)) and, for S3, x-amz-content-sha256 (= payloadHash).
 */
export function authorization(creds: SigV4Credentials, req: SigV4Request, date: Date): string {
  const stamp = amzDate(date)
  const day = stamp.slice(0, 8)
  const scope = `${day}/${creds.region}/${creds.service}/aws4_request`
  const { canonicalRequest: canonical, signedHeaders } = canonicalRequest(req)
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256Hex(canonical)].join('\n')
  const signature = createHmac('sha256', signingKey(creds, day)).update(stringToSign, 'utf8').digest('hex')
  return `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
}

/** Headers to send for an S3 request: the given ones plus x-amz-date, x-amz-content-sha256, authorization. */
export function signS3Headers(
  creds: SigV4Credentials,
  req: { method: string; path: string; query?: Readonly<Record<string, string>>; headers: Record<string, string>; payloadHash?: string },
  date = new Date(),
): Record<string, string> {
  const payloadHash = req.payloadHash ?? UNSIGNED_PAYLOAD
  const headers = { ...req.headers, 'x-amz-date': amzDate(date), 'x-amz-content-sha256': payloadHash }
  const auth = authorization(creds, { method: req.method, path: req.path, headers, payloadHash, ...(req.query ? { query: req.query } : {}) }, date)
  return { ...headers, authorization: auth }
}
