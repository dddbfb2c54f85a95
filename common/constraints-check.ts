// The checks of swift/common/constraints.py (check_metadata, check_object_creation,
// check_delete_headers, check_utf8, check_account_format/check_container_format,
// valid_api_version), with Swift's status codes and bodies. Each returns or throws an
// HttpError; none touches storage, so a failed check creates nothing.
import type { IncomingHttpHeaders } from 'node:http'
import type { Constraints } from './constraints.ts'
import { HttpError } from './http/errors.ts'

export type MetadataTarget = 'account' | 'container' | 'object'

const textPlain = { 'Content-Type': 'text/plain' }
const bad = (body: string) => new HttpError(400, { body, headers: textPlain })

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/** Swift measures names and values in bytes of their UTF-8 form. */
const byteLength = (s: string) => Buffer.byteLength(s, 'utf8')

/** Swift's check_utf8: non-empty, valid UTF-8 (no lone surrogates), no NUL. */
export function checkUtf8(text: string): boolean {
  if (!text) return false
  if (text.includes('\0') || text.includes('\uFFFD')) return false
  return !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))
}

/** Node hands header values over as latin-1 strings; undo that to see the client's UTF-8. */
function headerUtf8(raw: string): string {
  return /[^\x00-\x7f]/.test(raw) ? Buffer.from(raw, 'latin1').toString('utf8') : raw
}

/** Swift's check_metadata over the request headers; undefined when they pass. */
export function checkMetadata(headers: IncomingHttpHeaders, target: MetadataTarget, c: Constraints): HttpError | undefined {
  const prefix = `x-${target}-meta-`
  let count = 0
  let size = 0
  for (const [name, rawValue] of Object.entries(headers)) {
    const value = headerText(rawValue) ?? ''
    if (value.length > c.maxHeaderSize) return bad(`Header value too long: ${name.slice(0, c.maxMetaNameLength)}`)
    if (!name.startsWith(prefix)) continue
    const key = name.slice(prefix.length)
    if (!key) return bad('Metadata name cannot be empty')
    const decodedValue = headerUtf8(value)
    if (target !== 'object' && (!checkUtf8(key) || (value && !checkUtf8(decodedValue)))) return bad('Metadata must be valid UTF-8')
    count++
    // Header strings are latin-1 (one char per byte), so .length is the byte length here.
    size += key.length + value.length
    if (key.length > c.maxMetaNameLength) return bad(`Metadata name too long: ${prefix}${key}`)
    if (value.length > c.maxMetaValueLength) return bad(`Metadata value longer than ${c.maxMetaValueLength}: ${prefix}${key}`)
    if (count > c.maxMetaCount) return bad(`Too many metadata items; max ${c.maxMetaCount}`)
    if (size > c.maxMetaOverallSize) return bad(`Total metadata too large; max ${c.maxMetaOverallSize}`)
  }
  return undefined
}

/** Swift's normalize_delete_at_timestamp: whole seconds, 10 digits, clamped. */
export function normalizeDeleteAt(seconds: number): string {
  const clamped = Math.min(Math.max(0, seconds), 9_999_999_999)
  return String(Math.floor(clamped)).padStart(10, '0')
}

function parsePythonInt(text: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : undefined
}

/**
 * Swift's check_delete_headers: X-Delete-After becomes X-Delete-At (now + after), and
 * X-Delete-At must be an integer in the future. Returns the X-Delete-At to store, if any.
 */
export function checkDeleteHeaders(headers: IncomingHttpHeaders, nowSeconds: number): string | undefined {
  let deleteAt: string | undefined
  const after = headerText(headers['x-delete-after'])
  if (after !== undefined) {
    const n = parsePythonInt(after)
    if (n === undefined) throw bad('Non-integer X-Delete-After')
    deleteAt = normalizeDeleteAt(nowSeconds + n)
    if (Number(deleteAt) <= nowSeconds) throw bad('X-Delete-After in past')
  }
  const at = deleteAt ?? headerText(headers['x-delete-at'])
  if (at !== undefined) {
    const n = parsePythonInt(at)
    if (n === undefined) throw bad('Non-integer X-Delete-At')
    const normalized = normalizeDeleteAt(n)
    if (Number(normalized) <= nowSeconds && !/^(true|1|yes|on|t|y)$/i.test(headerText(headers['x-backend-replication']) ?? '')) {
      throw bad('X-Delete-At in past')
    }
    return normalized
  }
  return undefined
}

/**
 * Swift's message_length: the body length from Content-Length, null for chunked; a
 * Transfer-Encoding other than one "chunked" is 501 (several codings) or 400.
 */
export function messageLength(headers: IncomingHttpHeaders): number | null {
  const te = headerText(headers['transfer-encoding'])
  if (te) {
    const codings = te.split(',')
    if (codings.length > 1) {
      throw new HttpError(501, { body: 'Unsupported Transfer-Coding header value specified in Transfer-Encoding header', headers: textPlain })
    }
    if (codings[0]!.trim().toLowerCase() === 'chunked') return null
    throw bad('Invalid Transfer-Encoding header value')
  }
  const cl = headerText(headers['content-length'])
  if (cl === undefined) return null
  if (!/^\d+$/.test(cl.trim())) throw bad('Invalid Content-Length header value')
  return Number(cl)
}

/**
 * Swift's check_object_creation (minus Content-Type, which the proxy fills in from the name
 * before calling this). Returns the X-Delete-At to store, if any.
 */
export function checkObjectCreation(headers: IncomingHttpHeaders, objectName: string, c: Constraints, nowSeconds: number): string | undefined {
  const length = messageLength(headers)
  if (length !== null && length > c.maxFileSize) throw new HttpError(413, { body: 'Your request is too large.', headers: textPlain })
  if (headers['content-length'] === undefined && headerText(headers['transfer-encoding'])?.toLowerCase() !== 'chunked') {
    throw new HttpError(411, { body: 'Missing Content-Length header.', headers: textPlain })
  }
  const nameBytes = byteLength(objectName)
  if (nameBytes > c.maxObjectNameLength) throw bad(`Object name length of ${nameBytes} longer than ${c.maxObjectNameLength}`)
  const contentType = headerText(headers['content-type'])
  if (contentType === undefined) throw bad('No content type')
  const deleteAt = checkDeleteHeaders(headers, nowSeconds)
  if (!checkUtf8(headerUtf8(contentType))) throw bad('Invalid Content-Type')
  const metaError = checkMetadata(headers, 'object', c)
  if (metaError) throw metaError
  return deleteAt
}

/** Swift's check_account_format / check_container_format for names taken from headers (412). */
export function checkNameFormat(name: string | undefined, target: 'Account' | 'Container'): string {
  if (!name) throw new HttpError(412, { body: `${target} name cannot be empty` })
  if (name.includes('/')) throw new HttpError(412, { body: `${target} name cannot contain slashes` })
  return name
}

export function validApiVersion(version: string | undefined, c: Constraints): boolean {
  return version !== undefined && c.validApiVersions.includes(version)
}

/** The listing limit check of the container and account servers: 412 above the maximum. */
export function checkListingLimit(query: URLSearchParams, max: number): void {
  const raw = query.get('limit')
  if (raw === null) return
  // Like the servers, a limit that is not all digits is ignored (the default applies).
  if (!/^\d+$/.test(raw)) return
  if (Number(raw) > max) throw new HttpError(412, { body: `Maximum limit is ${max}` })
}
