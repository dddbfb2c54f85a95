// The s3api middleware (Swift's swift/common/middleware/s3api): requests signed for S3 (V2 or
// V4, header or query) are authenticated against tempauth's users, translated into Swift API
// subrequests in the credential owner's account (buckets are containers, keys are objects)
// and answered in S3's XML; everything else passes through untouched. Place it before
// tempauth: `pipeline = ... s3api tempauth ... proxy-server`.
import type { Readable, Transform } from 'node:stream'
import type { IniSection } from '../../../common/config/ini.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware, ProxyState } from '../../context.ts'
import { getAcl, putAcl } from './acl.ts'
import type { Owner } from './acl-model.ts'
import type { Need } from './access.ts'
import { ANYONE, OWNER_ONLY, bucketNeed, checkForeignAccess, isAnonymousS3Path, objectNeed } from './access.ts'
import { BucketRegistry, REGISTRY_ACCOUNT } from './bucket-registry.ts'
import { applyCorsHeaders, deleteBucketCors, getBucketCors, preflight, putBucketCors } from './cors.ts'
import { deleteTagging, getTagging, putTagging } from './tagging.ts'
import { authenticate, isS3Request, scopeOf } from './auth.ts'
import type { S3Authenticated } from './auth.ts'
import { AwsChunkedDecoder, Sha256Check } from './aws-chunked.ts'
import type { BodyCheck } from './aws-chunked.ts'
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets, listObjects } from './bucket.ts'
import { copyObject } from './copy.ts'
import { AccessDenied, InternalError, InvalidArgument, MethodNotAllowed, NoSuchBucket, MissingContentLength, NotImplemented, S3Error, XAmzContentSHA256Mismatch, renderS3Error } from './errors.ts'
import { ChecksumCheck, requestedChecksum } from './checksums.ts'
import { STREAMING_UNSIGNED_TRAILER, UnsignedTrailerDecoder, trailerAlgorithm } from './aws-chunked-trailer.ts'
import { deleteObjects } from './multi-delete.ts'
import { getBucketVersioning, listObjectVersions, putBucketVersioning } from './versioning.ts'
import { getObjectAttributes } from './object-attributes.ts'
import { formBoundary, readPostForm } from './post-form.ts'
import type { PostForm } from './post-form.ts'
import { FormFileCheck, formAsHeaders, postKey, postObject } from './post-object.ts'
import { authenticatePost, checkPolicy } from './post-policy.ts'
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart } from './multipart.ts'
import { deleteObject, getObject, putObject } from './object.ts'
import type { S3Config, S3Request } from './s3-request.ts'
import { checkBucketName, checkKey } from './s3-request.ts'
import { EMPTY_SHA256, STREAMING_PAYLOAD, UNSIGNED_PAYLOAD, queryPairs } from './sigv4.ts'
import { SwiftClient, downstreamOf } from './swift-client.ts'

export function parseS3Config(conf: IniSection): S3Config {
  const num = (key: string, fallback: number) => {
    const raw = conf[key]
    if (raw === undefined || raw.trim() === '') return fallback
    const n = Number(raw)
    if (!Number.isFinite(n) || n < 0) throw new Error(`s3api: ${key} must be a number >= 0, got "${raw}"`)
    return n
  }
  return Object.freeze({
    location: conf.location ?? 'us-east-1',
    clockSkewSeconds: num('allowable_clock_skew', 900),
    storageDomains: Object.freeze((conf.storage_domain ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)),
    minSegmentSize: num('min_segment_size', 5 * 1024 * 1024),
    maxMultiDeleteObjects: num('max_multi_delete_objects', 1000),
    maxUploadPartNumber: num('max_upload_part_num', 10000),
    dnsCompliantBucketNames: !['false', 'no', '0', 'off'].includes((conf.dns_compliant_bucket_names ?? 'true').toLowerCase()),
  })
}

/** Bucket and key of a path-style or virtual-hosted request (undefined when absent). */
function locate(ctx: ProxyContext, config: S3Config, rawPath: string): { bucket?: string; key?: string; hostBucket?: string } {
  const host = (ctx.get('Host') || '').replace(/:\d+$/, '').toLowerCase()
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      throw new InvalidArgument('Invalid URI encoding')
    }
  }
  for (const domain of config.storageDomains) {
    if (host.endsWith(`.${domain}`)) {
      const bucket = host.slice(0, -domain.length - 1)
      const key = rawPath.length > 1 ? decode(rawPath.slice(1)) : undefined
      return { bucket, key, hostBucket: bucket }
    }
  }
  const path = rawPath.slice(1)
  if (!path) return {}
  const slash = path.indexOf('/')
  if (slash < 0) return { bucket: decode(path) }
  const key = path.slice(slash + 1)
  return { bucket: decode(path.slice(0, slash)), key: key === '' ? undefined : decode(key) }
}

