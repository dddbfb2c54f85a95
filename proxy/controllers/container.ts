// Container requests (Swift's proxy/controllers/container.py): reads from one container node
// at a time (X-Newest: all) with the read ACL checked on the answer; PUT/POST/DELETE to all
// replicas with a quorum, PUT and DELETE telling each container server which account
// servers to update (X-Account-Host/-Partition/-Device). A PUT into a missing account creates
// it first when account_autocreate is on.
import { cleanContainerAclHeaders } from '../middleware/acl.ts'
import type { OutgoingHttpHeaders } from 'node:http'
import { checkListingLimit, checkMetadata } from '../../common/constraints-check.ts'
import { HttpError } from '../../common/http/errors.ts'
import { allowsReservedNames } from '../../common/http/split-path.ts'
import { iniBool } from '../../common/config/ini.ts'
import { Timestamp } from '../../common/timestamp.ts'
import { baseBackendHeaders, readFromNodes, writeToNodes } from '../backend-requests.ts'
import type { ProxyContext } from '../context.ts'
import { InfoCache } from '../info-cache.ts'
import { accountTarget, autocreateAccount, containerInfoFrom, containerTarget, getAccountInfo, isSuccess, spreadUpdates } from '../info-lookup.ts'
import type { ProxyApp } from '../proxy-app.ts'
import { sendResult } from '../respond.ts'
import { transferHeaders } from './request-headers.ts'

export const CONTAINER_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']

function authorizeOrThrow(ctx: ProxyContext, account: string, container: string, acl?: { read?: string | undefined; write?: string | undefined }): void {
  const denial = ctx.state.authorize?.({ method: ctx.method, account, container, containerAcl: acl, referrer: ctx.get('Referer') || undefined })
  if (denial) throw denial
}

async function accountExists(app: ProxyApp, ctx: ProxyContext, account: string, autocreate: boolean): Promise<boolean> {
  let info = await getAccountInfo(app, ctx, account)
  if (isSuccess(info.status)) return true
  if (!autocreate || !app.config.accountAutocreate || info.status >= 500) return false
  if (!(await autocreateAccount(app, ctx, account))) return false
  info = await getAccountInfo(app, ctx, account)
  return isSuccess(info.status)
}

function checkPolicy(ctx: ProxyContext): OutgoingHttpHeaders {
  const policy = ctx.get('X-Storage-Policy')
  if (!policy) return { 'X-Backend-Storage-Policy-Default': '0' }
  if (policy.toLowerCase() !== 'policy-0') throw new HttpError(400, { body: `Invalid X-Storage-Policy '${policy}'`, headers: { 'Content-Type': 'text/plain' } })
  return { 'X-Backend-Storage-Policy-Index': '0' }
}

export async function handleContainer(app: ProxyApp, ctx: ProxyContext, account: string, container: string): Promise<void> {
  const method = ctx.method
  if (!CONTAINER_METHODS.includes(method)) throw new HttpError(405, { headers: { Allow: CONTAINER_METHODS.join(', ') } })
  const c = app.config.constraints
  const cacheKey = InfoCache.containerKey(account, container)

  if (method === 'GET' || method === 'HEAD') {
    if (method === 'GET') checkListingLimit(new URLSearchParams(ctx.querystring), c.containerListingLimit)
    const autoAccount = account.startsWith(app.config.autoCreateAccountPrefix)
    if (!autoAccount && !isSuccess((await getAccountInfo(app, ctx, account)).status)) {
      authorizeOrThrow(ctx, account, container)
      throw new HttpError(404)
    }
    const headers = baseBackendHeaders(ctx)
    const accept = ctx.get('Accept')
    if (accept) headers.Accept = accept
    if (allowsReservedNames(ctx.req.headers)) headers['X-Backend-Allow-Reserved-Names'] = 'true'
    const r = await readFromNodes(app, ctx, containerTarget(app, account, container, ctx.querystring), method, headers, iniBool(ctx.get('X-Newest'), false))
    const info = containerInfoFrom(r.status, r.headers)
    app.infoCache.containers.set(cacheKey, info)
    authorizeOrThrow(ctx, account, container, { read: info.readAcl, write: info.writeAcl })
    sendResult(ctx, r)
    return
  }
  if (method === 'OPTIONS') {
    ctx.status = 200
    ctx.set('Allow', CONTAINER_METHODS.join(', '))
    ctx.body = Buffer.alloc(0)
    return
  }

  if (method === 'PUT' || method === 'POST') {
    const length = Buffer.byteLength(container)
    if (method === 'PUT' && length > c.maxContainerNameLength) {
      throw new HttpError(400, { body: `Container name length of ${length} longer than ${c.maxContainerNameLength}` })
    }
    const metaError = checkMetadata(ctx.req.headers, 'container', c)
    if (metaError) throw metaError
  }
  // Swift's clean_acls: X-Container-Read/-Write normalised, a malformed one answers 400.
  const cleanedAcls = method === 'PUT' || method === 'POST' ? cleanContainerAclHeaders(ctx.req.headers) : {}
  const policyHeaders = method === 'PUT' ? checkPolicy(ctx) : {}

  if (!(await accountExists(app, ctx, account, method === 'PUT'))) throw new HttpError(404)
  if (method === 'PUT' && app.config.maxContainersPerAccount > 0 && !app.config.maxContainersWhitelist.includes(account)) {
    const info = await getAccountInfo(app, ctx, account)
    if (info.containerCount >= app.config.maxContainersPerAccount) {
      throw new HttpError(403, { body: `Reached container limit of ${app.config.maxContainersPerAccount}` })
    }
  }

  const target = containerTarget(app, account, container)
  const common = baseBackendHeaders(ctx, { ...transferHeaders(ctx, 'container'), ...(ctx.state.swiftOwner === false ? {} : cleanedAcls), ...policyHeaders, 'X-Timestamp': Timestamp.now().internal })
  let headersFor: (i: number) => OutgoingHttpHeaders = () => common
  if (method === 'PUT' || method === 'DELETE') {
    const acct = accountTarget(app, account)
    const spread = spreadUpdates(target.primaries.length, acct.primaries, acct.primaries.length)
    headersFor = (i) => {
      const slot = spread[i]
      if (!slot || slot.hosts.length === 0) return common
      return { ...common, 'X-Account-Partition': String(acct.part), 'X-Account-Host': slot.hosts.join(','), 'X-Account-Device': slot.devices.join(',') }
    }
  }
  let r = await writeToNodes(app, target, method, headersFor)
  app.infoCache.invalidateContainer(account, container)
  // A DELETE of a container no replica knew is a 404 to the client (the servers say 202... or 404).
  if (method === 'DELETE' && r.status === 202) r = { status: 404, headers: {}, body: Buffer.alloc(0) }
  sendResult(ctx, r)
}
