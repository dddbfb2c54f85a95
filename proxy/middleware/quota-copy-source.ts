// The size a copying write adds (Swift's quota middleware see a COPY, or a PUT with
// X-Copy-From, after the copy middleware turned it into a PUT carrying the source's length;
// in Tern the proxy controller copies, so the quotas look the source up themselves).
import type { ProxyContext } from '../context.ts'
import type { SwiftPath } from '../request-path.ts'
import type { Downstream } from '../subrequest.ts'
import { quoteSwiftPath, subrequest } from '../subrequest.ts'

/** "/container/object" of the copy source, or undefined when the request copies nothing. */
function copySourceOf(ctx: ProxyContext, p: SwiftPath): { account: string; path: string } | undefined {
  if (ctx.method === 'COPY') return p.container && p.object ? { account: p.account, path: `${p.container}/${p.object}` } : undefined
  const from = ctx.get('X-Copy-From')
  if (!from) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(from)
  } catch {
    return undefined
  }
  const account = ctx.get('X-Copy-From-Account') || p.account
  return { account, path: decoded.replace(/^\/+/, '') }
}

/** The container and object a write lands in (COPY writes to its Destination). */
export function writeTargetOf(ctx: ProxyContext, p: SwiftPath): { account: string; container: string } | undefined {
  if (ctx.method !== 'COPY') return p.container && p.object ? { account: p.account, container: p.container } : undefined
  const dest = ctx.get('Destination')
  if (!dest) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(dest)
  } catch {
    return undefined
  }
  const container = decoded.replace(/^\/+/, '').split('/')[0]
  if (!container) return undefined
  return { account: ctx.get('Destination-Account') || p.account, container }
}

/** Bytes the write adds: the source's length for copies, else Content-Length (0 when unknown). */
export async function bytesAdded(ctx: ProxyContext, downstream: Downstream, p: SwiftPath): Promise<number> {
  const source = copySourceOf(ctx, p)
  if (!source) {
    const length = Number(ctx.get('Content-Length'))
    return Number.isFinite(length) && length > 0 ? length : 0
  }
  const res = await subrequest(ctx, downstream, { method: 'HEAD', path: `/v1/${quoteSwiftPath(source.account)}/${quoteSwiftPath(source.path)}` })
  res.discard()
  const length = Number(res.headers['content-length'])
  return res.status >= 200 && res.status < 300 && Number.isFinite(length) ? length : 0
}
