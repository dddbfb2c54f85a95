// AWS Signature Version 4 (header and presigned query forms) as S3 checks it: canonical
// request, string to sign, the date/region/service scoped signing key, and the per-chunk
// signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies. Pure functions: the middleware
// supplies the secret once the access key is known.
// Behaviour as AWS's "Authenticating Requests (AWS Signature Version 4)" and Swift's
// s3api/s3request.py SigV4Mixin.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { AuthorizationHeaderMalformed, AuthorizationQueryParametersError, InvalidRequest } from './errors.ts'

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256'
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex')
/** AWS's limit on X-Amz-Expires (seven days). */
export const MAX_PRESIGN_SECONDS = 604_800

export interface SignedRequest {
  method: string
  /** The path as sent, still percent-encoded. */
  rawPath: string
  /** The query string as sent, without "?". */
  rawQuery: string
  headers: IncomingHttpHeaders
}

export interface SigV4Parts {
  accessKey: string
  /** yyyymmdd of the credential scope. */
  scopeDate: string
  region: string
  service: string
  signedHeaders: string[]
  signature: string
  /** x-amz-date / X-Amz-Date (yyyymmddThhmmssZ). */
  amzDate: string
  /** The payload hash the canonical request ends with. */
  payloadHash: string
  presigned: boolean
  /** Seconds a presigned URL stays valid. */
  expires?: number
}

/** AWS's UriEncode: everything but unreserved characters, '/' kept when `keepSlash`. */
export function awsUriEncode(text: string, keepSlash: boolean): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The query's (name, value) pairs, decoded, in order. */
export function queryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return []
  return rawQuery.split('&').filter(Boolean).map((item) => {
    const eq = item.indexOf('=')
    return eq < 0 ? [safeDecode(item), ''] : [safeDecode(item.slice(0, eq)), safeDecode(item.slice(eq + 1))]
  })
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name]
  if (v === undefined) return ''
  const values = Array.isArray(v) ? v : [v]
  return values.map((x) => x.trim().replace(/\s+/g, ' ')).join(',')
}

export function parseCredential(credential: string, malformed: () => Error): Pick<SigV4Parts, 'accessKey' | 'scopeDate' | 'region' | 'service'> {
  const parts = credential.split('/')
  if (parts.length < 5 || parts.at(-1) !== 'aws4_request') throw malformed()
  const terminal = parts.length - 1
  const service = parts[terminal - 1] as string
  const region = parts[terminal - 2] as string
  const scopeDate = parts[terminal - 3] as string
  // Access keys may contain "/"? Not ours, but keep what precedes the scope whole.
  const accessKey = parts.slice(0, terminal - 3).join('/')
  if (!/^\d{8}$/.test(scopeDate) || !accessKey) throw malformed()
  return { accessKey, scopeDate, region, service }
}

/** The signature parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export function parseSigV4Header(req: SignedRequest): SigV4Parts {
  const auth = String(req.headers.authorization ?? '')
  const fields = new Map<string, string>()
  for (const item of auth.slice(SIGV4_ALGORITHM.length).split(',')) {
    const eq = item.indexOf('=')
    if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim())
  }
  const malformed = () => new AuthorizationHeaderMalformed()
  const credential = fields.get('Credential')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  if (!credential || !signedHeaders || !signature) throw malformed()
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  const payloadHash = req.headers['x-amz-content-sha256']
  if (payloadHash === undefined) throw new InvalidRequest('Missing required header for this request: x-amz-content-sha256')
  return {
    ...parseCredential(credential, malformed),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    payloadHash: String(payloadHash),
    presigned: false,
  }
}

/** The signature parts of a presigned URL (X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...). */
export function parseSigV4Query(req: SignedRequest): SigV4Parts {
  const q = new Map(queryPairs(req.rawQuery))
  const malformed = () => new AuthorizationQueryParametersError()
  if (q.get('X-Amz-Algorithm') !== SIGV4_ALGORITHM) throw malformed()
  const credential = q.get('X-Amz-Credential')
  const signedHeaders = q.get('X-Amz-SignedHeaders')
  const signature = q.get('X-Amz-Signature')
  const amzDate = q.get('X-Amz-Date')
  const expires = Number(q.get('X-Amz-Expires'))
  if (!credential || !signedHeaders || !signature || !amzDate || !Number.isInteger(expires) || expires < 0) throw malformed()
  if (expires > MAX_PRESIGN_SECONDS) throw new AuthorizationQueryParametersError('X-Amz-Expires must be less than a week (in seconds) that is 604800')
  return {
    ...parseCredential(credential, malformed),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    payloadHash: q.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD,
    presigned: true,
    expires,
  }
}

export function canonicalRequest(req: SignedRequest, parts: SigV4Parts): string {
  const uri = awsUriEncode(safeDecode(req.rawPath), true)
  const pairs = queryPairs(req.rawQuery)
    .filter(([k]) => !(parts.presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [awsUriEncode(k, false), awsUriEncode(v, false)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
  const query = pairs.map(([k, v]) => `${k}=${v}`).join('&')
  const headers = parts.signedHeaders.map((h) => `${h}:${headerValue(req.headers, h)}\n`).join('')
  return [req.method, uri, query, headers, parts.signedHeaders.join(';'), parts.payloadHash].join('\n')
}

export function scopeOf(parts: Pick<SigV4Parts, 'scopeDate' | 'region' | 'service'>): string {
  return `${parts.scopeDate}/${parts.region}/${parts.service}/aws4_request`
}

export function stringToSign(req: SignedRequest, parts: SigV4Parts): string {
  const hashed = createHash('sha256').update(canonicalRequest(req, parts)).digest('hex')
  return [SIGV4_ALGORITHM, parts.amzDate, scopeOf(parts), hashed].join('\n')
}

export function signingKey(secret: string, parts: Pick<SigV4Parts, 'scopeDate' | 'region' | 'service'>): Buffer {
  let key = createHmac('sha256', `AWS4${secret}`).update(parts.scopeDate).digest()
  for (const step of [parts.region, parts.service, 'aws4_request']) key = createHmac('sha256', key).update(step).digest()
  return key
}

export function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex')
}

/** Constant-time comparison of two signatures (hex or base64 text). */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The signature of one aws-chunked chunk, chained from the previous one (the seed is the header's). */
export function chunkSignature(key: Buffer, amzDate: string, scope: string, previous: string, chunkSha256: string): string {
  return hmacHex(key, ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, EMPTY_SHA256, chunkSha256].join('\n'))
}

/** yyyymmddThhmmssZ as epoch milliseconds, or NaN. */
export function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (!m) return Number.NaN
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
}
