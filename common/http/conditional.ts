// Conditional requests as Swift's swob answers them (Response._get_conditional_response_status):
// If-None-Match then If-Match against the ETag, If-Match: * on a missing object, then
// If-Modified-Since / If-Unmodified-Since against Last-Modified (whole seconds).
import type { IncomingHttpHeaders } from 'node:http'

/** Swift's Match: comma-separated tags, quotes stripped; "*" matches anything. */
export function parseEtagList(header: string | string[] | undefined): Set<string> | undefined {
  if (header === undefined) return undefined
  const text = Array.isArray(header) ? header.join(',') : header
  const tags = new Set<string>()
  for (const raw of text.split(',')) {
    const tag = raw.trim()
    if (tag) tags.add(normalizeEtag(tag))
  }
  return tags
}

export function normalizeEtag(tag: string): string {
  return tag.length > 1 && tag.startsWith('"') && tag.endsWith('"') ? tag.slice(1, -1) : tag
}

function matches(tags: Set<string>, etag: string): boolean {
  return tags.has('*') || tags.has(normalizeEtag(etag))
}

/** Seconds since the epoch of an HTTP date, or undefined when it does not parse (then it is ignored). */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (!value) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000)
}

export interface ConditionalTarget {
  /** The entity's ETag (unquoted), or undefined when there is no entity. */
  readonly etag: string | undefined
  /** Last-Modified in whole seconds, when there is one. */
  readonly lastModified: number | undefined
  readonly status: number
}

/** 304, 412 or undefined (serve normally). */
export function conditionalStatus(headers: IncomingHttpHeaders, target: ConditionalTarget): 304 | 412 | undefined {
  const ifNoneMatch = parseEtagList(headers['if-none-match'])
  const ifMatch = parseEtagList(headers['if-match'])
  if (target.etag && ifNoneMatch?.size && matches(ifNoneMatch, target.etag)) return 304
  if (target.etag && ifMatch?.size && !matches(ifMatch, target.etag)) return 412
  if (target.status === 404 && ifMatch?.has('*')) return 412
  if (target.lastModified !== undefined) {
    const since = parseHttpDate(headers['if-modified-since'])
    if (since !== undefined && target.lastModified <= since) return 304
    const unmodified = parseHttpDate(headers['if-unmodified-since'])
    if (unmodified !== undefined && target.lastModified > unmodified) return 412
  }
  return undefined
}
