// Container quotas (Swift's container_quotas middleware): X-Container-Meta-Quota-Bytes and
// X-Container-Meta-Quota-Count cap what a container may hold. Quota values set on a container
// PUT/POST must be digits (400 "Invalid bytes quota." / "Invalid count quota."); an object
// write that would take the container past either answers 413 "Upload exceeds quota.", unless
// the caller could not have written there anyway (then the auth answer, so the container's
// existence does not leak). Copies count the source's size against the destination.
import { HttpError } from '../../common/http/errors.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import { swiftPathOf } from '../request-path.ts'
import { downstreamOf } from '../subrequest.ts'
import { bytesAdded, writeTargetOf } from './quota-copy-source.ts'

const isDigits = (v: string | undefined): v is string => v !== undefined && /^[0-9]+$/.test(v)

export const QUOTA_EXCEEDED_BODY = 'Upload exceeds quota.'

function overQuota(ctx: ProxyContext, account: string, container: string, writeAcl: string | undefined): HttpError {
  const denied = ctx.state.authorize?.({ method: ctx.method, account, container, containerAcl: { write: writeAcl }, referrer: ctx.get('Referer') || undefined })
  return denied ?? new HttpError(413, { body: QUOTA_EXCEEDED_BODY })
}

export function containerQuotas(deps: MiddlewareDeps): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    const p = swiftPathOf(ctx)
    if (!p?.container) return next()
    if (p.object === undefined) {
      if (ctx.method === 'PUT' || ctx.method === 'POST') {
        const bytes = ctx.get('X-Container-Meta-Quota-Bytes')
        if (bytes && !isDigits(bytes)) throw new HttpError(400, { body: 'Invalid bytes quota.' })
        const count = ctx.get('X-Container-Meta-Quota-Count')
        if (count && !isDigits(count)) throw new HttpError(400, { body: 'Invalid count quota.' })
      }
      return next()
    }
    if (ctx.method !== 'PUT' && ctx.method !== 'COPY' && ctx.method !== 'DELETE') return next()
    const target = ctx.method === 'DELETE' ? { account: p.account, container: p.container } : writeTargetOf(ctx, p)
    if (!target || !deps.getContainerInfo) return next()
    const info = await deps.getContainerInfo(ctx, target.account, target.container)
    if (info.status < 200 || info.status >= 300) return next()
    const quotaBytes = info.meta['quota-bytes']
    const quotaCount = info.meta['quota-count']
    if (!isDigits(quotaBytes) && !isDigits(quotaCount)) return next()
    if (ctx.method === 'DELETE') return forgetAfter(next)
    if (isDigits(quotaBytes) && info.bytes !== undefined) {
      const added = await bytesAdded(ctx, downstreamOf(ctx, mw), p)
      if (Number(quotaBytes) < info.bytes + added) throw overQuota(ctx, target.account, target.container, info.writeAcl)
    }
    if (isDigits(quotaCount) && info.objectCount !== undefined && Number(quotaCount) < info.objectCount + 1) {
      throw overQuota(ctx, target.account, target.container, info.writeAcl)
    }
    return forgetAfter(next)

    async function forgetAfter(downstream: () => Promise<void>): Promise<void> {
      try {
        await downstream()
      } finally {
        // The proxy keeps container info across object writes; a capped container's next
        // write must see the counts this one changed.
        deps.forgetContainerInfo?.(target!.account, target!.container)
      }
    }
  }
  return mw
}

export const containerQuotasFactory: MiddlewareFactory = {
  name: 'container-quotas',
  create(_conf, deps) {
    deps.registerInfo?.('container_quotas', {})
    return containerQuotas(deps)
  },
}