/**
 * Feeds the client's body into a checking stream. Its failure is kept on the check (the
 * answer); the 'error' event may come before anyone reads, so it is observed here.
 */
function watchFailure(ctx: ProxyContext, check: Transform): void {
  check.on('error', () => ctx.req.unpipe(check))
  ctx.req.pipe(check)
}

function requestBody(ctx: ProxyContext, auth: S3Authenticated | undefined): { body: Readable; check: BodyCheck | undefined; length: number | null } {
  const cl = ctx.get('Content-Length')
  const length = cl === '' ? null : Number(cl)
  const payload = auth?.v4?.parts.payloadHash
  if (payload === STREAMING_UNSIGNED_TRAILER) {
    const decoded = Number(ctx.get('x-amz-decoded-content-length'))
    if (!ctx.get('x-amz-decoded-content-length') || !Number.isSafeInteger(decoded)) throw new MissingContentLength()
    const decoder = new UnsignedTrailerDecoder(decoded, trailerAlgorithm(ctx.get('x-amz-trailer') || undefined))
    watchFailure(ctx, decoder)
    return { body: decoder, check: decoder, length: decoded }
  }
  if (payload === STREAMING_PAYLOAD && auth?.v4) {
    const decoded = Number(ctx.get('x-amz-decoded-content-length'))
    if (!ctx.get('x-amz-decoded-content-length') || !Number.isSafeInteger(decoded)) throw new MissingContentLength()
    const v4 = auth.v4
    const decoder = new AwsChunkedDecoder({ key: v4.key, amzDate: v4.parts.amzDate, scope: scopeOf(v4.parts), seedSignature: v4.parts.signature }, decoded)
    watchFailure(ctx, decoder)
    return { body: decoder, check: decoder, length: decoded }
  }
  if (payload !== undefined && payload !== UNSIGNED_PAYLOAD && !auth?.v4?.parts.presigned) {
    if (!/^[0-9a-fA-F]{64}$/.test(payload)) throw new InvalidArgument('x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.', { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payload })
    if (!length) {
      if (payload.toLowerCase() !== EMPTY_SHA256 && length === 0) throw new XAmzContentSHA256Mismatch(undefined, { ClientComputedContentSHA256: payload, S3ComputedContentSHA256: EMPTY_SHA256 })
      if (length === 0) return { body: ctx.req, check: undefined, length }
    }
    const check = new Sha256Check(payload)
    watchFailure(ctx, check)
    return { body: check, check, length }
  }
  return { body: ctx.req, check: undefined, length }
}

/** Adds the check of an x-amz-checksum-* header (PUT bodies: objects and parts). */
function withChecksum(ctx: ProxyContext, body: ReturnType<typeof requestBody>): ReturnType<typeof requestBody> {
  const wanted = requestedChecksum(ctx.req.headers)
  // CompleteMultipartUpload's x-amz-checksum-* is the whole object's, not its XML body's.
  if (!wanted || (ctx.method !== 'PUT' && ctx.method !== 'POST') || (ctx.method === 'POST' && ctx.query.uploadId !== undefined)) return body
  const check = new ChecksumCheck(wanted)
  const inner = body.check
  check.on('error', () => body.body.unpipe(check))
  body.body.on('error', (err) => check.destroy(err))
  body.body.pipe(check)
  return { body: check, length: body.length, check: { get failure() { return inner?.failure ?? check.failure } } }
}

type Handler = (req: S3Request) => Promise<void>

const notImplemented: Handler = () => Promise.reject(new NotImplemented())

/** Sub-resources not implemented yet: an honest NotImplemented rather than a wrong answer. */
const UNSUPPORTED = ['lifecycle', 'policy', 'website', 'logging', 'notification', 'object-lock', 'encryption', 'replication', 'ownershipControls', 'publicAccessBlock', 'accelerate', 'requestPayment', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'analytics', 'inventory', 'metrics', 'intelligent-tiering', 'policyStatus']

type Routed = [Handler, Need]

function byMethod(method: string, table: Record<string, Handler>, need: Need): Routed {
  return [table[method] ?? notImplemented, need]
}

