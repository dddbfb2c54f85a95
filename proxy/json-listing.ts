// Middleware that hide their bookkeeping in a listing row's hash ("<etag>; slo_etag=...",
// "<etag>; symlink_target=...") rewrite JSON container listings on the way out, as Swift's
// slo and symlink do. This walks the rows once and writes the listing back in Swift's JSON form.
import { pythonJsonDumps } from '../common/python-json.ts'
import type { ProxyContext } from './context.ts'

export type ListingRow = Record<string, unknown>

/**
 * Whether a listing body may hold `text`: a hash parameter's name (slo_etag, symlink_target)
 * or a key a middleware derives from one (symlink_path). Bytes are the container server's page
 * as it came, where every row a middleware rewrites still carries "k=v" in its hash: a page
 * without any '=' (most pages) is ruled out by one memchr. A substring search of a 1.7 MB page
 * of 10,000 rows costs ~0.9 ms, and three middleware made it the largest item of the proxy's
 * CPU per listing page. Text was already rewritten by a middleware (its '=' may be gone), and
 * a body that is neither may hold anything.
 */
export function listingMentions(body: unknown, text: string): boolean {
  if (Buffer.isBuffer(body)) return body.indexOf(0x3d) !== -1 && body.includes(text)
  return typeof body === 'string' ? body.includes(text) : true
}

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
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return
  if (!listingMentions(body, marker)) return
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
