// Who may do what to a bucket that is not the requester's own: anonymous requests (no
// signature at all) and other users' requests are checked against the bucket's and the
// object's S3 ACLs before s3api acts with its own authority in the owner's account (as
// Swift's s3api does in s3_acl mode). The owner account's own requests are not checked here:
// Swift's authorization already lets an account's users act on it.
import type { Permission } from './acl-model.ts'
import { aclAllows, decodeAcl } from './acl-model.ts'
import { AccessDenied, NoSuchBucket } from './errors.ts'
import type { S3Config, S3Request } from './s3-request.ts'
import { validBucketName } from './s3-request.ts'

export const BUCKET_ACL_SYSMETA = 'x-container-sysmeta-s3api-acl'
/** Transient sysmeta: an object POST (PutObjectAcl) may change it, unlike object sysmeta. */
export const OBJECT_ACL_SYSMETA = 'x-object-transient-sysmeta-s3api-acl'
/** Where canned object ACLs were kept before grants were stored (read only). */
export const LEGACY_OBJECT_ACL_SYSMETA = 'x-object-sysmeta-s3api-acl'

/** The stored ACL text of a bucket (HEAD of the container) or object (HEAD of the object). */
export function storedAclText(headers: Record<string, string>, kind: 'bucket' | 'object'): string | undefined {
  return kind === 'bucket' ? headers[BUCKET_ACL_SYSMETA] : (headers[OBJECT_ACL_SYSMETA] ?? headers[LEGACY_OBJECT_ACL_SYSMETA])
}

/** What an operation needs from a requester who does not own the bucket. */
export type Need =
  | { on: 'anyone' }
  | { on: 'owner' }
  | { on: 'bucket'; permission: Permission }
  | { on: 'object'; permission: Permission }

export const OWNER_ONLY: Need = { on: 'owner' }
export const ANYONE: Need = { on: 'anyone' }
export const bucketNeed = (permission: Permission): Need => ({ on: 'bucket', permission })
export const objectNeed = (permission: Permission): Need => ({ on: 'object', permission })

/** First path segments that belong to the Swift API and other middleware, never to an anonymous S3 bucket. */
const SWIFT_ROOTS = new Set(['v1', 'v1.0', 'auth', 'info', 'healthcheck', 'crossdomain.xml', 'endpoints'])

/**
 * Whether an unsigned request is an anonymous S3 request: a virtual-hosted bucket, or a
 * path whose first segment is a valid bucket name the Swift API does not use.
 */
export function isAnonymousS3Path(rawPath: string, hostBucket: string | undefined, config: S3Config): boolean {
  if (hostBucket !== undefined) return true
  const first = rawPath.slice(1).split('/')[0] ?? ''
  if (!first || SWIFT_ROOTS.has(first)) return false
  let bucket: string
  try {
    bucket = decodeURIComponent(first)
  } catch {
    return false
  }
  return validBucketName(bucket, config.dnsCompliantBucketNames)
}

async function bucketAcl(req: S3Request) {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket })
  res.discard()
  if (res.status === 404) throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  if (res.status !== 204 && res.status !== 200) throw new AccessDenied()
  return decodeAcl(res.headers[BUCKET_ACL_SYSMETA], req.bucketOwner)
}

/** Refuses (AccessDenied) a foreign request its ACLs do not allow; `req.swift` acts as the owner. */
export async function checkForeignAccess(req: S3Request, need: Need): Promise<void> {
  if (!req.foreign || need.on === 'anyone') return
  if (need.on === 'owner') throw new AccessDenied()
  const bucket = await bucketAcl(req)
  if (need.on === 'bucket') {
    if (!aclAllows(bucket, req.requester, need.permission)) throw new AccessDenied()
    return
  }
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  res.discard()
  if (res.status === 404) {
    // Only those who may list the bucket learn that a key does not exist (AWS).
    if (aclAllows(bucket, req.requester, 'READ')) return
    throw new AccessDenied()
  }
  const acl = decodeAcl(storedAclText(res.headers, 'object'), req.bucketOwner)
  if (!aclAllows(acl, req.requester, need.permission)) throw new AccessDenied()
}
