// Range requests as Swift's swob serves them (swob.Range, Response._prepare_for_ranges,
// multi_range_iterator): syntactically bad headers are ignored, unsatisfiable sets answer 416,
// "egregious" sets (too many, overlapping, out of order) too, and several ranges come back as
// multipart/byteranges with a 32-hex-digit boundary.
import { randomBytes } from 'node:crypto'

/** [start, end] as written in the header; either may be absent (suffix / open-ended). */
export type RangeSpec = readonly [start: number | undefined, end: number | undefined]
/** Half-open byte range [start, end). */
export type ByteRange = readonly [start: number, end: number]

const MAX_RANGES = 50
const MAX_RANGE_OVERLAPS = 2
const MAX_NONASCENDING_RANGES = 8

/** Parses a Range header; undefined when it must be ignored (RFC 7233: invalid means ignore). */
export function parseRange(header: string | undefined): RangeSpec[] | undefined {
  if (!header) return undefined
  const value = header.replaceAll(' ', '')
  if (!value.toLowerCase().startsWith('bytes=')) return undefined
  const out: RangeSpec[] = []
  for (const part of value.slice(6).split(',')) {
    const dash = part.indexOf('-')
    if (dash < 0) return undefined
    const a = part.slice(0, dash)
    const b = part.slice(dash + 1)
    let start: number | undefined
    let end: number | undefined
    if (a) {
      if (!/^\d+$/.test(a)) return undefined
      start = Number(a)
    }
    if (b) {
      if (!/^\d+$/.test(b)) return undefined
      end = Number(b)
      if (start !== undefined && end < start) return undefined
    } else if (start === undefined) {
      return undefined
    }
    out.push([start, end])
  }
  return out.length ? out : undefined
}

/** The satisfiable ranges for a body of `length` bytes; [] means 416. */
export function rangesForLength(specs: readonly RangeSpec[], length: number): ByteRange[] {
  const all: ByteRange[] = []
  for (const [begin, end] of specs) {
    if (begin === undefined) {
      if (end === 0 || end === undefined) continue
      all.push(end > length ? [0, length] : [length - end, length])
    } else if (begin < length) {
      all.push([begin, end === undefined ? length : Math.min(end + 1, length)])
    }
  }
  if (all.length > MAX_RANGES) return []
  let overlaps = 0
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [s1, e1] = all[i]!
      const [s2, e2] = all[j]!
      if ((s1 < s2 && s2 < e1) || (s1 < e2 && e2 < e1) || (s2 < s1 && s1 < e2) || (s2 < e1 && e1 < e2)) {
        if (++overlaps > MAX_RANGE_OVERLAPS) return []
      }
    }
  }
  let ascending = true
  for (let i = 1; i < all.length; i++) {
    const [s1, e1] = all[i - 1]!
    const [s2, e2] = all[i]!
    // Python compares the (start, end) tuples.
    if (s1 > s2 || (s1 === s2 && e1 > e2)) {
      ascending = false
      break
    }
  }
  if (!ascending && all.length >= MAX_NONASCENDING_RANGES) return []
  return all
}

export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end - 1}/${size}`
}

export interface MultipartPart {
  /** "--boundary\r\nContent-Type: ...\r\nContent-Range: ...\r\n\r\n" (preceded by CRLF after the first part). */
  readonly head: Buffer
  readonly start: number
  readonly end: number
}

export interface MultipartLayout {
  readonly contentType: string
  readonly boundary: string
  readonly parts: readonly MultipartPart[]
  /** "\r\n--boundary--" */
  readonly tail: Buffer
  readonly length: number
}

/** Lays out a multipart/byteranges body; the caller writes head, bytes, head, bytes, ..., tail. */
export function multipartByteranges(ranges: readonly ByteRange[], partContentType: string, size: number, boundary = randomBytes(16).toString('hex')): MultipartLayout {
  let length = 0
  const parts = ranges.map(([start, end], i) => {
    const head = Buffer.from(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${partContentType}\r\nContent-Range: ${contentRange(start, end, size)}\r\n\r\n`,
      'utf8',
    )
    length += head.length + (end - start)
    return { head, start, end }
  })
  const tail = Buffer.from(`\r\n--${boundary}--`, 'utf8')
  length += tail.length
  return { contentType: `multipart/byteranges;boundary=${boundary}`, boundary, parts, tail, length }
}
