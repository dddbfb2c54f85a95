// GET /info (Swift's proxy/controllers/info.py): the cluster's capabilities as JSON; with
// swiftinfo_sig/swiftinfo_expires signed by admin_key, the admin sections as well.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { HttpError } from '../../common/http/errors.ts'
import type { ProxyContext } from '../context.ts'
import type { ProxyApp } from '../proxy-app.ts'

const INFO_METHODS = ['GET', 'HEAD', 'OPTIONS']

function validSignature(app: ProxyApp, ctx: ProxyContext, sig: string, expires: string): boolean {
  const key = app.config.adminKey
  if (!key || !/^\d+$/.test(expires) || Number(expires) < Date.now() / 1000) return false
  const want = createHmac('sha1', key).update(`${ctx.method}\n${expires}\n/info`).digest('hex')
  return sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want))
}

export function handleInfo(app: ProxyApp, ctx: ProxyContext): void {
  if (!INFO_METHODS.includes(ctx.method)) throw new HttpError(405, { headers: { Allow: INFO_METHODS.join(', ') } })
  if (!app.config.exposeInfo) throw new HttpError(403)
  if (ctx.method === 'OPTIONS') {
    ctx.status = 200
    ctx.set('Allow', INFO_METHODS.join(', '))
    ctx.body = Buffer.alloc(0)
    return
  }
  const sig = typeof ctx.query.swiftinfo_sig === 'string' ? ctx.query.swiftinfo_sig : undefined
  const expires = typeof ctx.query.swiftinfo_expires === 'string' ? ctx.query.swiftinfo_expires : ''
  let info: Record<string, unknown> = app.info.publicInfo(app.config.disallowedSections)
  if (sig !== undefined) {
    if (!validSignature(app, ctx, sig, expires)) throw new HttpError(401)
    info = { ...info, admin: app.info.adminInfo(app.config.disallowedSections) }
  }
  ctx.status = 200
  ctx.type = 'application/json; charset=UTF-8'
  ctx.body = JSON.stringify(info)
}
