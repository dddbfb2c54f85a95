// Canned ACLs (x-amz-acl) as Swift's s3api does without s3_acl: a bucket's canned ACL becomes
// its container read/write ACL (public-read → ".r:*,.rlistings"), and the canned name is kept
// in system metadata so GetBucketAcl / GetObjectAcl answer the grants it stands for.
import { InvalidArgument, NotImplemented } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { sendEmpty, sendXml, swiftError } from './s3-request.ts'
import { NoSuchKey } from './errors.ts'

export const CANNED_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'bucket-owner-read', 'bucket-owner-full-control'] as const
export type CannedAcl = (typeof CANNED_ACLS)[number]

export const BUCKET_ACL_SYSMETA = 'x-container-sysmeta-s3api-acl'
export const OBJECT_ACL_SYSMETA = 'x-object-sysmeta-s3api-acl'

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'

function cannedOf(req: S3Request): CannedAcl | undefined {
  const raw = req.ctx.get('x-amz-acl')
  if (!raw) {
    if (Object.keys(req.ctx.req.headers).some((h) => h.startsWith('x-amz-grant-'))) throw new NotImplemented('x-amz-grant-* headers are not supported; use a canned ACL')
    return undefined
  }
  if (!(CANNED_ACLS as readonly string[]).includes(raw)) throw new InvalidArgument(undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: raw })
  return raw as CannedAcl
}

/** Swift headers carrying the request's canned ACL (none when the request names none). */
export function cannedAclHeaders(req: S3Request, kind: 'bucket' | 'object'): Record<string, string> {
  const canned = cannedOf(req)
  if (canned === undefined) return {}
  if (kind === 'object') return { [OBJECT_ACL_SYSMETA]: canned }
  const read = canned === 'public-read' || canned === 'public-read-write' ? '.r:*,.rlistings' : ''
  const write = canned === 'public-read-write' ? '.r:*' : ''
  return { [BUCKET_ACL_SYSMETA]: canned, 'x-container-read': read, 'x-container-write': write }
}

function grants(req: S3Request, canned: string): Record<string, unknown> {
  const owner = { ID: req.owner.id, DisplayName: req.owner.displayName }
  const grantee = (who: Record<string, unknown>, permission: string) => ({ Grantee: who, Permission: permission })
  const user = { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'CanonicalUser', ...owner }
  const group = (uri: string) => ({ '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'Group', URI: uri })
  const list = [grantee(user, 'FULL_CONTROL')]
  if (canned === 'public-read' || canned === 'public-read-write') list.push(grantee(group(ALL_USERS), 'READ'))
  if (canned === 'public-read-write') list.push(grantee(group(ALL_USERS), 'WRITE'))
  if (canned === 'authenticated-read') list.push(grantee(group(AUTHENTICATED_USERS), 'READ'))
  return { Owner: owner, AccessControlList: { Grant: list } }
}

export async function getAcl(req: S3Request): Promise<void> {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  if (res.status !== 200 && res.status !== 204) throw swiftError(req, res, req.key !== undefined ? () => new NoSuchKey(undefined, { Key: req.key ?? '' }) : undefined)
  const canned = res.headers[req.key !== undefined ? OBJECT_ACL_SYSMETA : BUCKET_ACL_SYSMETA] ?? 'private'
  sendXml(req, 200, 'AccessControlPolicy', grants(req, canned))
}

/** PutBucketAcl / PutObjectAcl with a canned ACL header (an XML policy body is not supported yet). */
export async function putAcl(req: S3Request): Promise<void> {
  const headers = cannedAclHeaders(req, req.key !== undefined ? 'object' : 'bucket')
  if (Object.keys(headers).length === 0) throw new NotImplemented('Only canned ACLs (x-amz-acl) are supported')
  const res = await req.swift.request({ method: 'POST', container: req.bucket, object: req.key, headers: req.key !== undefined ? await objectPostHeaders(req, headers) : headers })
  if (res.status !== 204 && res.status !== 202 && res.status !== 200) throw swiftError(req, res, req.key !== undefined ? () => new NoSuchKey(undefined, { Key: req.key ?? '' }) : undefined)
  sendEmpty(req, 200)
}

/** An object POST replaces all its metadata: keep the object's other metadata alongside the new ACL. */
export async function objectPostHeaders(req: S3Request, extra: Record<string, string>): Promise<Record<string, string>> {
  const head = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  if (head.status !== 200) throw swiftError(req, head, () => new NoSuchKey(undefined, { Key: req.key ?? '' }))
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(head.headers)) {
    if (k.startsWith('x-object-meta-') || k.startsWith('x-object-sysmeta-') || ['content-type', 'content-disposition', 'content-encoding', 'cache-control', 'expires', 'content-language'].includes(k)) out[k] = v
  }
  return { ...out, ...extra }
}
