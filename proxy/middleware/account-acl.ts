// Account ACLs (X-Account-Access-Control) as Swift's tempauth keeps them: a v2 (JSON) ACL with
// the keys "admin", "read-write" and "read-only", each a list of user or group names. A
// client's header is checked (400 with tempauth's reason and the input) and stored as the
// account sysmeta core-access-control; the account's owners see it back as
// X-Account-Access-Control. Grants: admin = owner of the account (swift_owner), read-write =
// anything in its containers plus reading the account, read-only = GET and HEAD.
import { HttpError } from '../../common/http/errors.ts'
import type { ProxyContext } from '../context.ts'
import { formatAclV2, parseAclV2, pyRepr, pythonJsonDumps } from './acl.ts'

export const ACCOUNT_ACL_HEADER = 'x-account-access-control'
/** Swift's get_sys_meta_prefix('account') + 'core-access-control'. */
export const ACCOUNT_ACL_SYSMETA = 'x-account-sysmeta-core-access-control'
const KEYS = ['admin', 'read-write', 'read-only'] as const

export interface AccountAcls {
  readonly admin: readonly string[]
  readonly readWrite: readonly string[]
  readonly readOnly: readonly string[]
}

/** Why tempauth refuses an X-Account-Access-Control value, or undefined when it is valid. */
export function accountAclError(value: string): string | undefined {
  const acl = parseAclV2(value)
  if (acl === undefined) return `Syntax error in input (${pyRepr(value)})`
  for (const key of Object.keys(acl)) if (!(KEYS as readonly string[]).includes(key)) return `Key ${pythonJsonDumps(key)} not recognized`
  for (const key of KEYS) {
    if (!(key in acl)) continue
    const list = acl[key]
    if (!Array.isArray(list)) return `Value for key ${pythonJsonDumps(key)} must be a list`
    if (list.some((g) => typeof g !== 'string')) return `Elements of ${pythonJsonDumps(key)} list must be strings`
  }
  return undefined
}

/**
 * Checks the request's X-Account-Access-Control and turns it into the sysmeta the account
 * server stores (tempauth's extract_acl_and_report_errors); a bad value is a 400.
 */
export function takeAccountAclHeader(ctx: ProxyContext): void {
  const value = ctx.req.headers[ACCOUNT_ACL_HEADER]
  if (value === undefined) return
  const text = Array.isArray(value) ? value.join(',') : value
  const error = accountAclError(text)
  if (error) {
    throw new HttpError(400, {
      body: `X-Account-Access-Control invalid: ${error}\n\nInput: ${text}\n`,
      headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
    })
  }
  delete ctx.req.headers[ACCOUNT_ACL_HEADER]
  ctx.req.headers[ACCOUNT_ACL_SYSMETA] = text
}

/** The grants stored in an account's sysmeta (keys after "x-account-sysmeta-"); undefined when none. */
export function accountAclsFromSysmeta(sysmeta: Readonly<Record<string, string>> | undefined): AccountAcls | undefined {
  const acl = parseAclV2(sysmeta?.['core-access-control'])
  if (!acl) return undefined
  const list = (key: string) => (Array.isArray(acl[key]) ? (acl[key] as unknown[]).filter((g): g is string => typeof g === 'string') : [])
  const acls = { admin: list('admin'), readWrite: list('read-write'), readOnly: list('read-only') }
  return acls.admin.length || acls.readWrite.length || acls.readOnly.length ? acls : undefined
}

/** X-Account-Access-Control as the owner sees it, from the account server's sysmeta value. */
export function accountAclHeaderValue(stored: string | undefined): string | undefined {
  const acl = parseAclV2(stored)
  return acl && Object.keys(acl).length > 0 ? formatAclV2(acl) : undefined
}
