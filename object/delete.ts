// Object DELETE (Swift: ObjectController.DELETE): a tombstone at the request's timestamp,
// written even when nothing was there (404) so that an older PUT arriving later loses;
// X-If-Delete-At lets the expirer delete only the version it queued.
import { respond } from '../common/storage-server.ts'
import { HttpError, insufficientStorage } from '../common/http/errors.ts'
import { defaultBody } from '../common/http/status.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { ObjectServerParts, ObjectRequest } from './context.ts'
import { checkObjectDevice, requestTimestamp, updateRequest } from './context.ts'
import { isInsufficientStorage, isNotFound } from './diskfile/errors.ts'
import type { StoredMetadata } from './diskfile/types.ts'
import { headerString } from './metadata.ts'

export async function DELETE(parts: ObjectServerParts, { sr, name }: ObjectRequest): Promise<void> {
  const { req, res } = sr
  const timestamp = requestTimestamp(sr, true)
  await checkObjectDevice(parts, name)
  let origTimestamp = new Timestamp(0)
  let origMetadata: Readonly<StoredMetadata> = {}
  let status: 204 | 404 | 409
  try {
    const current = await parts.diskfile.readMetadata(name, { now: timestamp })
    origTimestamp = current.dataTimestamp
    origMetadata = current.metadata
    status = origTimestamp.compare(timestamp) < 0 ? 204 : 409
  } catch (err) {
    if (!isNotFound(err)) throw err
    if (err.code === 'ERR_DISKFILE_EXPIRED') {
      origTimestamp = err.timestamp ?? origTimestamp
      origMetadata = err.metadata ?? {}
    } else if (err.code === 'ERR_DISKFILE_DELETED') {
      origTimestamp = err.timestamp ?? origTimestamp
    }
    status = 404
  }
  const responseTimestamp = origTimestamp.newerThan(timestamp) ? origTimestamp : timestamp
  const origDeleteAt = Number(origMetadata['X-Delete-At'] ?? 0)
  const ifDeleteAtText = headerString(req.headers, 'x-if-delete-at')
  if (ifDeleteAtText !== undefined) {
    let ifDeleteAt: Timestamp
    try {
      ifDeleteAt = Timestamp.parse(ifDeleteAtText)
    } catch {
      throw new HttpError(400, { body: 'Bad X-If-Delete-At header value' })
    }
    // Never place a tombstone when the queued expiry cannot be verified.
    if (origTimestamp.ticks === 0 && origTimestamp.offset === 0) throw new HttpError(404)
    if (!timestamp.newerThan(origTimestamp)) throw new HttpError(409)
    if (Timestamp.fromSeconds(origDeleteAt).compare(ifDeleteAt) !== 0) {
      throw new HttpError(412, { body: 'X-If-Delete-At and X-Delete-At do not match' })
    }
    status = 204
  }
  const update = updateRequest(sr, timestamp)
  if (origDeleteAt) await parts.updater.deleteAtUpdate('DELETE', origDeleteAt, name, update)
  if (origTimestamp.compare(timestamp) < 0) {
    try {
      await parts.diskfile.delete(name, timestamp)
    } catch (err) {
      if (isInsufficientStorage(err)) throw insufficientStorage(name.device)
      throw err
    }
    await parts.updater.containerUpdate('DELETE', name, update, { 'X-Timestamp': timestamp.internal })
  }
  const headers = {
    'X-Backend-Timestamp': responseTimestamp.internal,
    'X-Backend-Content-Type': origMetadata['Content-Type'] ?? '',
    'Content-Type': 'text/html; charset=UTF-8',
  }
  const body = defaultBody(status)
  respond(res, status, headers, body || undefined)
}
