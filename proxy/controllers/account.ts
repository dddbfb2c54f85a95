// Account requests (Swift's proxy/controllers/account.py): reads from one account node at a
// time (X-Newest: all), writes to all with a quorum; a missing account reads as an empty one
// when account_autocreate is on, and POST creates it first.
import { checkListingLimit, checkMetadata } from '../../common/constraints-check.ts'
import { HttpError } from '../../common/http/errors.ts'
import { allowsReservedNames } from '../../common/http/split-path.ts'
import { iniBool } from '../../common/config/ini.ts'
import { Timestamp } from '../../common/timestamp.ts'
import type { BackendResult } from '../backend-requests.ts'
import { baseBackendHeaders, readFromNodes, writeToNodes } from '../backend-requests.ts'
import type { ProxyContext } from '../context.ts'
import { accountTarget, autocreateAccount } from '../info-lookup.ts'
import type { ProxyApp } from '../proxy-app.ts'
import { sendResult } from '../respond.ts'
import { transferHeaders } from './request-headers.ts'
import { getListingContentType } from '../../common/listing-format.ts'
import { ACCOUNT_ACL_HEADER, ACCOUNT_ACL_SYSMETA, accountAclHeaderValue } from '../middleware/account-acl.ts'

export function accountMethods(app: ProxyApp): string[] {
  return app.config.allowAccountManagement ? ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'] : ['GET', 'HEAD', 'OPTIONS', 'POST']
}

function checkName(app: ProxyApp, account: string): void {
  const length = Buffer.byteLength(account)
  const max = app.config.constraints.maxAccountNameLength
  if (length > max) throw new HttpError(400, { body: `Account name length of ${length} longer than ${max}` })
}

/** Swift's account_listing_response for an account that does not exist yet. */
function emptyListing(ctx: ProxyContext, account: string): BackendResult {
  const now = Timestamp.now().normal
  const headers = { 'x-account-container-count': '0', 'x-account-object-count': '0', 'x-account-bytes-used': '0', 'x-timestamp': now, 'x-put-timestamp': now }
  const type = getListingContentType(typeof ctx.query.format === 'string' ? ctx.query.format : undefined, ctx.get('Accept') || undefined)
  const format = type === 'application/json' ? 'json' : type === 'text/plain' ? 'plain' : 'xml'
  if (format === 'json') return { status: 200, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from('[]') }
  if (format === 'xml') {
    const escaped = account.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<account name="${escaped}"></account>`
    return { status: 200, headers: { ...headers, 'content-type': 'application/xml; charset=utf-8' }, body: Buffer.from(body) }
  }
  return { status: 204, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.alloc(0) }
}

export async function handleAccount(app: ProxyApp, ctx: ProxyContext, account: string): Promise<void> {
  const method = ctx.method
  if (!accountMethods(app).includes(method)) throw new HttpError(405, { headers: { Allow: accountMethods(app).join(', ') } })
  checkName(app, account)
  if (method === 'GET' || method === 'HEAD') {
    if (method === 'GET') checkListingLimit(new URLSearchParams(ctx.querystring), app.config.constraints.accountListingLimit)
    const headers = baseBackendHeaders(ctx)
    const accept = ctx.get('Accept')
    if (accept) headers.Accept = accept
    if (allowsReservedNames(ctx.req.headers)) headers['X-Backend-Allow-Reserved-Names'] = 'true'
    let r = await readFromNodes(app, ctx, accountTarget(app, account, ctx.querystring), method, headers, iniBool(ctx.get('X-Newest'), false))
    if (r.status === 404) {
      if (String(r.headers['x-account-status'] ?? '').toLowerCase() === 'deleted') r = { ...r, status: 410 }
      else if (app.config.accountAutocreate) r = emptyListing(ctx, account)
    }
    // Swift's add_acls_from_sys_metadata: the owner sees the stored account ACL.
    const acl = ctx.state.swiftOwner === false ? undefined : accountAclHeaderValue(r.headers[ACCOUNT_ACL_SYSMETA] as string | undefined)
    sendResult(ctx, acl ? { ...r, headers: { ...r.headers, [ACCOUNT_ACL_HEADER]: acl } } : r)
    return
  }
  const metaError = checkMetadata(ctx.req.headers, 'account', app.config.constraints)
  if (metaError) throw metaError
  const send = (m: string) => {
    const headers = baseBackendHeaders(ctx, { ...transferHeaders(ctx, 'account'), 'X-Timestamp': Timestamp.now().internal })
    return writeToNodes(app, accountTarget(app, account), m, () => headers)
  }
  let r: BackendResult
  if (method === 'POST') {
    r = await send('POST')
    if (r.status === 404 && app.config.accountAutocreate) {
      await autocreateAccount(app, ctx, account)
      r = await send('POST')
    }
  } else if (method === 'PUT') {
    r = await send('PUT')
  } else if (method === 'DELETE') {
    // Swift refuses a DELETE with a query string, as a guard against mistakes.
    if (ctx.querystring) throw new HttpError(400, { body: 'Bad Request' })
    r = await send('DELETE')
  } else {
    ctx.status = 200
    ctx.set('Allow', accountMethods(app).join(', '))
    ctx.body = Buffer.alloc(0)
    return
  }
  app.infoCache.invalidateAccount(account)
  sendResult(ctx, r)
}
