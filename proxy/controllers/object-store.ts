// Storing an object through the proxy: Swift's check_object_creation, the proxy's X-Timestamp
// and X-Delete-At, per-node container-update headers, then the streaming quorum PUT
// (object-put.ts). Plain PUTs and server-side copies (object-copy.ts) both end here.
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { checkObjectCreation } from '../../common/constraints-check.ts'
import { HttpError } from '../../common/http/errors.ts'
import { iniBool } from '../../common/config/ini.ts'
import { Timestamp } from '../../common/timestamp.ts'
import type { Target } from '../backend-requests.ts'
import { baseBackendHeaders } from '../backend-requests.ts'
import type { ProxyContext } from '../context.ts'
import { putObject } from '../object-put.ts'
import type { ProxyApp } from '../proxy-app.ts'
import { sendResult } from '../respond.ts'
import { guessContentType } from './content-type.ts'
import { objectWriteHeaders } from './object-write-headers.ts'
import { objectRequestHeaders } from './request-headers.ts'

export interface ObjectPath {
  account: string
  container: string
  object: string
}

export function objectTarget(app: ProxyApp, p: ObjectPath): Target {
  const ring = app.rings.object
  const part = ring.getPart(p.account, p.container, p.object)
  return { ring, part, primaries: ring.getPartNodes(part), path: `/${p.account}/${p.container}/${p.object}`, serverType: 'Object' }
}

/** The request's X-Timestamp (validated as Swift does) or now. */
export function requestTimestamp(ctx: ProxyContext): Timestamp {
  const raw = ctx.get('X-Timestamp')
  if (!raw) return Timestamp.now()
  try {
    return Timestamp.parse(raw)
  } catch {
    throw new HttpError(400, { body: `X-Timestamp should be a UNIX timestamp float value; was '${raw}'`, headers: { 'Content-Type': 'text/plain' } })
  }
}

export interface StoreInput {
  /** Lower-cased headers describing the new object (the client's, or merged for a copy). */
  headers: IncomingHttpHeaders
  body: Readable
  /** Body length, or null when chunked. */
  contentLength: number | null
  /** Extra response headers on success (copies). */
  responseHeaders?: Record<string, string>
}

export async function storeObject(app: ProxyApp, ctx: ProxyContext, p: ObjectPath, input: StoreInput): Promise<void> {
  const headers: IncomingHttpHeaders = { ...input.headers }
  if (!headers['content-type'] || iniBool(String(headers['x-detect-content-type'] ?? ''), false)) headers['content-type'] = guessContentType(p.object)
  delete headers['x-detect-content-type']
  // The checks see the body the backends will get (a copy's is the source's).
  if (input.contentLength !== null) {
    headers['content-length'] = String(input.contentLength)
    delete headers['transfer-encoding']
  }
  const ts = requestTimestamp(ctx)
  const deleteAt = checkObjectCreation(headers, p.object, app.config.constraints, ts.seconds)

  const target = objectTarget(app, p)
  const common = baseBackendHeaders(ctx, {
    ...objectRequestHeaders(headers),
    'X-Timestamp': ts.internal,
    'X-Backend-Storage-Policy-Index': '0',
  })
  delete common['x-delete-at']
  if (deleteAt !== undefined) common['X-Delete-At'] = deleteAt
  if (input.contentLength === null) common['Transfer-Encoding'] = 'chunked'
  else common['Content-Length'] = String(input.contentLength)
  const headersFor = objectWriteHeaders(app, { ...p, count: target.primaries.length, objectNodes: target.primaries, common, deleteAt })

  const r = await putObject(app, target, input.body, headersFor, {
    contentLength: input.contentLength,
    maxSize: app.config.constraints.maxFileSize,
    clientTimeout: app.config.clientTimeout,
  })
  if (r.status === 201 || (r.status >= 200 && r.status < 300)) {
    const extra: Record<string, string> = { 'Last-Modified': new Date(ts.ceilSeconds * 1000).toUTCString(), ...input.responseHeaders }
    const etag = r.headers.etag
    if (etag) extra.Etag = String(etag).replace(/"/g, '')
    sendResult(ctx, { status: r.status, headers: {}, body: Buffer.alloc(0) }, extra)
    return
  }
  // 409 from the object servers means an equal or newer timestamp already won: Swift answers 202.
  if (r.status === 409) {
    sendResult(ctx, { status: 202, headers: {}, body: Buffer.alloc(0) })
    return
  }
  sendResult(ctx, { status: r.status, headers: {}, body: r.body })
}
