// Static Large Objects (Swift's slo middleware): ?multipart-manifest=put stores a checked
// manifest, GET/HEAD of a manifest answers the concatenated segments, ?multipart-manifest=get
// shows the manifest and =delete removes it with its segments. JSON container listings show
// a manifest's slo_etag apart from its hash. Place it after auth, before dlo.
import { HttpError } from '../../../common/http/errors.ts'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../../context.ts'
import { swiftPathOf } from '../../request-path.ts'
import { downstreamOf, withSysmeta } from '../../subrequest.ts'
import type { SloConfig } from './config.ts'
import { parseSloConfig } from './config.ts'
import { deleteManifest } from './delete.ts'
import { getOrHead } from './get.ts'
import { putManifest } from './put.ts'

/** Splits "md5; slo_etag=X" container-listing hashes as Swift's handle_container_listing. */
async function rewriteListing(ctx: ProxyContext, next: () => Promise<void>): Promise<void> {
  await next()
  if (ctx.status !== 200 || !String(ctx.response.get('Content-Type')).startsWith('application/json')) return
  const body = ctx.body
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined
  if (text === undefined || !text.includes('slo_etag')) return
  let listing: Record<string, unknown>[]
  try {
    listing = JSON.parse(text) as Record<string, unknown>[]
  } catch {
    return
  }
  for (const item of listing) {
    if (typeof item.hash !== 'string') continue
    const [etag = '', ...params] = item.hash.split(';').map((s) => s.trim())
    const kept: string[] = []
    for (const param of params) {
      const [k, v] = param.split('=', 2)
      if (k === 'slo_etag') item.slo_etag = `"${v}"`
      else kept.push(param)
    }
    item.hash = etag + kept.map((p) => `; ${p}`).join('')
  }
  ctx.body = JSON.stringify(listing)
}

export function staticLargeObject(config: SloConfig): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    const p = swiftPathOf(ctx)
    if (!p || p.container === undefined) return next()
    if (p.object === undefined) return ctx.method === 'GET' ? rewriteListing(ctx, next) : next()
    const downstream = downstreamOf(ctx, mw)
    const mode = ctx.query['multipart-manifest']
    const target = { account: p.account, container: p.container, object: p.object }
    if (ctx.method === 'PUT' && mode === 'put') return withSysmeta(ctx, () => putManifest(ctx, downstream, config, { account: p.account, path: p.decoded }))
    if (ctx.method === 'DELETE' && mode === 'delete') return deleteManifest(ctx, downstream, config, target)
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return withSysmeta(ctx, () => getOrHead(ctx, next, downstream, p.account))
    if (ctx.get('X-Static-Large-Object')) {
      throw new HttpError(400, { body: 'X-Static-Large-Object is a reserved header. To create a static large object add query param multipart-manifest=put.' })
    }
    return next()
  }
  return mw
}

export const sloFactory: MiddlewareFactory = {
  name: 'slo',
  create(conf, deps) {
    const config = parseSloConfig(conf)
    deps.registerInfo?.('slo', {
      max_manifest_segments: config.maxManifestSegments,
      max_manifest_size: config.maxManifestSize,
      yield_frequency: config.yieldFrequency,
      min_segment_size: 1,
      allow_async_delete: false,
    })
    return staticLargeObject(config)
  },
}
