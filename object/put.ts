// Object PUT (Swift: ObjectController.PUT, _pre_create_checks, _stage_obj_data,
// _post_commit_updates). The body streams into the diskfile writer with backpressure, its MD5
// computed once on the way; the object becomes visible only on commit.
import type { IncomingMessage } from 'node:http'
import { respond } from '../common/storage-server.ts'
import { HttpError, insufficientStorage } from '../common/http/errors.ts'
import { checkObjectCreation } from '../common/constraints-check.ts'
import { normalizeEtag, parseEtagList } from '../common/http/conditional.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { ObjectServerParts, ObjectRequest } from './context.ts'
import { checkObjectDevice, requestTimestamp, updateRequest } from './context.ts'
import { isInsufficientStorage, isNotFound } from './diskfile/errors.ts'
import type { ObjectWriter, StoredMetadata } from './diskfile/types.ts'
import { headerString, requestMetadata } from './metadata.ts'

export async function PUT(parts: ObjectServerParts, { sr, name }: ObjectRequest): Promise<void> {
  const { req, res } = sr
  const timestamp = requestTimestamp(sr, true)
  const deleteAt = checkObjectCreation(req.headers, name.obj, parts.constraints, timestamp.seconds)
  const te = headerString(req.headers, 'transfer-encoding')
  const size = te === undefined ? Number(headerString(req.headers, 'content-length')) : undefined
  await checkObjectDevice(parts, name)

  let origMetadata: StoredMetadata = {}
  let origTimestamp = new Timestamp(0)
  try {
    const current = await parts.diskfile.readMetadata(name, { now: timestamp })
    origMetadata = current.metadata
    origTimestamp = current.dataTimestamp
  } catch (err) {
    if (!isNotFound(err)) throw err
    if (err.code === 'ERR_DISKFILE_DELETED' || err.code === 'ERR_DISKFILE_EXPIRED') origTimestamp = err.timestamp ?? origTimestamp
  }
  const ifNoneMatch = parseEtagList(req.headers['if-none-match'])
  if (ifNoneMatch && origMetadata.ETag !== undefined && (ifNoneMatch.has('*') || ifNoneMatch.has(origMetadata.ETag))) {
    throw new HttpError(412)
  }
  if (!timestamp.newerThan(origTimestamp)) {
    throw new HttpError(409, { headers: { 'X-Backend-Timestamp': origTimestamp.internal } })
  }

  let writer: ObjectWriter
  try {
    writer = await parts.diskfile.createWriter(name, { size })
  } catch (err) {
    if (isInsufficientStorage(err)) throw insufficientStorage(name.device)
    throw err
  }
  let metadata: StoredMetadata
  try {
    if (headerString(req.headers, 'expect')?.toLowerCase() === '100-continue') res.writeContinue()
    await receiveBody(req, writer, parts.config.clientTimeout)
    if (size !== undefined && writer.bytesWritten !== size) throw new HttpError(499)
    const etag = writer.etag()
    metadata = {
      'X-Timestamp': timestamp.internal,
      'Content-Type': headerString(req.headers, 'content-type') ?? 'application/octet-stream',
      'Content-Length': String(writer.bytesWritten),
      ETag: etag,
      ...requestMetadata(req.headers, parts.config.allowedHeaders, true),
      name: `/${name.account}/${name.container}/${name.obj}`,
    }
    if (deleteAt !== undefined) metadata['X-Delete-At'] = deleteAt
    const clientEtag = normalizeEtag(headerString(req.headers, 'etag') ?? '')
    if (clientEtag && clientEtag !== etag) throw new HttpError(422)
    await writer.commit(timestamp, metadata)
  } catch (err) {
    await writer.abort()
    if (isInsufficientStorage(err)) throw insufficientStorage(name.device)
    throw err
  }

  const update = updateRequest(sr, timestamp)
  const origDeleteAt = Number(origMetadata['X-Delete-At'] ?? 0)
  const newDeleteAt = Number(deleteAt ?? 0)
  if (origDeleteAt !== newDeleteAt) {
    if (newDeleteAt) await parts.updater.deleteAtUpdate('PUT', newDeleteAt, name, update)
    if (origDeleteAt) await parts.updater.deleteAtUpdate('DELETE', origDeleteAt, name, update)
  }
  const headersOut: Record<string, string> = {
    'X-Size': metadata['Content-Length']!,
    'X-Content-Type': metadata['Content-Type']!,
    'X-Timestamp': metadata['X-Timestamp']!,
    'X-Etag': metadata.ETag!,
  }
  applyContainerOverrides(headersOut, req.headers)
  await parts.updater.containerUpdate('PUT', name, update, headersOut)
  respond(res, 201, { ETag: `"${metadata.ETag}"`, 'Content-Type': 'text/html; charset=UTF-8' })
}

/**
 * X-Backend-Container-Update-Override-* then X-Object-Sysmeta-Container-Update-Override-*
 * replace the matching X-* of the container update (Swift: _check_container_override).
 */
export function applyContainerOverrides(out: Record<string, string>, source: Readonly<Record<string, string | string[] | undefined>>): void {
  for (const prefix of ['x-backend-container-update-override-', 'x-object-sysmeta-container-update-override-']) {
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined || !key.toLowerCase().startsWith(prefix)) continue
      const target = `X-${key.slice(prefix.length)}`.toLowerCase()
      for (const existing of Object.keys(out)) if (existing.toLowerCase() === target) delete out[existing]
      out[target.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())] = Array.isArray(value) ? value.join(', ') : value
    }
  }
}

/**
 * Feeds the request body into the writer; 408 after client_timeout seconds of silence, 499
 * when the client goes away (the staged file is then dropped by the caller).
 */
async function receiveBody(req: IncomingMessage, writer: ObjectWriter, clientTimeout: number): Promise<void> {
  let timedOut = false
  // One timer re-armed per chunk (refresh() keeps its slot; no new timer per 64 KiB).
  const timer = setTimeout(() => {
    timedOut = true
    req.destroy()
  }, clientTimeout * 1000)
  try {
    for await (const chunk of req) {
      timer.refresh()
      await writer.write(chunk as Buffer)
    }
  } catch (err) {
    if (timedOut) throw new HttpError(408)
    if ((err as { code?: unknown }).code?.toString().startsWith('ERR_DISKFILE') || isInsufficientStorage(err)) throw err
    throw new HttpError(499, { cause: err })
  } finally {
    clearTimeout(timer)
  }
  if (timedOut) throw new HttpError(408)
  if (req.readableAborted || !req.complete) throw new HttpError(499)
}
