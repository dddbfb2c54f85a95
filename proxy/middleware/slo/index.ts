// Static Large Objects (Swift's slo middleware): ?multipart-manifest=put stores a checked
// manifest, GET/HEAD of a manifest answers the concatenated segments, ?multipart-manifest=get
// shows the manifest and =delete removes it with its segments. JSON container listings show
// a manifest's slo_etag apart from its hash. Place it after auth, before dlo.
import { HttpError } from '../../../common/http/errors.ts'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../../context.ts'
import { rewriteJsonListing } from '../../json-listing.ts'
import { swiftPathOf } from '../../request-path.ts'
import { downstreamOf, withSysmeta } from '../../subrequest.ts'
import type { SloConfig } from './config.ts'
import { parseSloConfig } from './config.ts'
import { deleteManifest } from './delete.ts'
import { getOrHead } from './get.ts'
import { putManifest } from './put.ts'

/** Splits "md5; slo_etag=X" container-listing hashes as Swift's handle_container_listing. */
function rewriteListing(ctx: ProxyContext, next: () => Promise<void>): Promise<void> {
  return rewriteJsonListing(ctx, next, 'slo_etag', (row, etag, params) => {
    const kept: string[] = []
    for (const param of params) {
      const [k, v] = param.split('=', 2)
      if (k === 'slo_etag') row.slo_etag = `"${v}"`
      else kept.push(param)
    }
    row.hash = etag + kept.map((p) => `; ${p}`).join('')
  })
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
