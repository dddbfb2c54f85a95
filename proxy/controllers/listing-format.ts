// The listing format a request asks for (Swift's get_listing_content_type): the `format`
// query parameter, else the Accept header; plain text by default.
import type { ProxyContext } from '../context.ts'

export type ListingFormat = 'json' | 'xml' | 'plain'

export function listingFormat(ctx: ProxyContext): ListingFormat {
  const format = ctx.query.format
  const f = (Array.isArray(format) ? format[0] : format)?.toLowerCase()
  if (f === 'json') return 'json'
  if (f === 'xml') return 'xml'
  if (f === 'plain' || f === 'text') return 'plain'
  const accept = ctx.accepts('text/plain', 'application/json', 'application/xml', 'text/xml')
  if (accept === 'application/json') return 'json'
  if (accept === 'application/xml' || accept === 'text/xml') return 'xml'
  return 'plain'
}
