// SigV4 header signing for the raw-request S3 tests, with the SigV4 module (itself checked
// against AWS's documented examples in test/unit/proxy/s3api/sigv4.test.ts), so a test can
// sign a request and then tamper with it.
import { createHash } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import { hmacHex, parseSigV4Header, scopeOf, signingKey, stringToSign } from '../../../proxy/middleware/s3api/sigv4.ts'
import { S3_USER } from './s3-cluster.ts'
import type { S3Cluster } from './s3-cluster.ts'

export const amzDateOf = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
export const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
export const codeOf = (body: Buffer) => /<Code>([^<]+)<\/Code>/.exec(body.toString())?.[1]

export interface Signed {
  headers: OutgoingHttpHeaders
  key: Buffer
  scope: string
  amzDate: string
  signature: string
}

export function sign(cluster: S3Cluster, method: string, path: string, headers: Record<string, string>, payloadHash: string, options: { secret?: string; now?: number } = {}): Signed {
  const amzDate = amzDateOf(options.now ?? Date.now())
  const host = new URL(cluster.url).host
  const all: Record<string, string> = { ...headers, host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash }
  const signed = Object.keys(all).map((h) => h.toLowerCase()).sort()
  const scopeParts = { scopeDate: amzDate.slice(0, 8), region: 'us-east-1', service: 's3' }
  const credential = `${S3_USER.accessKey}/${scopeOf(scopeParts)}`
  const draft = `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signed.join(';')}, Signature=`
  const [rawPath = path, rawQuery = ''] = path.split('?')
  const req = { method, rawPath, rawQuery, headers: { ...all, authorization: `${draft}x` } }
  const parts = parseSigV4Header(req)
  const key = signingKey(options.secret ?? S3_USER.secret, scopeParts)
  const signature = hmacHex(key, stringToSign(req, parts))
  return { headers: { ...all, authorization: draft + signature }, key, scope: scopeOf(scopeParts), amzDate, signature }
}

/** A signed request sent to the cluster (body hashed into x-amz-content-sha256). */
export function s3Request(cluster: S3Cluster, method: string, path: string, headers: Record<string, string> = {}, body: Buffer | string = '') {
  const s = sign(cluster, method, path, headers, sha(body))
  return cluster.request(method, path, { headers: s.headers, body: method === 'GET' || method === 'HEAD' ? undefined : body })
}
