// Account and container listing bodies, byte for byte as Swift renders them
// (swift/common/middleware/listing_formats.py, account/utils.py, container/server.py):
// Python's json.dumps (", " and ": " separators, non-ASCII escaped as \uXXXX), ElementTree's
// XML (declaration with double quotes, its escaping, "<tag />" for empty text) and one name
// per line for text. Shared by both storage servers and the proxy.
import { HttpError } from './http/errors.ts'
import { Timestamp } from './timestamp.ts'

export type ListingContentType = 'text/plain' | 'application/json' | 'application/xml' | 'text/xml'
const OFFERED: readonly ListingContentType[] = ['text/plain', 'application/json', 'application/xml', 'text/xml']
const FORMATS: Record<string, ListingContentType> = { plain: 'text/plain', json: 'application/json', xml: 'application/xml' }

const TOKEN = `[^()<>@,;:\\\\"/\\[\\]?={}\\x00-\\x20\\x7f]+`
const QUOTED = `"(?:[^"\\\\]|(?:\\\\.))*"`
const EXTENSION = `(?:\\s*;\\s*(?:${TOKEN})\\s*=\\s*(?:${TOKEN}|${QUOTED}))`
const ACCEPT_ITEM = new RegExp(`^\\s*(${TOKEN})/(${TOKEN})(${EXTENSION}*?\\s*)$`)

/** Swift's get_listing_content_type: `format=` wins over Accept; 406 / 400 as Swift. */
export function getListingContentType(format: string | null | undefined, accept: string | undefined): ListingContentType {
  const header = format ? (FORMATS[format.toLowerCase()] ?? 'text/plain') : accept
  let match: ListingContentType | undefined
  try {
    match = bestMatch(header)
  } catch {
    throw new HttpError(400, { body: 'Invalid Accept header' })
  }
  if (!match) throw new HttpError(406)
  return match
}

function bestMatch(header: string | undefined): ListingContentType | undefined {
  if (!header) return OFFERED[0]
  const types: { pattern: RegExp; quality: number; exact: boolean }[] = []
  for (const item of header.split(',')) {
    const m = ACCEPT_ITEM.exec(item)
    if (!m) throw new Error('Invalid accept header')
    const [, type, subtype, params] = m as unknown as [string, string, string, string]
    let quality = 1
    let seenQ = false
    for (const param of params.split(';').map((p) => p.trim()).filter(Boolean)) {
      const parts = param.split('=')
      if (parts.length !== 2) throw new Error('bad parameter')
      if (parts[0]!.trim() === 'q') {
        if (seenQ) throw new Error('Multiple "q" params')
        seenQ = true
        quality = parsePythonFloat(parts[1]!.trim())
      }
    }
    const part = (p: string) => (p === '*' ? TOKEN : p.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    types.push({ pattern: new RegExp(`^${part(type)}/${part(subtype)}$`), quality, exact: type !== '*' && subtype !== '*' })
  }
  // Stable sort by quality, then exact before glob, both descending (as Python's sort).
  types.sort((a, b) => b.quality - a.quality || Number(b.exact) - Number(a.exact))
  if (types.length === 0) return OFFERED[0]
  for (const t of types) for (const option of OFFERED) if (t.pattern.test(option)) return option
  return undefined
}

function parsePythonFloat(text: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) && !/^[+-]?(inf|infinity|nan)$/i.test(text)) throw new Error('bad float')
  return Number(text)
}

/** Python's json.dumps with its defaults (ensure_ascii, ", " / ": " separators). */
export function pythonJson(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return asciiJsonString(value)
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value)
  if (Array.isArray(value)) return '[' + value.map(pythonJson).join(', ') + ']'
  const obj = value as Record<string, unknown>
  return '{' + Object.keys(obj).map((k) => `${asciiJsonString(k)}: ${pythonJson(obj[k])}`).join(', ') + '}'
}

// Printable ASCII without '"' and '\\': the string is its own JSON body.
const JSON_SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

function asciiJsonString(s: string): string {
  if (JSON_SAFE.test(s)) return `"${s}"`
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#09;')
}

