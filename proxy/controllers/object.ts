// Object requests (Swift's proxy/controllers/obj.py, replication policy): GET/HEAD read one
// replica at a time (object-get.ts), PUT streams to all (object-store.ts / object-put.ts),
// POST and DELETE go to all with a quorum; COPY and X-Copy-From copy server-side. Every
// method authorizes against the container's ACLs once the container info is known.
import { checkDeleteHeaders, checkMetadata } from '../../common/constraints-check.ts'
import { HttpError } from '../../common/http/errors.ts'
import { iniBool } from '../../common/config/ini.ts'
import { baseBackendHeaders, writeToNodes } from '../backend-requests.ts'
import type { ProxyContext } from '../context.ts'
import type { ContainerInfo } from '../info-cache.ts'
import { getContainerInfo, isSuccess } from '../info-lookup.ts'
import { readObject } from '../object-get.ts'
import type { ProxyApp } from '../proxy-app.ts'
import { sendResult, sendStream } from '../respond.ts'
import { copyDestinationOf, copyObject, copySourceOf } from './object-copy.ts'
import type { ObjectPath } from './object-store.ts'
import { objectTarget, requestTimestamp, storeObject } from './object-store.ts'
import { objectWriteHeaders } from './object-write-headers.ts'
import { objectRequestHeaders } from './request-headers.ts'

/** Object bodies up to this size are relayed as one buffer rather than streamed (object-get.ts). */
const SMALL_BODY_BYTES = 64 * 1024

export const OBJECT_METHODS = ['COPY', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']

function authorizeOrThrow(ctx: ProxyContext, p: ObjectPath, info: ContainerInfo, method = ctx.method): void {
  const denial = ctx.state.authorize?.({
    method,
    account: p.account,
    container: p.container,
    object: p.object,
    containerAcl: { read: info.readAcl, write: info.writeAcl },
    referrer: ctx.get('Referer') || undefined,
  })
  if (denial) throw denial
}

/** Container info for a write: the container must exist (404 otherwise), then authorize. */
async function writableContainer(app: ProxyApp, ctx: ProxyContext, p: ObjectPath, method = ctx.method): Promise<ContainerInfo> {
  const info = await getContainerInfo(app, ctx, p.account, p.container)
  authorizeOrThrow(ctx, p, info, method)
  if (info.status >= 500) throw new HttpError(503)
  if (!isSuccess(info.status)) throw new HttpError(404)
  return info
}

async function getOrHead(app: ProxyApp, ctx: ProxyContext, p: ObjectPath): Promise<void> {
  const info = await getContainerInfo(app, ctx, p.account, p.container)
  authorizeOrThrow(ctx, p, info)
  const headers = baseBackendHeaders(ctx, { ...objectRequestHeaders(ctx.req.headers), 'X-Backend-Storage-Policy-Index': '0' })
  const outcome = await readObject(app, objectTarget(app, p), ctx.method, headers, { newest: iniBool(ctx.get('X-Newest'), false), bufferUpTo: SMALL_BODY_BYTES })
  if (outcome.source) sendStream(ctx, outcome.source)
  else sendResult(ctx, outcome.result)
}

async function put(app: ProxyApp, ctx: ProxyContext, p: ObjectPath): Promise<void> {
  await writableContainer(app, ctx, p)
  if (ctx.get('X-Copy-From')) return copyObject(app, ctx, copySourceOf(ctx, p), p)
  const cl = ctx.get('Content-Length')
  await storeObject(app, ctx, p, { headers: ctx.req.headers, body: ctx.req, contentLength: cl === '' ? null : Number(cl) })
}

async function copy(app: ProxyApp, ctx: ProxyContext, p: ObjectPath): Promise<void> {
  const dest = copyDestinationOf(ctx, p)
  // The destination is written: its container must exist and allow the caller to write.
  await writableContainer(app, ctx, dest, 'PUT')
  await copyObject(app, ctx, p, dest)
}

async function post(app: ProxyApp, ctx: ProxyContext, p: ObjectPath): Promise<void> {
  await writableContainer(app, ctx, p)
  const metaError = checkMetadata(ctx.req.headers, 'object', app.config.constraints)
  if (metaError) throw metaError
  const ts = requestTimestamp(ctx)
  let deleteAt: string | undefined
  try {
    deleteAt = checkDeleteHeaders(ctx.req.headers, ts.seconds)
  } catch (err) {
    throw err
  }
  const target = objectTarget(app, p)
  const common = baseBackendHeaders(ctx, { ...objectRequestHeaders(ctx.req.headers), 'X-Timestamp': ts.internal, 'X-Backend-Storage-Policy-Index': '0' })
  delete common['x-delete-at']
  if (deleteAt !== undefined) common['X-Delete-At'] = deleteAt
  const headersFor = objectWriteHeaders(app, { ...p, count: target.primaries.length, objectNodes: target.primaries, common, deleteAt })
  const r = await writeToNodes(app, target, 'POST', headersFor)
  sendResult(ctx, { status: r.status, headers: {}, body: r.body })
}

async function del(app: ProxyApp, ctx: ProxyContext, p: ObjectPath): Promise<void> {
  await writableContainer(app, ctx, p)
  const ts = requestTimestamp(ctx)
  const target = objectTarget(app, p)
  const common = baseBackendHeaders(ctx, { ...objectRequestHeaders(ctx.req.headers), 'X-Timestamp': ts.internal, 'X-Backend-Storage-Policy-Index': '0' })
  const headersFor = objectWriteHeaders(app, { ...p, count: target.primaries.length, objectNodes: target.primaries, common })
  const r = await writeToNodes(app, target, 'DELETE', headersFor)
  sendResult(ctx, { status: r.status, headers: {}, body: r.body })
}

export async function handleObject(app: ProxyApp, ctx: ProxyContext, p: ObjectPath): Promise<void> {
  switch (ctx.method) {
    case 'GET':
    case 'HEAD':
      return getOrHead(app, ctx, p)
    case 'PUT':
      return put(app, ctx, p)
    case 'POST':
      return post(app, ctx, p)
    case 'DELETE':
      return del(app, ctx, p)
    case 'COPY':
      return copy(app, ctx, p)
    case 'OPTIONS':
      ctx.status = 200
      ctx.set('Allow', OBJECT_METHODS.join(', '))
      ctx.body = Buffer.alloc(0)
      return
    default:
      throw new HttpError(405, { headers: { Allow: OBJECT_METHODS.join(', ') } })
  }
}
