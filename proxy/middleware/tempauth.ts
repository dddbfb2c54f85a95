// Swift's tempauth (swift/common/middleware/tempauth.py): users from the filter's config,
// GET <auth_prefix>v1.0 (and the v1/<account>/auth, auth variants) issuing tokens, and the
// authorize callback controllers call once they know the container's ACLs.
//
// Differences from Swift, on purpose: tokens are signed rather than stored in memcache (see
// auth-token.ts), and a new token is issued on every auth request rather than reusing the
// cached one.
import { HttpError } from '../../common/http/errors.ts'
import type { Authorize, AuthorizeTarget, Identity, MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import { SignedTokenCodec } from './auth-token.ts'
import type { TokenResolver } from './auth-token.ts'
import type { AccountAcls } from './account-acl.ts'
import { accountAclsFromSysmeta, takeAccountAclHeader } from './account-acl.ts'
import { decide, deniedResponse } from './tempauth-authorize.ts'
import { accountIdOf, accountPrefix, parseTempAuthConfig, userGroups } from './tempauth-config.ts'
import type { TempAuthConfig, TempAuthUser } from './tempauth-config.ts'
import type { IniSection } from '../../common/config/ini.ts'
import type { Logger } from '../../common/logger.ts'

export interface TempAuthOptions {
  /** Milliseconds since the epoch; tests move it to expire tokens. */
  now?: () => number
  logger?: Logger
}

/** A user's identity as Swift's REMOTE_USER group list carries it. */
function identityOf(config: TempAuthConfig, user: TempAuthUser): Identity {
  const groups = userGroups(config, user)
  return {
    user: user.name,
    groups,
    accounts: groups.filter((g) => config.resellerPrefixes.some((p) => p !== '' && g.startsWith(p))),
    isAdmin: user.groups.includes('.admin'),
    isResellerAdmin: user.groups.includes('.reseller_admin'),
  }
}

/** Tokens remembered after their MAC was checked; past this many the memory starts over. */
const RESOLVED_TOKENS_MAX = 4096

interface ResolvedToken {
  readonly identity: Identity
  readonly expiresAt: number
}

export class TempAuth implements TokenResolver {
  readonly config: TempAuthConfig
  readonly #codec: SignedTokenCodec
  readonly #now: () => number
  /**
   * Tokens already verified, so a client's every request costs a map lookup instead of a hex
   * decode and an HMAC. Users and keys come from the config and never change in a running
   * proxy, so a token stays good until it expires.
   */
  readonly #resolved = new Map<string, ResolvedToken>()

  constructor(config: TempAuthConfig, options: TempAuthOptions = {}) {
    this.config = config
    this.#codec = new SignedTokenCodec(config.tokenSecret, config.resellerPrefix)
    this.#now = options.now ?? Date.now
  }

  /** Authenticates `account:user` with `key`; undefined when either is wrong. */
  issueToken(accountUser: string, key: string): { token: string; expiresAt: number; user: TempAuthUser } | undefined {
    const user = this.config.users.get(accountUser)
    if (!user || user.key !== key) return undefined
    const expiresAt = this.#now() + this.config.tokenLifeSeconds * 1000
    return { token: this.#codec.issue({ user: user.name, expiresAt }, user.key), expiresAt, user }
  }

  resolve(token: string): Identity | undefined {
    const now = this.#now()
    const known = this.#resolved.get(token)
    if (known) {
      if (known.expiresAt > now) return known.identity
      this.#resolved.delete(token)
      return undefined
    }
    const claims = this.#codec.decode(token)
    if (!claims) return undefined
    const user = this.config.users.get(claims.user)
    if (!user || !this.#codec.verify(token, user.key, now)) return undefined
    // Shared by every request that shows this token: frozen, so no request can change another's.
    const fresh = identityOf(this.config, user)
    const identity = Object.freeze({ ...fresh, groups: Object.freeze(fresh.groups) as string[], accounts: Object.freeze(fresh.accounts) as string[] })
    if (this.#resolved.size >= RESOLVED_TOKENS_MAX) this.#resolved.clear()
    this.#resolved.set(token, { identity, expiresAt: claims.expiresAt })
    return identity
  }

  /**
   * The authorize callback for one request; `onOwner` records Swift's swift_owner;
   * `accountAcls` gives the X-Account-Access-Control grants of the accounts it may be asked about.
   */
  authorizer(identity: Identity | undefined, onOwner: () => void, accountAcls?: (account: string) => AccountAcls | undefined): Authorize {
    return (target: AuthorizeTarget) => {
      const decision = decide(this.config, identity?.groups ?? [], target, accountAcls?.(target.account))
      if (decision.allow) {
        if (decision.owner) onOwner()
        return undefined
      }
      return deniedResponse(identity !== undefined, target.account)
    }
  }

  /** Whether tempauth is the definitive auth for the path's account (Swift's _is_definitive_auth). */
  isDefinitive(path: string): boolean {
    const account = accountOfPath(path)
    return account !== undefined && accountPrefix(this.config, account) !== undefined
  }

  get now(): number {
    return this.#now()
  }
}

/** The account segment of /v1/<account>/..., or undefined. */
export function accountOfPath(path: string): string | undefined {
  const segs = path.split('/')
  if (segs[0] !== '' || !segs[1]) return undefined
  return segs[2] || undefined
}

function unauthorized(realm: string): HttpError {
  return new HttpError(401, { headers: { 'Www-Authenticate': `Swift realm="${encodeURIComponent(realm)}"` } })
}

function header(ctx: ProxyContext, name: string): string | undefined {
  const v = ctx.get(name)
  return v === '' ? undefined : v
}

/** GET <auth_prefix>{v1.0,auth,v1/<account>/auth}: answers the token and the storage URL. */
function handleAuthRequest(ta: TempAuth, ctx: ProxyContext): void {
  const config = ta.config
  ctx.state.source = 'tempauth'
  if (ctx.method !== 'GET') throw new HttpError(405)
  const rest = ctx.path.slice(config.authPrefix.length - 1)
  const segs = rest.split('/')
  if (segs.length < 2 || !segs[1]) throw new HttpError(404)
  const [, version, second, third] = segs
  let account: string | undefined
  let user: string | undefined
  let key: string | undefined
  if (version === 'v1' && third === 'auth' && segs.length === 4) {
    account = decodeURIComponent(second ?? '')
    user = header(ctx, 'x-storage-user')
    if (!user) {
      const full = header(ctx, 'x-auth-user')
      if (!full || !full.includes(':')) throw unauthorized(account)
      const colon = full.indexOf(':')
      if (full.slice(0, colon) !== account) throw unauthorized(account)
      user = full.slice(colon + 1)
    }
    key = header(ctx, 'x-storage-pass') ?? header(ctx, 'x-auth-key')
  } else if ((version === 'auth' || version === 'v1.0') && segs.length === 2) {
    const full = header(ctx, 'x-auth-user') ?? header(ctx, 'x-storage-user')
    if (!full || !full.includes(':')) throw unauthorized('unknown')
    const colon = full.indexOf(':')
    account = full.slice(0, colon)
    user = full.slice(colon + 1)
    key = header(ctx, 'x-auth-key') ?? header(ctx, 'x-storage-pass')
  } else {
    throw new HttpError(400)
  }
  if (!account || !user || !key) throw unauthorized(account || 'unknown')
  const accountUser = `${account}:${user}`
  const known = config.users.get(accountUser)
  if (!known) throw unauthorized(account)
  const issued = ta.issueToken(accountUser, key)
  if (!issued) throw unauthorized('unknown')
  let url = known.url.replace('$HOST', `${ctx.protocol}://${ctx.host}`)
  if (config.storageUrlScheme !== 'default') url = `${config.storageUrlScheme}:${url.slice(url.indexOf(':') + 1)}`
  ctx.status = 200
  ctx.set('X-Storage-Url', url)
  ctx.set('X-Auth-Token', issued.token)
  ctx.set('X-Storage-Token', issued.token)
  ctx.set('X-Auth-Token-Expires', String(Math.floor((issued.expiresAt - ta.now) / 1000)))
  ctx.type = 'text/html; charset=UTF-8'
  ctx.body = ''
  ctx.state.log.info('token issued', { user: accountUser, account: accountIdOf(known) })
}

/** Accounts a request may be authorized against: its own, and a copy's other account. */
function accountsOf(ctx: ProxyContext): string[] {
  const out: string[] = []
  const own = accountOfPath(ctx.path)
  if (own !== undefined) out.push(own)
  for (const name of ['x-copy-from-account', 'destination-account']) {
    const v = header(ctx, name)
    if (v === undefined) continue
    try {
      out.push(decodeURIComponent(v))
    } catch {
      // A bad name is refused later (412); there are no grants to look up.
    }
  }
  return out
}

/**
 * The X-Account-Access-Control grants of the accounts the caller does not own (the
 * authorize callback is synchronous, so they are looked up before the request goes on).
 */
async function grantsFor(ta: TempAuth, ctx: ProxyContext, identity: Identity, getAccountInfo: MiddlewareDeps['getAccountInfo']): Promise<Map<string, AccountAcls>> {
  const grants = new Map<string, AccountAcls>()
  if (!getAccountInfo || identity.groups.includes('.reseller_admin')) return grants
  for (const account of accountsOf(ctx)) {
    if (grants.has(account) || identity.groups.includes(account) || accountPrefix(ta.config, account) === undefined) continue
    const acls = accountAclsFromSysmeta((await getAccountInfo(ctx, account)).sysmeta)
    if (acls) grants.set(account, acls)
  }
  return grants
}

/** The middleware around a TempAuth instance (exported for tests that control the clock). */
export function tempauthMiddleware(ta: TempAuth, getAccountInfo?: MiddlewareDeps['getAccountInfo']): ProxyMiddleware {
  const config = ta.config
  return async (ctx, next) => {
    if (ctx.path.startsWith(config.authPrefix)) {
      handleAuthRequest(ta, ctx)
      return
    }
    // As Swift's authorize, before any decision: an account ACL sent to one of our accounts must be valid.
    if (ta.isDefinitive(ctx.path)) takeAccountAclHeader(ctx)
    const token = header(ctx, 'x-auth-token') ?? header(ctx, 'x-storage-token')
    const serviceToken = header(ctx, 'x-service-token')
    const markOwner = () => {
      ctx.state.swiftOwner = true
    }
    // Not an owner until authorize says so: controllers then hide owner-only headers.
    ctx.state.swiftOwner ??= false
    if (token !== undefined && token.startsWith(config.resellerPrefix)) {
      const identity = ta.resolve(token)
      if (!identity) throw unauthorized(accountOfPath(ctx.path) ?? 'unknown')
      // A service token adds its groups (Swift's X-Service-Token, for <PREFIX>require_group).
      const service = serviceToken !== undefined ? ta.resolve(serviceToken) : undefined
      const merged: Identity = service ? { ...identity, groups: [...identity.groups, ...service.groups] } : identity
      ctx.state.identity = merged
      const grants = await grantsFor(ta, ctx, merged, getAccountInfo)
      ctx.state.authorize = ta.authorizer(merged, markOwner, (account) => grants.get(account))
      if (merged.groups.includes('.reseller_admin')) ctx.state.resellerRequest = true
    } else if (ta.isDefinitive(ctx.path) || config.resellerPrefix === '') {
      ctx.state.authorize ??= ta.authorizer(undefined, markOwner)
    } else {
      // Not our token and not our account: deny unless another auth middleware decides.
      ctx.state.authorize ??= (target) => deniedResponse(false, target.account)
    }
    await next()
  }
}

export function createTempAuth(conf: IniSection, options: TempAuthOptions = {}): TempAuth {
  const config = parseTempAuthConfig(conf)
  if (!config.tokenSecretConfigured) {
    options.logger?.warn('tempauth: no token_secret configured; tokens are valid only in this process until restart')
  }
  return new TempAuth(config, options)
}

/** The TempAuth of each pipeline (keyed by the deps its filters share), for s3api's key lookups. */
const PIPELINE_TEMPAUTH = new WeakMap<MiddlewareDeps, TempAuth>()

/** What s3api needs to check a signature made with a tempauth user's key (Swift: s3api + tempauth). */
export interface TempAuthS3Credential {
  /** The user's key: the S3 secret of access key "account:user". */
  readonly secret: string
  /** The account the user's storage URL names (e.g. "AUTH_test"). */
  readonly account: string
  readonly identity: Identity
  /** The authorize callback for requests made as this user. */
  authorizer(onOwner: () => void): Authorize
}

/**
 * The credential of access key `account:user` in the tempauth of the pipeline built with
 * `deps`; undefined for an unknown user, null when that pipeline has no tempauth.
 */
export function lookupTempAuthS3Credential(deps: MiddlewareDeps, accessKey: string): TempAuthS3Credential | undefined | null {
  const ta = PIPELINE_TEMPAUTH.get(deps)
  if (!ta) return null
  const user = ta.config.users.get(accessKey)
  if (!user) return undefined
  const identity = identityOf(ta.config, user)
  return { secret: user.key, account: accountIdOf(user), identity, authorizer: (onOwner) => ta.authorizer(identity, onOwner) }
}

export const tempauthFactory: MiddlewareFactory = {
  name: 'tempauth',
  create: (conf, deps) => {
    const ta = createTempAuth(conf, { logger: deps.logger })
    PIPELINE_TEMPAUTH.set(deps, ta)
    deps.registerInfo?.('tempauth', { account_acls: true })
    return tempauthMiddleware(ta, deps.getAccountInfo)
  },
}
