// AWS Signature Version 2 (the `Authorization: AWS key:signature` header and the
// AWSAccessKeyId/Expires/Signature query form): HMAC-SHA1 over method, Content-MD5,
// Content-Type, date, the x-amz-* headers and the canonicalized resource with its
// sub-resources. As AWS's "Signing and Authenticating REST Requests" and Swift's
// s3api/s3request.py string_to_sign.
import { createHmac } from 'node:crypto'
import type { SignedRequest } from './sigv4.ts'
import { queryPairs } from './sigv4.ts'

/** Query parameters that are part of the signed resource (AWS's list, plus response-* overrides). */
const SUB_RESOURCES = new Set([
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy', 'requestPayment', 'restore', 'tagging',
  'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'response-content-language', 'response-content-type', 'response-expires', 'object-lock', 'retention', 'legal-hold',
])

export interface SigV2Parts {
  accessKey: string
  signature: string
  presigned: boolean
  /** Epoch seconds a presigned URL expires at. */
  expires?: number
}

export function parseSigV2Header(authorization: string): SigV2Parts | undefined {
  const m = /^AWS (.+):([^:]+)$/.exec(authorization.trim())
  if (!m) return undefined
  return { accessKey: m[1] as string, signature: m[2] as string, presigned: false }
}

export function parseSigV2Query(rawQuery: string): SigV2Parts | undefined {
  const q = new Map(queryPairs(rawQuery))
  const accessKey = q.get('AWSAccessKeyId')
  const signature = q.get('Signature')
  const expires = Number(q.get('Expires'))
  if (!accessKey || !signature || !Number.isFinite(expires)) return undefined
  return { accessKey, signature, presigned: true, expires }
}

function one(req: SignedRequest, name: string): string {
  const v = req.headers[name]
  return v === undefined ? '' : Array.isArray(v) ? v.join(',') : v
}

/**
 * The string to sign. `bucketFromHost` is the bucket of a virtual-hosted request (it prefixes
 * the resource, which the path then lacks).
 */
export function stringToSignV2(req: SignedRequest, parts: SigV2Parts, bucketFromHost?: string): string {
  const amz: [string, string][] = []
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-') || value === undefined) continue
    amz.push([name, (Array.isArray(value) ? value : [value]).map((v) => v.trim()).join(',')])
  }
  amz.sort((a, b) => (a[0] < b[0] ? -1 : 1))
  const date = parts.presigned ? String(parts.expires) : req.headers['x-amz-date'] !== undefined ? '' : one(req, 'date')
  const sub = queryPairs(req.rawQuery)
    .filter(([k]) => SUB_RESOURCES.has(k))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
  const resource = (bucketFromHost !== undefined ? `/${bucketFromHost}` : '') + req.rawPath + (sub.length ? `?${sub.join('&')}` : '')
  return [req.method, one(req, 'content-md5'), one(req, 'content-type'), date, ...amz.map(([k, v]) => `${k}:${v}`), resource].join('\n')
}

export function signV2(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64')
}
