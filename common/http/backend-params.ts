// Request checks shared by the container and account servers (Swift: constraints.valid_timestamp,
// request_helpers.get_param / constrain_req_limit / split_and_validate_path, and the metadata
// header filters), so both answer the same statuses and bodies for the same mistakes.
import type { IncomingHttpHeaders } from 'node:http'
import { HttpError } from './errors.ts'
import { splitPath } from './split-path.ts'
import { Timestamp } from '../timestamp.ts'

const TEXT = { 'Content-Type': 'text/plain' }

/** The request's X-Timestamp, or 400 with Swift's messages. */
export function requireTimestamp(headers: IncomingHttpHeaders): Timestamp {
  const raw = headers['x-timestamp']
  if (raw === undefined) throw new HttpError(400, { body: 'Missing X-Timestamp header', headers: TEXT })
  try {
    return Timestamp.parse(Array.isArray(raw) ? raw.join(',') : raw)
  } catch {
    throw new HttpError(400, { body: 'Invalid X-Timestamp header', headers: TEXT })
  }
}

/** A query parameter; undefined when absent. Invalid UTF-8 answers 400 as Swift's get_param. */
export function getParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name)
  if (value === null) return undefined
  if (value.includes('\uFFFD')) throw new HttpError(400, { body: `"${name}" parameter not valid UTF-8`, headers: TEXT })
  return value
}

/** Swift's constrain_req_limit: a digit string above the maximum answers 412; anything else non-numeric is ignored. */
export function listingLimit(query: URLSearchParams, max: number): number {
  const given = getParam(query, 'limit')
  if (given && /^\d+$/.test(given)) {
    const limit = Number(given)
    if (limit > max) throw new HttpError(412, { body: `Maximum limit is ${max}` })
    return limit
  }
  return max
}

/** Swift's split_and_validate_path: the segments, or 400 naming the bad part. */
export function splitBackendPath(path: string, minSegs: number, maxSegs: number, restWithLast = false): (string | undefined)[] {
  let segs: (string | undefined)[]
  try {
    segs = splitPath(path, minSegs, maxSegs, restWithLast)
  } catch (err) {
    if (err instanceof HttpError) throw new HttpError(400, { body: err.body, headers: TEXT })
    throw err
  }
  const [device, partition] = segs
  if (!device || device.includes('/') || device === '.' || device === '..') {
    throw new HttpError(400, { body: `Invalid device: ${encodeURIComponent(device ?? '')}`, headers: TEXT })
  }
  if (!partition || partition.includes('/') || partition === '.' || partition === '..') {
    throw new HttpError(400, { body: `Invalid partition: ${encodeURIComponent(partition ?? '')}`, headers: TEXT })
  }
  return segs
}

/** Python's str.title(), which is how a WSGI server presents header names to Swift. */
export function titleCaseHeader(name: string): string {
  return name.toLowerCase().replace(/[a-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1))
}

/** Swift's is_sys_or_user_meta for a server type ("account", "container"). */
export function isSysOrUserMeta(serverType: string, key: string): boolean {
  const k = key.toLowerCase()
  const user = `x-${serverType}-meta-`
  const sys = `x-${serverType}-sysmeta-`
  return (k.length > user.length && k.startsWith(user)) || (k.length > sys.length && k.startsWith(sys))
}

/** The value of a header as one string. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

/** The partition segment as a number when it is one (it keys the partition index). */
export function partitionNumber(partition: string): number {
  return /^\d+$/.test(partition) && Number(partition) <= 0xffffffff ? Number(partition) : 0
}
