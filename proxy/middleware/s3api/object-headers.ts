// Object headers both ways: an S3 write's headers as Swift's (x-amz-meta-* → X-Object-Meta-*,
// Content-MD5 → ETag, the stored entity headers, canned ACL and tagging in sysmeta), and a
// Swift object answer's headers as S3's (X-Object-Meta-* → x-amz-meta-*, the S3 ETag of
// multipart objects, response-* overrides).
import { InvalidDigest, InvalidStorageClass } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { quoteEtag } from './s3-request.ts'
import { aclHeaders } from './acl.ts'
import { taggingOfHeader } from './tagging.ts'
import { ETAG_SYSMETA, isMultipartObject } from './multipart-store.ts'

/** Entity headers an object keeps and returns as they were written. */
export const STORED_ENTITY_HEADERS = ['content-type', 'cache-control', 'expires', 'content-disposition', 'content-encoding', 'content-language'] as const

/** Transient sysmeta, so PutObjectTagging's POST may change it; the legacy key is read too. */
export const TAGGING_SYSMETA = 'x-object-transient-sysmeta-s3api-tagging'
export const LEGACY_TAGGING_SYSMETA = 'x-object-sysmeta-s3api-tagging'

export const storedTagging = (headers: Record<string, string>): string | undefined => headers[TAGGING_SYSMETA] ?? headers[LEGACY_TAGGING_SYSMETA]

/** Content-MD5 (base64 of 16 bytes) as the hex ETag Swift checks the body against. */
export function md5HexOfHeader(value: string): string {
  const raw = Buffer.from(value, 'base64')
  if (raw.length !== 16 || raw.toString('base64') !== value.trim()) throw new InvalidDigest(undefined, { 'Content-MD5': value })
  return raw.toString('hex')
}

function checkStorageClass(req: S3Request): void {
  const sc = req.ctx.get('x-amz-storage-class')
  if (sc && sc !== 'STANDARD') throw new InvalidStorageClass(undefined, { StorageClassRequested: sc })
}

/** The user metadata and entity headers of an S3 write, as Swift headers. */
export function metadataHeaders(req: S3Request): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.ctx.req.headers)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(',') : value
    if (name.startsWith('x-amz-meta-')) out[`x-object-meta-${name.slice('x-amz-meta-'.length)}`] = text
    else if ((STORED_ENTITY_HEADERS as readonly string[]).includes(name)) out[name] = text
  }
  // aws-chunked is the transfer framing, not the object's encoding.
  const encoding = out['content-encoding']
  if (encoding !== undefined) {
    const kept = encoding.split(',').map((s) => s.trim()).filter((s) => s && s !== 'aws-chunked')
    if (kept.length) out['content-encoding'] = kept.join(',')
    else delete out['content-encoding']
  }
  return out
}

/** Every Swift header of an S3 PutObject / CreateMultipartUpload. */
export function objectWriteHeaders(req: S3Request): Record<string, string> {
  checkStorageClass(req)
  const out = { ...metadataHeaders(req), ...aclHeaders(req, 'object') }
  const md5 = req.ctx.get('Content-MD5')
  if (md5) out.etag = md5HexOfHeader(md5)
  const tagging = req.ctx.get('x-amz-tagging')
  if (tagging) out[TAGGING_SYSMETA] = taggingOfHeader(tagging)
  return out
}

/** The S3 ETag of a Swift object answer. */
export function s3Etag(headers: Record<string, string>): string {
  const etag = isMultipartObject(headers) ? (headers[ETAG_SYSMETA] ?? '') : (headers.etag ?? '')
  return quoteEtag(etag.replace(/"/g, ''))
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
}

/** Sets an object answer's S3 headers on the response. */
export function applyObjectHeaders(req: S3Request, headers: Record<string, string>): void {
  const ctx = req.ctx
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-object-meta-')) ctx.set(`x-amz-meta-${name.slice('x-object-meta-'.length)}`, value)
    else if ((STORED_ENTITY_HEADERS as readonly string[]).includes(name) || name === 'last-modified' || name === 'content-range') ctx.set(name, value)
  }
  ctx.set('ETag', s3Etag(headers))
  ctx.set('Accept-Ranges', 'bytes')
  const tagging = storedTagging(headers)
  if (tagging) ctx.set('x-amz-tagging-count', String(new URLSearchParams(tagging).size))
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = req.query.get(param)
    if (v !== undefined) ctx.set(header, v)
  }
}

/** The object's full size (SLO answers a multipart object's assembled length; a range answer names the total). */
export function objectSize(headers: Record<string, string>): number {
  const total = /\/(\d+)$/.exec(headers['content-range'] ?? '')
  return Number(total ? total[1] : headers['content-length']) || 0
}
