// Authenticating one S3 request: which signature it carries (V4 header, V4 query, V2 header,
// V2 query), whether its time is acceptable (RequestTimeTooSkewed, expired presigns), whose
// access key it names and whether the signature matches that key's secret. Keys come from
// the pipeline's tempauth (access key "account:user", the user's key as secret), as Swift's
// s3api hands its signature to tempauth.
import type { MiddlewareDeps } from '../../context.ts'
import type { TempAuthS3Credential } from '../tempauth.ts'
import { lookupTempAuthS3Credential } from '../tempauth.ts'
import { AccessDenied, AuthorizationHeaderMalformed, InvalidAccessKeyId, InvalidArgument, RequestTimeTooSkewed, SignatureDoesNotMatch } from './errors.ts'
import { parseSigV2Header, parseSigV2Query, signV2, stringToSignV2 } from './sigv2.ts'
import type { SignedRequest, SigV4Parts } from './sigv4.ts'
import { SIGV4_ALGORITHM, hmacHex, parseAmzDate, parseSigV4Header, parseSigV4Query, queryPairs, sameSignature, scopeOf, signingKey, stringToSign } from './sigv4.ts'

export interface S3AuthOptions {
  /** Swift's allowable_clock_skew (seconds). */
  clockSkewSeconds: number
  /** The region V4 signatures must be scoped to (Swift's `location`). */
  region: string
  now: () => number
}

/** What the rest of the request needs from a verified signature. */
export interface S3Authenticated {
  credential: TempAuthS3Credential
  accessKey: string
  version: 2 | 4
  /** SigV4 only: what chunk signatures chain from. */
  v4?: { parts: SigV4Parts; key: Buffer }
}

/** Whether the request carries any S3 signature at all (otherwise it is a Swift API request). */
export function isS3Request(headers: SignedRequest['headers'], rawQuery: string): boolean {
  const auth = headers.authorization
  if (typeof auth === 'string' && (auth.startsWith(`${SIGV4_ALGORITHM} `) || auth.startsWith('AWS '))) return true
  if (!rawQuery) return false
  const names = new Set(queryPairs(rawQuery).map(([k]) => k))
  return names.has('X-Amz-Credential') || (names.has('AWSAccessKeyId') && names.has('Signature'))
}

export function lookupCredential(deps: MiddlewareDeps, accessKey: string): TempAuthS3Credential {
  const credential = lookupTempAuthS3Credential(deps, accessKey)
  if (!credential) throw new InvalidAccessKeyId(undefined, { AWSAccessKeyId: accessKey })
  return credential
}

function checkSkew(dateMs: number, options: S3AuthOptions): void {
  if (Number.isNaN(dateMs)) throw new AccessDenied('AWS authentication requires a valid Date or x-amz-date header')
  const now = options.now()
  if (Math.abs(now - dateMs) > options.clockSkewSeconds * 1000) {
    throw new RequestTimeTooSkewed(undefined, {
      RequestTime: new Date(dateMs).toISOString(),
      ServerTime: new Date(now).toISOString(),
      MaxAllowedSkewMilliseconds: String(options.clockSkewSeconds * 1000),
    })
  }
}

function authenticateV4(deps: MiddlewareDeps, req: SignedRequest, parts: SigV4Parts, options: S3AuthOptions): S3Authenticated {
  if (parts.region !== options.region) {
    const message = `The authorization header is malformed; the region '${parts.region}' is wrong; expecting '${options.region}'`
    throw new AuthorizationHeaderMalformed(message, { Region: options.region })
  }
  if (parts.service !== 's3') throw new AuthorizationHeaderMalformed(`The authorization header is malformed; incorrect service '${parts.service}'. This endpoint belongs to 's3'.`)
  if (!parts.signedHeaders.includes('host')) throw new AccessDenied('Host must be signed')
  const credential = lookupCredential(deps, parts.accessKey)
  const key = signingKey(credential.secret, parts)
  const expected = hmacHex(key, stringToSign(req, parts))
  if (!sameSignature(expected, parts.signature)) {
    throw new SignatureDoesNotMatch(undefined, { AWSAccessKeyId: parts.accessKey, StringToSign: stringToSign(req, parts) })
  }
  const dateMs = parseAmzDate(parts.amzDate || '')
  const headerDate = parts.amzDate ? dateMs : Date.parse(String(req.headers.date ?? ''))
  if (parts.presigned) {
    if (Number.isNaN(dateMs)) throw new AccessDenied('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"')
    const now = options.now()
    if (dateMs - now > options.clockSkewSeconds * 1000) throw new AccessDenied('Request is not valid yet')
    if (now > dateMs + (parts.expires ?? 0) * 1000) throw new AccessDenied('Request has expired', { 'X-Amz-Expires': String(parts.expires), Expires: new Date(dateMs + (parts.expires ?? 0) * 1000).toISOString(), ServerTime: new Date(now).toISOString() })
  } else {
    checkSkew(headerDate, options)
  }
  if (parts.amzDate && parts.amzDate.slice(0, 8) !== parts.scopeDate) throw new AuthorizationHeaderMalformed('The authorization header is malformed; the credential date does not match the request date')
  return { credential, accessKey: parts.accessKey, version: 4, v4: { parts, key } }
}

function authenticateV2(deps: MiddlewareDeps, req: SignedRequest, presigned: boolean, options: S3AuthOptions, bucketFromHost?: string): S3Authenticated {
  const parts = presigned ? parseSigV2Query(req.rawQuery) : parseSigV2Header(String(req.headers.authorization ?? ''))
  if (!parts) throw new AccessDenied('AWS authentication requires a valid Date or x-amz-date header')
  const credential = lookupCredential(deps, parts.accessKey)
  const text = stringToSignV2(req, parts, bucketFromHost)
  if (!sameSignature(signV2(credential.secret, text), parts.signature)) {
    throw new SignatureDoesNotMatch(undefined, { AWSAccessKeyId: parts.accessKey, StringToSign: text })
  }
  if (presigned) {
    if (options.now() > (parts.expires ?? 0) * 1000) throw new AccessDenied('Request has expired')
  } else {
    const amzDate = req.headers['x-amz-date']
    checkSkew(Date.parse(String(amzDate ?? req.headers.date ?? '')), options)
  }
  return { credential, accessKey: parts.accessKey, version: 2 }
}

export function authenticate(deps: MiddlewareDeps, req: SignedRequest, options: S3AuthOptions, bucketFromHost?: string): S3Authenticated {
  const auth = req.headers.authorization
  if (typeof auth === 'string' && auth.startsWith(`${SIGV4_ALGORITHM} `)) return authenticateV4(deps, req, parseSigV4Header(req), options)
  if (typeof auth === 'string' && auth.startsWith('AWS ')) return authenticateV2(deps, req, false, options, bucketFromHost)
  const names = new Set(queryPairs(req.rawQuery).map(([k]) => k))
  if (names.has('X-Amz-Credential')) return authenticateV4(deps, req, parseSigV4Query(req), options)
  if (names.has('AWSAccessKeyId')) return authenticateV2(deps, req, true, options, bucketFromHost)
  throw new InvalidArgument('Unsupported authorization type')
}

export { scopeOf }
