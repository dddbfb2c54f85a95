// The listing walk shared by container (objects) and account (containers) listings, with
// Swift's semantics (ContainerBroker.list_objects_iter / AccountBroker.list_containers_iter):
// marker, end_marker, prefix, delimiter (subdir entries), path, reverse, limit.
//
// Cost: O(limit) whatever the size of the database. The cursor starts at the marker (one
// seek), and a delimiter skips a whole "subdirectory" with one seek past prefix+delimiter,
// where SQLite re-runs a query; tombstones live outside the listing range (keys.ts), so they
// are never stepped over.

import { prefixEnd } from './keys.ts'
import { splitTextRecord } from './records.ts'

/** Names compare as UTF-8 bytes (SQLite BINARY collation), which is code point order. */
function cmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Python's s[:-1] + chr(ord(s[-1]) + 1), over code points. */
export function incrementLast(s: string): string {
  const chars = [...s]
  const last = chars.pop()!
  return chars.join('') + String.fromCodePoint(last.codePointAt(0)! + 1)
}

export interface ListingParams {
  limit: number
  marker?: string | undefined
  endMarker?: string | undefined
  prefix?: string | undefined
  delimiter?: string | undefined
  /** Container listings only: prefix = path + '/', delimiter '/', no subdir entries. */
  path?: string | undefined
  reverse?: boolean | undefined
  /** Swift's allow_reserved: include names in the reserved namespace (starting with NUL). */
  allowReserved?: boolean | undefined
}

/** A listing entry's text: the row's name, a NUL, then whatever the source stores. */
export interface ListingCursor {
  next(): string | undefined
  seek(target: Buffer): void
  close(): void
}

/** Rows per native read: `first` at the start, growing up to `max` (see KvTextCursor). */
export interface ListingBatch {
  first: number
  max: number
}

export interface ListingSource {
  /** Key prefix of the listing range (type byte, database id, maybe policy). */
  readonly base: Buffer
  open(range: { gt?: Buffer; gte?: Buffer; lt?: Buffer; reverse: boolean }, batch: ListingBatch): ListingCursor
}

/** The most rows one native read returns: a whole page of the largest limit, and one more. */
const MAX_BATCH = 10_001

/** `value` is the entry's text after the name and its NUL. */
export type ListingItem = { kind: 'row'; name: string; value: string } | { kind: 'subdir'; name: string }

/** Receives a page in order: each row's whole entry text (name, NUL, stored fields), or a subdir. */
export interface ListingVisitor {
  row(text: string): void
  subdir(name: string): void
}

export function walkListing(source: ListingSource, params: ListingParams): ListingItem[] {
  const out: ListingItem[] = []
  visitListing(source, params, {
    row: (text) => {
      const { name, value } = splitTextRecord(text)
      out.push({ kind: 'row', name, value })
    },
    subdir: (name) => out.push({ kind: 'subdir', name }),
  })
  return out
}

/**
 * The walk itself, handing each entry to `visit` as it is read: no object per row, and without
 * a delimiter a row's text goes out without even its name being split off (a JSON page only
 * needs the stored JSON at the entry's end).
 */
export function visitListing(source: ListingSource, params: ListingParams, visit: ListingVisitor): void {
  const key = (name: string) => Buffer.concat([source.base, Buffer.from(name, 'utf8')])
  const reverse = params.reverse ?? false
  let marker = reverse ? params.endMarker : params.marker
  let endMarker = reverse ? params.marker : params.endMarker
  let prefix = params.prefix
  let delimiter = params.delimiter
  let path = params.path
  if (path !== undefined) {
    prefix = path ? (path = path.replace(/\/+$/, '') + '/') : path
    delimiter = '/'
  } else if (delimiter && !prefix) {
    prefix = ''
  }
  const endPrefix = prefix ? incrementLast(prefix) : undefined
  const origMarker = marker

  // Bounds of the first query, as Swift builds them.
  const range: { gt?: Buffer; gte?: Buffer; lt?: Buffer; reverse: boolean } = { reverse }
  if (endMarker && (!prefix || cmp(endMarker, endPrefix!) < 0)) range.lt = key(endMarker)
  else if (prefix) range.lt = key(endPrefix!)
  else range.lt = prefixEnd(source.base)
  if (marker && (!prefix || cmp(marker, prefix) >= 0)) range.gt = key(marker)
  else if (prefix) range.gte = key(prefix)
  else range.gte = source.base
  if (!params.allowReserved) {
    // Reserved names start with NUL: the listing begins at "\x01" at the earliest.
    const first = key('\x01')
    const lower = range.gt ?? range.gte
    if (!lower || Buffer.compare(lower, first) < 0) {
      delete range.gt
      range.gte = first
    }
  }

  const limit = params.limit
  if (limit <= 0) return
  let count = 0
  // Without a delimiter every row read is on the page: read them all at once. With one, a
  // row may start a subdirectory that is skipped with a seek: start small and grow.
  const max = Math.min(limit + 1, MAX_BATCH)
  const cursor = source.open(range, { first: prefix === undefined || !delimiter ? max : 1, max })
  // After a skip, the next query is "name > X" (forward path mode, reverse): a row equal to
  // X must be passed over.
  let skipEqual: string | undefined
  try {
    if (prefix === undefined || !delimiter) {
      // No subdirectories: every entry in the range is a row of the page (no seek, no skip).
      while (count < limit) {
        const text = cursor.next()
        if (text === undefined) break
        visit.row(text)
        count++
      }
      return
    }
    while (count < limit) {
      const text = cursor.next()
      if (text === undefined) break
      const name = splitTextRecord(text).name
      if (skipEqual !== undefined) {
        const equal = name === skipEqual
        skipEqual = undefined
        if (equal) continue
      }
      const end = name.indexOf(delimiter, prefix.length)
      if (path !== undefined) {
        if (name === path) continue
        if (end >= 0 && name.length > end + delimiter.length) {
          skipTo(name, end, delimiter, false)
          continue
        }
      } else if (end >= 0) {
        const dirName = name.slice(0, end + delimiter.length)
        if (dirName !== origMarker) {
          visit.subdir(dirName)
          count++
        }
        skipTo(name, end, delimiter, true)
        continue
      }
      visit.row(text)
      count++
    }
  } finally {
    cursor.close()
  }

  function skipTo(name: string, end: number, delim: string, inclusive: boolean): void {
    if (reverse) {
      // Next rows are < name[:end+len(delim)]; seek-for-prev lands on it when it exists.
      const target = name.slice(0, end + delim.length)
      cursor.seek(key(target))
      skipEqual = target
    } else {
      const target = name.slice(0, end) + incrementLast(delim)
      cursor.seek(key(target))
      if (!inclusive) skipEqual = target
    }
  }
}