function route(req: S3Request): Routed {
  const { ctx, bucket, key, query } = req
  const method = ctx.method
  if (bucket === undefined) {
    if (method === 'GET') return [listBuckets, OWNER_ONLY]
    throw new MethodNotAllowed(undefined, { Method: method, ResourceType: 'SERVICE' })
  }
  checkBucketName(bucket, req.config)
  if (method === 'OPTIONS') return [preflight, ANYONE]
  if (key === undefined) {
    if (query.has('acl')) return method === 'GET' ? [getAcl, bucketNeed('READ_ACP')] : method === 'PUT' ? [putAcl, bucketNeed('WRITE_ACP')] : [notImplemented, OWNER_ONLY]
    if (query.has('uploads') && method === 'GET') return [listMultipartUploads, bucketNeed('READ')]
    if (query.has('location') && method === 'GET') return [getBucketLocation, OWNER_ONLY]
    if (query.has('versioning')) return byMethod(method, { GET: getBucketVersioning, PUT: putBucketVersioning }, OWNER_ONLY)
    if (query.has('versions') && method === 'GET') return [listObjectVersions, bucketNeed('READ')]
    if (query.has('tagging')) return byMethod(method, { GET: getTagging, PUT: putTagging, DELETE: deleteTagging }, OWNER_ONLY)
    if (query.has('cors')) return byMethod(method, { GET: getBucketCors, PUT: putBucketCors, DELETE: deleteBucketCors }, OWNER_ONLY)
    if (query.has('delete') && method === 'POST') return [deleteObjects, bucketNeed('WRITE')]
    if (UNSUPPORTED.some((q) => query.has(q))) return [notImplemented, OWNER_ONLY]
    if (method === 'GET') return [listObjects, bucketNeed('READ')]
    if (method === 'PUT') return [createBucket, OWNER_ONLY]
    if (method === 'HEAD') return [headBucket, bucketNeed('READ')]
    if (method === 'DELETE') return [deleteBucket, OWNER_ONLY]
    throw new MethodNotAllowed(undefined, { Method: method, ResourceType: 'BUCKET' })
  }
  checkKey(key)
  if (req.form && method === 'POST') return [postObject, bucketNeed('WRITE')]
  if (query.has('attributes') && method === 'GET') return [getObjectAttributes, objectNeed('READ')]
  if (query.has('acl')) return method === 'GET' ? [getAcl, objectNeed('READ_ACP')] : method === 'PUT' ? [putAcl, objectNeed('WRITE_ACP')] : [notImplemented, OWNER_ONLY]
  if (query.has('tagging')) return byMethod(method, { GET: getTagging, PUT: putTagging, DELETE: deleteTagging }, OWNER_ONLY)
  if (query.has('uploads') && method === 'POST') return [createMultipartUpload, bucketNeed('WRITE')]
  if (query.has('uploadId')) {
    if (method === 'PUT') return [uploadPart, bucketNeed('WRITE')]
    if (method === 'POST') return [completeMultipartUpload, bucketNeed('WRITE')]
    if (method === 'DELETE') return [abortMultipartUpload, bucketNeed('WRITE')]
    if (method === 'GET') return [listParts, bucketNeed('READ')]
  }
  if (UNSUPPORTED.some((q) => query.has(q))) return [notImplemented, OWNER_ONLY]
  if (method === 'PUT') return [ctx.get('x-amz-copy-source') ? copyObject : putObject, bucketNeed('WRITE')]
  if (method === 'GET' || method === 'HEAD') return [getObject, objectNeed('READ')]
  if (method === 'DELETE') return [deleteObject, bucketNeed('WRITE')]
  throw new MethodNotAllowed(undefined, { Method: method, ResourceType: 'OBJECT' })
}

/** Whether the request creates a bucket (always in the requester's own account). */
function isCreateBucket(method: string, key: string | undefined, rawQuery: string): boolean {
  return method === 'PUT' && key === undefined && rawQuery.split('&').every((p) => p === '' || p.startsWith('X-Amz-') || p.startsWith('AWSAccessKeyId') || p.startsWith('Signature') || p.startsWith('Expires'))
}

function answerError(ctx: ProxyContext, err: S3Error, resource: string): void {
  if (ctx.method === 'HEAD') {
    // Body first: Koa turns a null body's status into 204.
    ctx.body = null
    ctx.status = err.status
    for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v)
    ctx.set('Content-Length', '0')
    return
  }
  ctx.status = err.status
  for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v)
  ctx.type = 'application/xml'
  ctx.body = renderS3Error(err, ctx.state.txnId, resource)
}

/** Whether `account` holds the bucket (through the proxy's container info cache; assumed when there is none). */
async function ownsBucket(ctx: ProxyContext, deps: MiddlewareDeps, account: string, bucket: string): Promise<boolean> {
  if (!deps.getContainerInfo) return true
  const info = await deps.getContainerInfo(ctx, account, bucket)
  return info.status >= 200 && info.status < 300
}

