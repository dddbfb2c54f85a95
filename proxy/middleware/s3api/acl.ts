// Bucket and object ACLs (Swift's s3api controllers/acl.py, with AWS's behaviour where
// Swift's differs): x-amz-acl and x-amz-grant-* on writes, GetBucketAcl / GetObjectAcl with
// Owner and Grants, PutBucketAcl / PutObjectAcl with headers or an AccessControlPolicy body.
// The ACL lives in system metadata (acl-model.ts); a bucket's public READ is mirrored into
// its container read ACL so the Swift API's anonymous readers see the same bucket.
import type { Acl, Owner } from './acl-model.ts'
import { aclOfHeaders, aclOfXml, aclToXml, decodeAcl, encodeAcl, swiftReadAclOf } from './acl-model.ts'
import { BUCKET_ACL_SYSMETA, OBJECT_ACL_SYSMETA, storedAclText } from './access.ts'
import { MalformedACLError, NoSuchKey } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { readXmlBody, sendEmpty, sendXml, swiftError } from './s3-request.ts'

export { BUCKET_ACL_SYSMETA, OBJECT_ACL_SYSMETA }

const noSuchKey = (req: S3Request) => () => new NoSuchKey(undefined, { Key: req.key ?? '' })

/** Swift headers storing `acl` on a bucket (with its mirrored container read ACL) or an object. */
export function storedAclHeaders(acl: Acl, kind: 'bucket' | 'object'): Record<string, string> {
  if (kind === 'object') return { [OBJECT_ACL_SYSMETA]: encodeAcl(acl) }
  return { [BUCKET_ACL_SYSMETA]: encodeAcl(acl), 'x-container-read': swiftReadAclOf(acl) }
}

/**
 * Swift headers carrying the ACL a write asks for. An object written by someone other than
 * the bucket's owner always records its writer as the owner (private when nothing is asked).
 */
export function aclHeaders(req: S3Request, kind: 'bucket' | 'object'): Record<string, string> {
  const writer: Owner = req.requester.id !== undefined ? { id: req.requester.id, name: req.requester.id } : req.bucketOwner
  const owner = kind === 'bucket' ? { id: req.owner.id, name: req.owner.displayName } : writer
  let acl = aclOfHeaders(req.ctx.req.headers, owner, req.bucketOwner)
  if (acl === undefined && kind === 'object' && req.foreign) acl = aclOfHeaders({ 'x-amz-acl': 'private' }, owner, req.bucketOwner)
  return acl === undefined ? {} : storedAclHeaders(acl, kind)
}

export async function getAcl(req: S3Request): Promise<void> {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  res.discard()
  if (res.status !== 200 && res.status !== 204) throw swiftError(req, res, req.key !== undefined ? noSuchKey(req) : undefined)
  const acl = decodeAcl(storedAclText(res.headers, req.key !== undefined ? 'object' : 'bucket'), req.bucketOwner)
  sendXml(req, 200, 'AccessControlPolicy', aclToXml(acl))
}

/** PutBucketAcl / PutObjectAcl: x-amz-acl or x-amz-grant-* headers, else an AccessControlPolicy body. */
export async function putAcl(req: S3Request): Promise<void> {
  const kind = req.key !== undefined ? 'object' : 'bucket'
  const head = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  head.discard()
  if (head.status !== 200 && head.status !== 204) throw swiftError(req, head, kind === 'object' ? noSuchKey(req) : undefined)
  // The owner stays: an ACL change never gives the resource away.
  const owner = decodeAcl(storedAclText(head.headers, kind), req.bucketOwner).owner
  let acl = aclOfHeaders(req.ctx.req.headers, owner, req.bucketOwner)
  if (acl === undefined) {
    if (req.contentLength === 0) throw new MalformedACLError()
    acl = aclOfXml(await readXmlBody(req), owner)
  }
  const stored = storedAclHeaders(acl, kind)
  const headers = kind === 'object' ? objectPostHeadersFrom(head.headers, stored) : stored
  const res = await req.swift.request({ method: 'POST', container: req.bucket, object: req.key, headers })
  if (res.status !== 204 && res.status !== 202 && res.status !== 200) throw swiftError(req, res, kind === 'object' ? noSuchKey(req) : undefined)
  res.discard()
  if (kind === 'bucket' && !req.foreign) await req.registry.claim(req.bucket as string, { account: req.swift.account, owner })
  sendEmpty(req, 200)
}

const KEPT_ENTITY_HEADERS = ['content-type', 'content-disposition', 'content-encoding', 'cache-control', 'expires', 'content-language']

/** An object POST replaces all its metadata: the object's other metadata goes alongside the change. */
export function objectPostHeadersFrom(current: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(current)) {
    if (k.startsWith('x-object-meta-') || k.startsWith('x-object-transient-sysmeta-') || KEPT_ENTITY_HEADERS.includes(k)) out[k] = v
  }
  return { ...out, ...extra }
}

/** objectPostHeadersFrom over a fresh HEAD of the request's object (NoSuchKey when missing). */
export async function objectPostHeaders(req: S3Request, extra: Record<string, string>): Promise<Record<string, string>> {
  const head = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  head.discard()
  if (head.status !== 200) throw swiftError(req, head, noSuchKey(req))
  return objectPostHeadersFrom(head.headers, extra)
}
