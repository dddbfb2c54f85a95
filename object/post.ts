// Object POST (Swift: ObjectController.POST, "fast-POST"): a .meta file replaces the user
// metadata, transient sysmeta and allowed headers of the object; system metadata, ETag and
// length stay those of the data file. A newer Content-Type travels with its own timestamp.
import { respond } from '../common/storage-server.ts'
import { HttpError, insufficientStorage } from '../common/http/errors.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { ObjectServerParts, ObjectRequest } from './context.ts'
import { checkObjectDevice, requestTimestamp, updateRequest } from './context.ts'
import { isInsufficientStorage, isNotFound } from './diskfile/errors.ts'
import type { OpenObject, StoredMetadata } from './diskfile/types.ts'
import { headerString, isSysMeta, requestMetadata } from './metadata.ts'
import { applyContainerOverrides } from './put.ts'

const textPlain = { 'Content-Type': 'text/plain' }

export async function POST(parts: ObjectServerParts, { sr, name }: ObjectRequest): Promise<void> {
  const { req, res } = sr
  const timestamp = requestTimestamp(sr, true)
  const deleteAtText = headerString(req.headers, 'x-delete-at')
  const newDeleteAt = deleteAtText ? Number(deleteAtText) : 0
  if (!Number.isInteger(newDeleteAt)) throw new HttpError(400, { body: 'Non-integer X-Delete-At', headers: textPlain })
  if (newDeleteAt && newDeleteAt < timestamp.seconds) throw new HttpError(400, { body: 'X-Delete-At in past', headers: textPlain })
  await checkObjectDevice(parts, name)
  const openExpired = /^(true|1|yes|on|t|y)$/i.test(headerString(req.headers, 'x-backend-replication') ?? '')
  let current: OpenObject
  try {
    current = await parts.diskfile.readMetadata(name, { now: timestamp, openExpired })
  } catch (err) {
    if (isNotFound(err)) throw new HttpError(404)
    throw err
  }
  const orig = current.metadata
  const reqCtype = headerString(req.headers, 'content-type')
  const reqCtypeTs = reqCtype ? Timestamp.parse(headerString(req.headers, 'content-type-timestamp') ?? timestamp.internal) : new Timestamp(0)
  // Swift also records an older POST's newer Content-Type beside a newer .meta; this diskfile
  // keeps one .meta, so such a POST (older metadata, newer type) is refused like a stale one.
  if (!timestamp.newerThan(current.timestamp)) {
    throw new HttpError(409, { headers: { 'X-Backend-Timestamp': current.timestamp.internal } })
  }
  const metadata: StoredMetadata = {
    'X-Timestamp': timestamp.internal,
    ...requestMetadata(req.headers, parts.config.allowedHeaders, false),
  }
  const update = updateRequest(sr, timestamp)
  const origDeleteAt = Number(orig['X-Delete-At'] ?? 0)
  if (origDeleteAt !== newDeleteAt) {
    if (newDeleteAt) await parts.updater.deleteAtUpdate('PUT', newDeleteAt, name, update)
    if (origDeleteAt) await parts.updater.deleteAtUpdate('DELETE', origDeleteAt, name, update)
  }
  let contentType: string
  let contentTypeTs: Timestamp
  if (reqCtype && reqCtypeTs.newerThan(current.contentTypeTimestamp)) {
    contentType = reqCtype
    contentTypeTs = reqCtypeTs
    metadata['Content-Type'] = contentType
    metadata['Content-Type-Timestamp'] = contentTypeTs.internal
  } else {
    contentType = orig['Content-Type'] ?? ''
    contentTypeTs = current.contentTypeTimestamp
    if (!contentTypeTs.equals(current.dataTimestamp)) {
      metadata['Content-Type'] = contentType
      metadata['Content-Type-Timestamp'] = contentTypeTs.internal
    }
  }
  try {
    await parts.diskfile.writeMetadata(name, timestamp, metadata)
  } catch (err) {
    if (isInsufficientStorage(err)) throw insufficientStorage(name.device)
    throw err
  }
  const headersOut: Record<string, string> = {
    'X-Size': orig['Content-Length'] ?? '0',
    'X-Content-Type': contentType,
    'X-Timestamp': current.dataTimestamp.internal,
    'X-Content-Type-Timestamp': contentTypeTs.internal,
    'X-Meta-Timestamp': timestamp.internal,
    'X-Etag': orig.ETag ?? '',
  }
  if (orig['X-Object-Sysmeta-Ec-Etag']) headersOut['X-Etag'] = orig['X-Object-Sysmeta-Ec-Etag']
  if (orig['X-Object-Sysmeta-Ec-Content-Length']) headersOut['X-Size'] = orig['X-Object-Sysmeta-Ec-Content-Length']
  applyContainerOverrides(headersOut, orig)
  await parts.updater.containerUpdate('PUT', name, update, headersOut)
  const headers: Record<string, string> = { 'X-Backend-Content-Type': contentType, 'Content-Type': 'text/html; charset=UTF-8' }
  for (const [k, v] of Object.entries(orig)) if (isSysMeta(k)) headers[k] = v
  const body = '<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>'
  respond(res, 202, headers, body)
}