export function s3apiMiddleware(config: S3Config, deps: MiddlewareDeps, options: { now?: () => number } = {}): ProxyMiddleware {
  const now = options.now ?? Date.now
  const self: ProxyMiddleware = async (ctx, next) => {
    const url = ctx.req.url ?? '/'
    const q = url.indexOf('?')
    const rawPath = q < 0 ? url : url.slice(0, q)
    const rawQuery = q < 0 ? '' : url.slice(q + 1)
    const signed = isS3Request(ctx.req.headers, rawQuery)
    const boundary = ctx.method === 'POST' && !signed && rawQuery === '' ? formBoundary(ctx.get('Content-Type')) : undefined
    let where: ReturnType<typeof locate>
    if (!signed) {
      try {
        where = locate(ctx, config, rawPath)
      } catch {
        return next()
      }
      // An unsigned GET / is an anonymous ListBuckets (AccessDenied), as AWS answers it.
      const anonymousListing = rawPath === '/' && ctx.method === 'GET' && !ctx.get('x-auth-token') && !ctx.get('x-storage-token')
      if (!anonymousListing && !isAnonymousS3Path(rawPath, where.hostBucket, config)) return next()
    }
    ctx.state.source = 's3api'
    ctx.set('x-amz-request-id', ctx.state.txnId)
    try {
      where = locate(ctx, config, rawPath)
      const authOptions = { clockSkewSeconds: config.clockSkewSeconds, region: config.location, now }
      let auth: S3Authenticated | undefined
      let post: { form: PostForm; check: FormFileCheck } | undefined
      if (boundary !== undefined && where.bucket !== undefined && where.key === undefined) {
        // A browser form: its fields carry the credential, the policy and the headers.
        checkBucketName(where.bucket, config)
        const form = await readPostForm(ctx.req, boundary)
        auth = authenticatePost(deps, form.fields, authOptions)
        const policy = form.fields.get('policy')
        const check = new FormFileCheck(policy !== undefined ? checkPolicy(policy, form.fields, where.bucket, now()) : { minSize: 0, maxSize: Number.MAX_SAFE_INTEGER })
        where.key = postKey(form)
        formAsHeaders(ctx, form)
        form.file.on('error', (err) => check.noteSourceFailure(err))
        check.on('error', () => form.file.unpipe(check))
        form.file.pipe(check)
        post = { form, check }
      } else auth = signed ? authenticate(deps, { method: ctx.method, rawPath, rawQuery, headers: ctx.req.headers }, authOptions, where.hostBucket) : undefined
      const credential = auth?.credential
      if (credential) ctx.state.identity = credential.identity
      const downstream = downstreamOf(ctx, self)
      // s3api's own authority, used once ACLs allowed a foreign request (and for the bucket registry).
      const system = (account: string) => new SwiftClient(ctx, downstream, account, () => ({ identity: undefined, swiftOwner: true, authorize: () => undefined }))
      const registry = new BucketRegistry(system(REGISTRY_ACCOUNT))
      const requesterOwner: Owner | undefined = credential ? { id: credential.identity.user, name: credential.identity.user } : undefined
      let swift: SwiftClient
      let foreign = false
      let ownerAccount = ''
      let bucketOwner: Owner | undefined = requesterOwner
      const own = credential && (where.bucket === undefined || isCreateBucket(ctx.method, where.key, rawQuery) || (await ownsBucket(ctx, deps, credential.account, where.bucket)))
      if (!own) {
        if (where.bucket === undefined) throw new AccessDenied()
        const entry = await registry.lookup(where.bucket)
        if (entry && entry.account !== credential?.account) {
          foreign = true
          ownerAccount = entry.account
          bucketOwner = entry.owner
        } else if (!credential) throw new NoSuchBucket(undefined, { BucketName: where.bucket })
      }
      if (credential && !foreign) {
        swift = new SwiftClient(ctx, downstream, credential.account, () => {
          const state: Partial<ProxyState> = { identity: credential.identity, swiftOwner: false }
          state.authorize = credential.authorizer(() => {
            state.swiftOwner = true
          })
          return state
        })
      } else swift = system(ownerAccount)
      const body = withChecksum(ctx, post ? { body: post.check, check: post.check, length: null } : requestBody(ctx, auth))
      const query = new Map(queryPairs(rawQuery))
      const owner = (foreign ? bucketOwner : requesterOwner) ?? { id: '', name: '' }
      const req: S3Request = {
        ctx, config, swift, auth, bucket: where.bucket, key: where.key, query, body: body.body, bodyCheck: body.check, contentLength: body.length,
        owner: { id: owner.id, displayName: owner.name },
        requester: { id: requesterOwner?.id },
        foreign,
        bucketOwner: bucketOwner ?? owner,
        registry,
        form: post?.form,
      }
      const [handler, need] = route(req)
      await checkForeignAccess(req, need)
      await handler(req)
      await applyCorsHeaders(req)
    } catch (err) {
      if (err instanceof S3Error) return answerError(ctx, err, rawPath)
      ctx.state.log.error('s3api: unexpected error', { err, method: ctx.method, path: rawPath })
      answerError(ctx, new InternalError(), rawPath)
    }
  }
  return self
}

export const s3apiFactory: MiddlewareFactory = {
  name: 's3api',
  create: (conf, deps) => s3apiMiddleware(parseS3Config(conf), deps),
}
