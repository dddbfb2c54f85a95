// Object GET and HEAD (Swift: ObjectController.GET/HEAD with swob's conditional_response):
// metadata in one read, conditional requests (304/412), ranges (206, multipart/byteranges,
// 416), and bodies that stream with backpressure. A whole-body read is checked against what
// was stored with it (diskfile/verify-stream.ts): small bodies before the first byte goes out
// (a mismatch answers 404), large ones by holding back the last chunk (a mismatch cuts the
// connection).
import type { ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { respond, respondError } from '../common/storage-server.ts'
import { HttpError } from '../common/http/errors.ts'
import { conditionalStatus } from '../common/http/conditional.ts'
import { contentRange, multipartByteranges, parseRange, rangesForLength } from '../common/http/range.ts'
import type { ByteRange } from '../common/http/range.ts'
import { defaultBody } from '../common/http/status.ts'
import type { ObjectServerParts, ObjectRequest } from './context.ts'
import { checkObjectDevice, requestTimestamp } from './context.ts'
import { isNotFound } from './diskfile/errors.ts'
import type { OpenObject } from './diskfile/types.ts'
import { headerString, isServedKey } from './metadata.ts'

type Headers = Record<string, string | number>

export async function GET(parts: ObjectServerParts, request: ObjectRequest): Promise<void> {
  await read(parts, request, false)
}

export async function HEAD(parts: ObjectServerParts, request: ObjectRequest): Promise<void> {
  await read(parts, request, true)
}

async function read(parts: ObjectServerParts, { sr, name }: ObjectRequest, head: boolean): Promise<void> {
  const { req, res } = sr
  const now = requestTimestamp(sr, false)
  await checkObjectDevice(parts, name)
  const openExpired = /^(true|1|yes|on|t|y)$/i.test(headerString(req.headers, 'x-backend-replication') ?? '')
  let obj: OpenObject
  try {
    obj = head ? await parts.diskfile.readMetadata(name, { now, openExpired }) : await parts.diskfile.open(name, { now, openExpired })
  } catch (err) {
    if (!isNotFound(err)) throw err
    const headers: Record<string, string> = {}
    if (err.timestamp && err.code !== 'ERR_DISKFILE_QUARANTINED') headers['X-Backend-Timestamp'] = err.timestamp.internal
    const status = conditionalStatus(req.headers, { etag: undefined, lastModified: undefined, status: 404 })
    if (status) respond(res, status, { ...headers, 'Content-Type': 'text/html; charset=UTF-8' })
    else respondError(res, new HttpError(404, { headers }))
    return
  }
  try {
    await serve(parts, req.headers, res, obj, head)
  } finally {
    await obj.close()
  }
}

function objectHeaders(parts: ObjectServerParts, obj: OpenObject): Headers {
  const m = obj.metadata
  const headers: Headers = { 'Content-Type': m['Content-Type'] ?? 'application/octet-stream' }
  for (const [k, v] of Object.entries(m)) if (isServedKey(k, parts.allowed)) headers[k] = v
  headers.ETag = `"${m.ETag ?? ''}"`
  headers['Last-Modified'] = obj.timestamp.httpDate
  headers['X-Timestamp'] = obj.timestamp.normal
  headers['X-Backend-Timestamp'] = obj.timestamp.internal
  headers['X-Backend-Data-Timestamp'] = obj.dataTimestamp.internal
  headers['X-Backend-Durable-Timestamp'] = obj.dataTimestamp.internal
  headers['Content-Length'] = obj.contentLength
  return headers
}

async function serve(parts: ObjectServerParts, reqHeaders: Record<string, string | string[] | undefined>, res: ServerResponse, obj: OpenObject, head: boolean): Promise<void> {
  const headers = objectHeaders(parts, obj)
  const size = obj.contentLength
  const status = conditionalStatus(reqHeaders, { etag: obj.metadata.ETag, lastModified: obj.timestamp.ceilSeconds, status: 200 })
  if (status) {
    respond(res, status, { ...headers, 'Content-Length': 0 })
    return
  }
  if (head) {
    res.writeHead(200, headers)
    res.end()
    return
  }
  let rangeHeader = headerString(reqHeaders, 'range')
  const ignoreIf = (headerString(reqHeaders, 'x-backend-ignore-range-if-metadata-present') ?? '')
    .split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)
  if (ignoreIf.length && Object.keys(obj.metadata).some((k) => ignoreIf.includes(k.toLowerCase()))) rangeHeader = undefined
  const specs = parseRange(rangeHeader)
  if (specs && size > 0) {
    const ranges = rangesForLength(specs, size)
    if (ranges.length === 0) {
      const body = defaultBody(416)
      respond(res, 416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': Buffer.byteLength(body) }, body)
      return
    }
    if (ranges.length === 1) {
      const [start, end] = ranges[0]!
      res.writeHead(206, { ...headers, 'Content-Range': contentRange(start, end, size), 'Content-Length': end - start })
      await sendRange(res, obj, start, end)
      res.end()
      return
    }
    await sendMultipart(res, obj, headers, ranges)
    return
  }
  let body: Buffer | undefined
  try {
    body = await obj.readWholeBody()
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_DISKFILE_QUARANTINED') throw new HttpError(404)
    throw err
  }
  if (body) {
    res.writeHead(200, headers)
    res.end(body)
    return
  }
  res.writeHead(200, headers)
  // An error (ETag mismatch, read error, client gone) destroys the response: the client
  // sees a short body, never a complete wrong one.
  await pipeline(obj.createReadStream(), res)
}

async function sendRange(res: ServerResponse, obj: OpenObject, start: number, end: number): Promise<void> {
  const bytes = obj.prefetched(start, end)
  if (bytes) {
    if (!res.write(bytes)) await drained(res)
    return
  }
  await pipeline(obj.createReadStream(start, end), res, { end: false })
}

async function sendMultipart(res: ServerResponse, obj: OpenObject, headers: Headers, ranges: readonly ByteRange[]): Promise<void> {
  const layout = multipartByteranges(ranges, String(headers['Content-Type']), obj.contentLength)
  res.writeHead(206, { ...headers, 'Content-Type': layout.contentType, 'Content-Length': layout.length })
  for (const part of layout.parts) {
    if (!res.write(part.head)) await drained(res)
    await sendRange(res, obj, part.start, part.end)
  }
  res.end(layout.tail)
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      res.off('close', onClose)
      resolve()
    }
    const onClose = () => {
      res.off('drain', onDrain)
      reject(new HttpError(499))
    }
    res.once('drain', onDrain)
    res.once('close', onClose)
  })
}