/** ElementTree writes an element without text or children as "<tag />". */
function textElement(tag: string, text: string): string {
  return text ? `<${tag}>${escapeText(text)}</${tag}>` : `<${tag} />`
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

export interface ObjectListingRecord {
  name: string
  hash: string
  bytes: number
  content_type: string
  last_modified: string
}
export interface ContainerListingRecord {
  name: string
  count: number
  bytes: number
  last_modified: string
}
export type Subdir = { subdir: string }

export function containerToXml(listing: readonly (ObjectListingRecord | Subdir)[], containerName: string): string {
  const parts: string[] = []
  for (const r of listing) {
    if ('subdir' in r) parts.push(`<subdir name="${escapeAttr(r.subdir)}">${textElement('name', r.subdir)}</subdir>`)
    else {
      parts.push(
        '<object>' +
          textElement('name', r.name) +
          textElement('hash', r.hash) +
          textElement('bytes', String(r.bytes)) +
          textElement('content_type', r.content_type) +
          textElement('last_modified', r.last_modified) +
          '</object>',
      )
    }
  }
  const open = `<container name="${escapeAttr(containerName)}"`
  return XML_DECLARATION + (parts.length ? `${open}>${parts.join('')}</container>` : `${open} />`)
}

export function accountToXml(listing: readonly (ContainerListingRecord | Subdir)[], accountName: string): string {
  const parts: string[] = []
  for (const r of listing) {
    if ('subdir' in r) parts.push(`<subdir name="${escapeAttr(r.subdir)}" />\n`)
    else {
      parts.push(
        '<container>' +
          textElement('name', r.name) +
          textElement('count', String(r.count)) +
          textElement('bytes', String(r.bytes)) +
          textElement('last_modified', r.last_modified) +
          '</container>\n',
      )
    }
  }
  return XML_DECLARATION + `<account name="${escapeAttr(accountName)}">\n${parts.join('')}</account>`
}

export function listingToText(listing: readonly ({ name: string } | Subdir)[]): string {
  let out = ''
  for (const r of listing) out += ('name' in r ? r.name : r.subdir) + '\n'
  return out
}

/**
 * pythonJson for listing records, without the generic walk: listings are the hot path
 * (10,000 records a page). Key order is Swift's: objects bytes, hash, name, content_type,
 * last_modified; containers name, count, bytes, last_modified.
 */
function listingJson(listing: readonly (ObjectListingRecord | ContainerListingRecord | Subdir)[]): string {
  const parts = new Array<string>(listing.length)
  for (let i = 0; i < listing.length; i++) {
    const r = listing[i]!
    if ('subdir' in r) parts[i] = subdirJson(r.subdir)
    else if ('hash' in r) parts[i] = objectRecordJson(r)
    else parts[i] = `{"name": ${asciiJsonString(r.name)}, "count": ${r.count}, "bytes": ${r.bytes}, "last_modified": ${asciiJsonString(r.last_modified)}}`
  }
  return jsonListingOf(parts)
}

/** One object row of a JSON listing, exactly as a page has it (container rows store it ready). */
export function objectRecordJson(r: ObjectListingRecord): string {
  return `{"bytes": ${r.bytes}, "hash": ${asciiJsonString(r.hash)}, "name": ${asciiJsonString(r.name)}, "content_type": ${asciiJsonString(r.content_type)}, "last_modified": ${asciiJsonString(r.last_modified)}}`
}

export function subdirJson(subdir: string): string {
  return `{"subdir": ${asciiJsonString(subdir)}}`
}

/** A JSON listing page from its rows' JSON texts. */
function jsonListingOf(rows: readonly string[]): string {
  return '[' + rows.join(', ') + ']'
}

/** Node's Buffer method behind write(s, at, 'latin1'), without write()'s argument handling. */
interface LatinWriter {
  latin1Write(text: string, offset: number): number
}

/**
 * The same page as bytes, each row copied once into one buffer: no joined string to build and
 * encode again. The rows must be ASCII, as Python's json.dumps (ensure_ascii) and so
 * objectRecordJson and subdirJson write them: a character is then a byte.
 */
export function jsonListingBytes(rows: readonly string[]): Buffer {
  let length = 2 + 2 * Math.max(0, rows.length - 1)
  for (const row of rows) length += row.length
  const out = Buffer.allocUnsafe(length) as Buffer & LatinWriter
  out[0] = 0x5b // [
  let at = 1
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) {
      out[at++] = 0x2c // ,
      out[at++] = 0x20
    }
    at += out.latin1Write(rows[i]!, at)
  }
  out[at] = 0x5d // ]
  return out
}

/** The body of a listing in the negotiated format. */
export function renderListing(
  contentType: ListingContentType,
  listing: readonly (ObjectListingRecord | Subdir)[] | readonly (ContainerListingRecord | Subdir)[],
  kind: 'container' | 'account',
  name: string,
): string {
  if (contentType.endsWith('/xml')) {
    return kind === 'container'
      ? containerToXml(listing as (ObjectListingRecord | Subdir)[], name)
      : accountToXml(listing as (ContainerListingRecord | Subdir)[], name)
  }
  if (contentType.endsWith('/json')) return listingJson(listing)
  return listingToText(listing as ({ name: string } | Subdir)[])
}

let cachedSecond = -1
let cachedDate = ''
/**
 * Timestamp.parse(t).isoformat for a stored normal/internal timestamp, without the parse:
 * listings format 10,000 of them a page, mostly within a few seconds of each other.
 */
export function listingIsoformat(timestamp: string): string {
  const m = /^(\d{10})\.(\d{5})(?:_|$)/.exec(timestamp)
  if (!m) return Timestamp.parse(timestamp).isoformat
  const second = Number(m[1])
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedDate = new Date(second * 1000).toISOString().slice(0, 19)
  }
  return `${cachedDate}.${m[2]}0`
}
