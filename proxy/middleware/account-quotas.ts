// Account quotas (Swift's account_quotas middleware): X-Account-Meta-Quota-Bytes caps the
// bytes an account holds. Only a reseller admin may set or remove it (others get 403; a
// non-digit value from a reseller is 400). An object write that would take the account past
// the quota answers 413 "Upload exceeds quota." -- through the authorize callback when there
// is one, so callers who may not write there get the auth answer instead.
import { HttpError } from '../../common/http/errors.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyMiddleware } from '../context.ts'
import { swiftPathOf } from '../request-path.ts'
import { downstreamOf } from '../subrequest.ts'
import { QUOTA_EXCEEDED_BODY } from './container-quotas.ts'
import { bytesAdded } from './quota-copy-source.ts'

export function accountQuotas(deps: MiddlewareDeps): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    if (ctx.method !== 'POST' && ctx.method !== 'PUT' && ctx.method !== 'COPY') return next()
    const p = swiftPathOf(ctx)
    if (!p) return next()
    if (ctx.method !== 'COPY') {
      let newQuota: string | undefined
      if (!p.container) {
        newQuota = ctx.req.headers['x-account-meta-quota-bytes'] as string | undefined
        if (ctx.get('X-Remove-Account-Meta-Quota-Bytes')) newQuota = '0'
      }
      if (ctx.state.resellerRequest === true) {
        if (newQuota && !/^[0-9]+$/.test(newQuota)) throw new HttpError(400)
        return next()
      }
      if (newQuota !== undefined) throw new HttpError(403)
      if (ctx.method === 'POST' || p.object === undefined) return next()
    } else if (p.object === undefined) return next()
    const account = ctx.method === 'COPY' ? ctx.get('Destination-Account') || p.account : p.account
    const info = await deps.getAccountInfo?.(ctx, account)
    if (!info || info.status < 200 || info.status >= 300) return next()
    const raw = info.meta['quota-bytes']
    if (raw === undefined || !/^-?[0-9]+$/.test(raw.trim())) return next()
    const quota = Number(raw)
    if (quota < 0) return next()
    const added = await bytesAdded(ctx, downstreamOf(ctx, mw), p)
    if (quota >= info.bytes + added) return next()
    const rejection = new HttpError(413, { body: QUOTA_EXCEEDED_BODY })
    const authorize = ctx.state.authorize
    if (!authorize) throw rejection
    // Reads made on the way (a copy's source) are not the upload.
    ctx.state.authorize = (target) => authorize(target) ?? (target.method === 'GET' || target.method === 'HEAD' ? undefined : rejection)
    return next()
  }
  return mw
}

export const accountQuotasFactory: MiddlewareFactory = {
  name: 'account-quotas',
  create(_conf, deps) {
    deps.registerInfo?.('account_quotas', {})
    return accountQuotas(deps)
  },
}
