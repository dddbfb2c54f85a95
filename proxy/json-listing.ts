// Middleware that hide their bookkeeping in a listing row's hash ("<etag>; slo_etag=...",
// "<etag>; symlink_target=...") rewrite JSON container listings on the way out, as Swift's
// slo and symlink do. This walks the rows once and writes the listing back in Swift's JSON form.
import { pythonJsonDumps } from '../common/python-json.ts'
import type { ProxyContext } from './context.ts'

export type ListingRow = Record<string, unknown>

/**
 * After `next`, when the answer is a JSON listing whose body mentions `marker`, calls `edit`
 * for every row whose hash is a string, with the bare etag and its "k=v" parameters.
 */
export async function rewriteJsonListing(
  ctx: ProxyContext,
  next: () => Promise<void>,
  marker: string,
  edit: (row: ListingRow, etag: string, params: string[]) => void,
): Promise<void> {
  await next()
  if (ctx.status !== 200 || !String(ctx.response.get('Content-Type')).startsWith('application/json')) return
  const body = ctx.body
  // Most pages hold no such row: look for the marker in the bytes, so that a page of 10,000
  // rows passes through without being decoded, parsed and rendered again.
  if (!(Buffer.isBuffer(body) ? body.includes(marker) : typeof body === 'string' && body.includes(marker))) return
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : (body as string)
  let listing: ListingRow[]
  try {
    listing = JSON.parse(text) as ListingRow[]
  } catch {
    return
  }
  for (const row of listing) {
    if (typeof row.hash !== 'string') continue
    const [etag = '', ...params] = row.hash.split(';').map((s) => s.trim())
    edit(row, etag, params)
  }
  ctx.body = pythonJsonDumps(listing)
  ctx.type = 'application/json; charset=utf-8'
}
