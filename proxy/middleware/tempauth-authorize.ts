// Tempauth's authorization rules (swift/common/middleware/tempauth.py TempAuth.authorize and
// denied_response), as a pure function of the caller's groups and the request's target, so
// that every rule can be tested without a proxy.
import { HttpError } from '../../common/http/errors.ts'
import type { AuthorizeTarget } from '../context.ts'
import type { AccountAcls } from './account-acl.ts'
import { parseAcl, referrerAllowed } from './acl.ts'
import { accountPrefix } from './tempauth-config.ts'
import type { AccountRules } from './tempauth-config.ts'

export interface AuthorizeRules {
  readonly resellerPrefixes: readonly string[]
  readonly accountRules: ReadonlyMap<string, AccountRules>
}

export type AuthorizeDecision =
  /** Allowed as the account's owner (Swift's swift_owner: may see and set ACLs, sync keys...). */
  | { allow: true; owner: boolean; reason: string }
  | { allow: false; reason: string }

/**
 * The ACL that governs a request, as Swift's controllers set req.acl: reads (GET/HEAD) of a
 * container or object use X-Container-Read; writes of an object use X-Container-Write; the
 * container's own PUT/POST/DELETE and every account request use none (owners only).
 */
export function governingAcl(target: AuthorizeTarget): string | undefined {
  if (!target.container) return undefined
  if (target.method === 'GET' || target.method === 'HEAD') return target.containerAcl?.read
  return target.object ? target.containerAcl?.write : undefined
}

function isDotAccount(rules: AuthorizeRules, account: string): boolean {
  const p = accountPrefix(rules, account)
  return p !== undefined && account.charAt(p.length) === '.'
}

/**
 * `groups` is the caller's group list (account, account:user, groups...), empty for an
 * anonymous request. `accountAcls` are the target account's X-Account-Access-Control grants.
 */
export function decide(rules: AuthorizeRules, groups: readonly string[], target: AuthorizeTarget, accountAcls?: AccountAcls): AuthorizeDecision {
  const { account, method } = target
  const prefix = accountPrefix(rules, account)
  if (prefix === undefined) return { allow: false, reason: 'account outside the reseller prefixes' }
  const resellerScoped = !rules.resellerPrefixes.includes(account) && !isDotAccount(rules, account)
  if (groups.includes('.reseller_admin') && resellerScoped) return { allow: true, owner: true, reason: 'reseller admin' }
  if (groups.includes('.reseller_reader') && resellerScoped && (method === 'GET' || method === 'HEAD')) {
    return { allow: true, owner: false, reason: 'reseller reader' }
  }
  // Owners may do anything but create or delete the account itself.
  if (groups.includes(account) && ((method !== 'DELETE' && method !== 'PUT') || target.container)) {
    const requireGroup = rules.accountRules.get(prefix)?.requireGroup ?? ''
    if (!requireGroup || groups.includes(requireGroup)) return { allow: true, owner: true, reason: 'account owner' }
  }
  if (method === 'OPTIONS') return { allow: true, owner: false, reason: 'OPTIONS' }
  const acl = parseAcl(governingAcl(target))
  if (referrerAllowed(target.referrer, acl.referrers) && (target.object || acl.groups.includes('.rlistings'))) {
    return { allow: true, owner: false, reason: 'referrer ACL' }
  }
  for (const g of groups) if (acl.groups.includes(g)) return { allow: true, owner: false, reason: `ACL group ${g}` }
  if (accountAcls) {
    const granted = (list: readonly string[]) => groups.some((g) => list.includes(g))
    if (granted(accountAcls.admin)) return { allow: true, owner: true, reason: 'account ACL admin' }
    // read-write: anything below the account, only reads of the account itself.
    if (granted(accountAcls.readWrite) && (target.container || method === 'GET' || method === 'HEAD')) return { allow: true, owner: false, reason: 'account ACL read-write' }
    if (granted(accountAcls.readOnly) && (method === 'GET' || method === 'HEAD')) return { allow: true, owner: false, reason: 'account ACL read-only' }
  }
  return { allow: false, reason: 'no rule grants access' }
}

/** Swift's denied_response: 403 to an authenticated caller, 401 (with a realm) to an anonymous one. */
export function deniedResponse(authenticated: boolean, account: string | undefined): HttpError {
  if (authenticated) return new HttpError(403)
  return new HttpError(401, { headers: { 'Www-Authenticate': `Swift realm="${encodeURIComponent(account ?? 'unknown')}"` } })
}
