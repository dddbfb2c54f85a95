// Object versioning (Swift's versioned_writes/object_versioning.py), the mode a container
// turns on with X-Versions-Enabled: true. Every write of an object lands in the hidden
// container "\0versions\0<container>" as "\0<object>\0<inverted timestamp>", and the user's
// object becomes a static symlink to it (so the symlink middleware must follow this one);
// a DELETE writes a delete marker there. ?version-id= reads, deletes or (PUT) re-links a
// given version; "null" is the object written before versioning was enabled. This file
// handles object requests; object-versioning-listing.ts the container and account ones.
import { HttpError } from '../../../common/http/errors.ts'
import { splitPath } from '../../../common/http/split-path.ts'
import { Timestamp } from '../../../common/timestamp.ts'
import { guessContentType } from '../../controllers/content-type.ts'
import type { ContainerInfoView, MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../../context.ts'
import type { SwiftPath } from '../../request-path.ts'
import { swiftPathOf } from '../../request-path.ts'
import type { Downstream } from '../../subrequest.ts'
import { downstreamOf, quoteSwiftPath, respondWithSubresponse, subrequest } from '../../subrequest.ts'
import { handleAccountListing, handleContainerRequest } from './object-versioning-listing.ts'
import type { ObjectCall } from './ov-support.ts'
import {
  ByteCounter,
  authorizeObjectWrite,
  MAX_FILE_SIZE,
  PRE_AUTHED,
  checkResponseError,
  clientHeaders,
  copiedObjectHeaders,
  editAnswer,
  isSuccess,
  safeDecode,
  truthy,
  withReservedPath,
} from './ov-support.ts'
import {
  DELETE_MARKER_CONTENT_TYPE,
  RESERVED,
  SYSMETA_VERSIONS_SYMLINK,
  parseVersionTimestamp,
  parseVersionsObjectName,
  reservedName,
  timestampToVersion,
  versionsObjectName,
} from './version-names.ts'

const SYS_LINK_ETAG = 'x-object-sysmeta-symlink-target-etag'
const SYS_LINK_BYTES = 'x-object-sysmeta-symlink-target-bytes'
const SYMLOOP_EXTEND = 'x-object-sysmeta-symloop-extend'
const ALLOW_RESERVED_NAMES = 'x-object-sysmeta-allow-reserved-names'
const NO_VERSIONS_CONTAINER = 'The versions container does not exist. You may want to re-enable object versioning.'
const NOT_FOR_SYMLINK = ['etag', 'x-if-delete-at', 'x-symlink-target-account', 'x-symlink-target-etag', 'x-object-manifest', 'x-static-large-object', 'x-object-sysmeta-slo-etag', 'x-object-sysmeta-slo-size']

const plain = (status: number, body: string) => new HttpError(status, { body, headers: { 'Content-Type': 'text/plain' } })
const nonExpiry = (name: string) => name === 'x-delete-at' || name === 'x-delete-after'

/** One object request on a container that is (or was) versioned. */
interface ObjectRequest extends ObjectCall {
  info: ContainerInfoView
  /** The versions container's name ('' when the container was never versioned). */
  versionsCont: string
  enabled: boolean
}

const objectPath = (o: ObjectRequest, container: string, object: string) => quoteSwiftPath(`/${o.p.version}/${o.p.account}/${container}/${object}`)

/** Swift's req.ensure_x_timestamp: the request's X-Timestamp, set to now when absent. */
function ensureTimestamp(ctx: ProxyContext): Timestamp {
  const raw = ctx.get('X-Timestamp')
  let ts: Timestamp | undefined
  if (raw) ts = parseVersionTimestamp(raw)
  if (!ts) {
    if (raw) throw plain(400, `X-Timestamp should be a UNIX timestamp float value; was '${raw}'`)
    ts = Timestamp.now()
  }
  ctx.req.headers['x-timestamp'] = ts.internal
  return ts
}

function authorizeWrite(o: ObjectRequest): void {
  const denial = authorizeObjectWrite(o.ctx, o.p, { read: o.info.readAcl, write: o.info.writeAcl })
  if (denial) throw denial
}

/** Swift's _copy_current: an object written before versioning was enabled becomes a version. */
async function copyCurrent(o: ObjectRequest): Promise<void> {
  authorizeWrite(o)
  const get = await subrequest(o.ctx, o.downstream, { method: 'GET', path: o.ctx.path, query: { symlink: 'get' }, headers: { 'x-newest': 'true' }, state: PRE_AUTHED })
  if (get.status === 404) return get.discard()
  await checkResponseError(get, 'versioning')
  if (get.headers[SYSMETA_VERSIONS_SYMLINK] === 'true') return get.discard()
  const length = get.headers['content-length']
  if (length === undefined || Number(length) > MAX_FILE_SIZE) {
    get.discard()
    throw new HttpError(413)
  }
  const source = get.headers['x-timestamp'] ?? String(Date.parse(get.headers['last-modified'] ?? '') / 1000)
  const ts = parseVersionTimestamp(source) ?? Timestamp.now()
  const name = versionsObjectName(o.p.object, timestampToVersion(ts))
  const put = await subrequest(o.ctx, o.downstream, {
    method: 'PUT',
    path: objectPath(o, o.versionsCont, name),
    headers: { ...copiedObjectHeaders(get), 'x-backend-allow-reserved-names': 'true' },
    body: get.stream ?? (await get.buffer()),
    state: PRE_AUTHED,
  })
  put.discard()
  if (put.status === 404) throw plain(500, NO_VERSIONS_CONTAINER)
  await checkResponseError(put, 'versioning')
}

/** The client's upload, stored as a new version; returns what the link to it needs. */
async function putVersionFromClient(o: ObjectRequest, ts: Timestamp): Promise<{ name: string; etag: string; bytes: string; contentType: string }> {
  const ctx = o.ctx
  const name = versionsObjectName(o.p.object, timestampToVersion(ts))
  const headers = clientHeaders(ctx, nonExpiry)
  headers['x-backend-allow-reserved-names'] = 'true'
  const length = ctx.get('Content-Length')
  if (length !== '') headers['content-length'] = length
  else headers['transfer-encoding'] = 'chunked'
  const counter = new ByteCounter()
  const put = await subrequest(ctx, o.downstream, { method: 'PUT', path: objectPath(o, o.versionsCont, name), headers, body: ctx.req.pipe(counter), state: PRE_AUTHED })
  if (put.status === 404) {
    put.discard()
    throw plain(500, NO_VERSIONS_CONTAINER)
  }
  await checkResponseError(put, 'versioning')
  put.discard()
  const contentType = (headers['content-type'] || guessContentType(name)).split(';')[0]!.trim()
  return { name, etag: put.headers.etag ?? '', bytes: headers['x-object-sysmeta-slo-size'] ?? String(counter.bytes), contentType }
}

/** Swift's _put_symlink_to_version: the user's object becomes a static link to a version. */
async function putSymlinkToVersion(o: ObjectRequest, ts: Timestamp, version: { name: string; etag: string; bytes: string; contentType: string }): Promise<void> {
  const headers = clientHeaders(o.ctx)
  for (const h of NOT_FOR_SYMLINK) delete headers[h]
  Object.assign(headers, {
    'x-timestamp': ts.withOffset(1).internal,
    'content-length': '0',
    'content-type': version.contentType,
    'x-symlink-target': quoteSwiftPath(`${o.versionsCont}/${version.name}`),
    [SYS_LINK_ETAG]: version.etag,
    [SYS_LINK_BYTES]: version.bytes,
    [SYSMETA_VERSIONS_SYMLINK]: 'true',
    [SYMLOOP_EXTEND]: 'true',
    [ALLOW_RESERVED_NAMES]: 'true',
    'x-backend-allow-reserved-names': 'true',
  })
  const link = await subrequest(o.ctx, o.downstream, { method: 'PUT', path: o.ctx.path, headers })
  await respondWithSubresponse(o.ctx, link)
  o.ctx.set('ETag', version.etag)
  o.ctx.set('X-Object-Version-Id', parseVersionsObjectName(version.name).versionId ?? '')
}

async function handlePut(o: ObjectRequest): Promise<void> {
  if (!o.enabled) return o.next()
  await copyCurrent(o)
  const ts = ensureTimestamp(o.ctx)
  const version = await putVersionFromClient(o, ts)
  await putSymlinkToVersion(o, ts, version)
}

async function handleDelete(o: ObjectRequest): Promise<void> {
  if (!o.enabled) return o.next()
  await copyCurrent(o)
  const ts = ensureTimestamp(o.ctx)
  const markerName = versionsObjectName(o.p.object, timestampToVersion(ts))
  const marker = await subrequest(o.ctx, o.downstream, {
    method: 'PUT',
    path: objectPath(o, o.versionsCont, markerName),
    headers: { 'content-type': DELETE_MARKER_CONTENT_TYPE, 'content-length': '0', 'x-auth-token': o.ctx.get('X-Auth-Token') || undefined, 'x-backend-allow-reserved-names': 'true', 'x-timestamp': ts.internal },
    state: PRE_AUTHED,
  })
  await checkResponseError(marker, 'versioning')
  marker.discard()
  const internal = o.ctx.state.keepSysmeta === true
  await editAnswer(o.ctx, o.next, (a) => {
    if (!isSuccess(a.status) && a.status !== 404) return
    a.set('X-Object-Version-Id', parseVersionsObjectName(markerName).versionId ?? '')
    // For s3api (an internal caller): what the DELETE left behind. Clients never see X-Backend-*.
    if (internal) a.set('X-Backend-Content-Type', DELETE_MARKER_CONTENT_TYPE)
  })
}

/** Swift's handle_post: a POST that reached a version link is applied to the version. */
async function handlePost(o: ObjectRequest): Promise<void> {
  const headers = { ...clientHeaders(o.ctx, nonExpiry), 'x-backend-allow-reserved-names': 'true', 'content-length': '0' }
  let location: string | undefined
  try {
    await o.next()
    if (o.ctx.status === 307) location = String(o.ctx.response.get('Location') || '')
  } catch (err) {
    if (!(err instanceof HttpError) || err.status !== 307) throw err
    location = Object.entries(err.headers).find(([k]) => k.toLowerCase() === 'location')?.[1]
    if (!location) throw err
    if (!pointsIntoVersions(o, location)) throw err
  }
  if (!location || !pointsIntoVersions(o, location)) return
  const post = await subrequest(o.ctx, o.downstream, { method: 'POST', path: quoteSwiftPath(safeDecode(location)), headers, state: PRE_AUTHED })
  await respondWithSubresponse(o.ctx, post)
}

function pointsIntoVersions(o: ObjectRequest, location: string): boolean {
  try {
    const [, account, container] = splitPath(safeDecode(location), 4, 4, true)
    return account === o.p.account && container === o.versionsCont
  } catch {
    return false
  }
}

/** GET/HEAD/OPTIONS without version-id: annotate with the version the object links to. */
async function handleRead(o: ObjectRequest): Promise<void> {
  await editAnswer(o.ctx, o.next, (a) => {
    a.set('X-Object-Version-Id', 'null')
    const loc = safeDecode(a.get('Content-Location') ?? '')
    if (loc) {
      try {
        const [, account, container, versionObj] = splitPath(loc, 4, 4, true)
        const versionId = account === o.p.account && container === o.versionsCont ? parseVersionsObjectName(versionObj ?? '').versionId : undefined
        if (versionId) {
          a.set('X-Object-Version-Id', versionId)
          a.set('Content-Location', `${quoteSwiftPath(`/${o.p.version}/${o.p.account}/${o.p.container}/${o.p.object}`)}?version-id=${versionId}`)
        }
      } catch {
        // not a Swift path: leave it
      }
    }
    const target = safeDecode(a.get('X-Symlink-Target') ?? '')
    const slash = target.indexOf('/')
    if (slash > 0 && target.slice(0, slash) === o.versionsCont) {
      const versionId = parseVersionsObjectName(target.slice(slash + 1)).versionId
      if (versionId) {
        a.set('X-Object-Version-Id', versionId)
        a.set('X-Symlink-Target', `${quoteSwiftPath(`${o.p.container}/${o.p.object}`)}?version-id=${versionId}`)
      }
    }
  })
}

async function readVersion(o: ObjectRequest, versionId: string): Promise<void> {
  const ctx = o.ctx
  let markerFound = false
  await withReservedPath(ctx, objectPath(o, o.versionsCont, versionsObjectName(o.p.object, versionId)), ctx.querystring, () =>
    editAnswer(ctx, o.next, (a) => {
      if (isSuccess(a.status)) a.set('X-Object-Version-Id', versionId)
      markerFound = (a.get('X-Backend-Content-Type') ?? a.get('Content-Type')) === DELETE_MARKER_CONTENT_TYPE
    }),
  )
  if (markerFound) {
    const body = ctx.body as { destroy?: () => void } | null
    if (body && typeof body.destroy === 'function') body.destroy()
    throw new HttpError(404, { headers: { 'X-Object-Version-Id': versionId, 'Content-Type': DELETE_MARKER_CONTENT_TYPE } })
  }
}

async function readNullVersion(o: ObjectRequest): Promise<void> {
  let linked = false
  await editAnswer(o.ctx, o.next, (a) => {
    if (!isSuccess(a.status)) return
    linked = safeDecode(a.get('Content-Location') ?? '').includes(reservedName('versions', ''))
    if (!linked) a.set('X-Object-Version-Id', 'null')
  })
  if (linked) {
    const body = o.ctx.body as { destroy?: () => void } | null
    if (body && typeof body.destroy === 'function') body.destroy()
    throw new HttpError(404)
  }
}

/** Swift's _check_head: is the object gone, and which version does it link to? */
async function currentLink(o: ObjectRequest): Promise<{ tombstone: boolean; target: string | undefined }> {
  const head = await subrequest(o.ctx, o.downstream, { method: 'HEAD', path: o.ctx.path, query: { symlink: 'get' }, headers: { 'x-newest': 'true', 'x-auth-token': o.ctx.get('X-Auth-Token') || undefined }, state: PRE_AUTHED })
  head.discard()
  if (head.status === 404) return { tombstone: true, target: undefined }
  await checkResponseError(head, 'versioning')
  return { tombstone: false, target: head.headers[SYSMETA_VERSIONS_SYMLINK] === 'true' ? head.headers['x-symlink-target'] : undefined }
}

async function deleteVersion(o: ObjectRequest, versionId: string): Promise<void> {
  if (versionId === 'null') return o.next()
  const ctx = o.ctx
  const { tombstone, target } = await currentLink(o)
  const versionObj = versionsObjectName(o.p.object, versionId)
  let currentVersionId = 'null'
  if (tombstone || !target || safeDecode(target) !== `${o.versionsCont}/${versionObj}`) {
    if (!tombstone && target) currentVersionId = parseVersionsObjectName(safeDecode(target).split('/').slice(1).join('/')).versionId ?? 'null'
  } else {
    // The version is the current one: the link goes first, then the data.
    const link = await subrequest(ctx, o.downstream, { method: 'DELETE', path: ctx.path, headers: clientHeaders(ctx) })
    await checkResponseError(link, 'versioning')
    link.discard()
  }
  await withReservedPath(ctx, objectPath(o, o.versionsCont, versionObj), ctx.querystring, () =>
    editAnswer(ctx, o.next, (a) => {
      a.set('X-Object-Version-Id', versionId)
      a.set('X-Object-Current-Version-Id', currentVersionId)
    }),
  )
}

/** PUT ?version-id=: make that version the current one again. */
async function relinkVersion(o: ObjectRequest, versionId: string): Promise<void> {
  const ctx = o.ctx
  if (versionId === 'null') throw new HttpError(400, { body: 'Invalid version parameter' })
  const chunked = ctx.get('Transfer-Encoding').toLowerCase() === 'chunked'
  let hasBody: boolean
  if (chunked) {
    hasBody = false
    for await (const chunk of ctx.req.iterator({ destroyOnReturn: false })) {
      if ((chunk as Buffer).length) {
        hasBody = true
        break
      }
    }
  } else if (ctx.get('Content-Length') === '') throw new HttpError(411)
  else hasBody = ctx.get('Content-Length') !== '0'
  if (hasBody) throw plain(400, 'PUT version-id requests require a zero byte body')
  const name = versionsObjectName(o.p.object, versionId)
  const head = await subrequest(ctx, o.downstream, { method: 'HEAD', path: objectPath(o, o.versionsCont, name), query: { symlink: 'get' }, headers: { 'x-backend-allow-reserved-names': 'true' }, state: PRE_AUTHED })
  head.discard()
  if (head.status === 404) {
    const versions = await subrequest(ctx, o.downstream, { method: 'HEAD', path: quoteSwiftPath(`/${o.p.version}/${o.p.account}/${o.versionsCont}`), headers: { 'x-backend-allow-reserved-names': 'true' }, state: PRE_AUTHED })
    versions.discard()
    if (isSuccess(versions.status)) throw plain(404, 'The specified version does not exist')
    throw plain(500, NO_VERSIONS_CONTAINER)
  }
  await checkResponseError(head, 'versioning')
  const ts = ensureTimestamp(ctx)
  await putSymlinkToVersion(o, ts, { name, etag: head.headers.etag ?? '', bytes: head.headers['content-length'] ?? '0', contentType: head.headers['content-type'] ?? '' })
}

async function withVersionId(o: ObjectRequest, versionId: string): Promise<void> {
  const method = o.ctx.method
  if (method === 'POST') throw new HttpError(400, { body: `${method} to a specific version is not allowed` })
  if (!o.versionsCont && versionId !== 'null') throw new HttpError(400, { body: 'version-aware operations require that the container is versioned' })
  if (versionId !== 'null' && !parseVersionTimestamp(versionId)) throw new HttpError(400, { body: 'Invalid version parameter' })
  if (method === 'OPTIONS') return o.next()
  if (method === 'DELETE') return deleteVersion(o, versionId)
  if (method === 'PUT') return relinkVersion(o, versionId)
  if (versionId === 'null') return readNullVersion(o)
  return readVersion(o, versionId)
}

async function objectRequest(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: ObjectRequest['p'], deps: MiddlewareDeps): Promise<void> {
  if (!deps.getContainerInfo) return next()
  const info = await deps.getContainerInfo(ctx, p.account, p.container)
  const sysmeta = info.sysmeta ?? {}
  const stored = sysmeta['versions-container']
  const o: ObjectRequest = { ctx, next, downstream, p, info, versionsCont: stored ? (safeDecode(stored).split('/')[0] ?? '') : '', enabled: truthy(sysmeta['versions-enabled']) }
  const raw = ctx.query['version-id']
  const versionId = Array.isArray(raw) ? raw[0] : raw
  if (versionId) return withVersionId(o, versionId)
  if (!o.versionsCont) return next()
  switch (ctx.method) {
    case 'PUT':
      return handlePut(o)
    case 'POST':
      return handlePost(o)
    case 'DELETE':
      return handleDelete(o)
    default:
      return handleRead(o)
  }
}

/** The object-versioning handler, with the layers below it (`downstream`) given. */
export async function objectVersioningRequest(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, deps: MiddlewareDeps): Promise<void> {
  const p = swiftPathOf(ctx)
  if (!p) return next()
  if (p.container === undefined) return ctx.method === 'GET' ? handleAccountListing(ctx, next, downstream, p) : next()
  if (p.object === undefined) return handleContainerRequest(ctx, next, downstream, { ...p, container: p.container }, deps)
  if (p.container.startsWith(RESERVED) && ctx.query['version-id'] === undefined) return next()
  return objectRequest(ctx, next, downstream, { ...p, container: p.container, object: p.object }, deps)
}

export function objectVersioning(deps: MiddlewareDeps): ProxyMiddleware {
  const mw: ProxyMiddleware = (ctx, next) => objectVersioningRequest(ctx, next, downstreamOf(ctx, mw), deps)
  return mw
}

/** `object_versioning` on its own (Swift loads it inside versioned_writes, see index.ts). */
export const objectVersioningFactory: MiddlewareFactory = {
  name: 'object_versioning',
  create(_conf, deps) {
    deps.registerInfo?.('object_versioning', {})
    return objectVersioning(deps)
  },
}
