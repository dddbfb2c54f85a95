// The contract between the proxy's middleware and its controllers, as Swift's WSGI environ
// keys are (swift.authorize, REMOTE_USER, swift.trans_id). Middleware set these on ctx.state;
// controllers read them.
import type Koa from 'koa'
import type { HttpError } from '../common/http/errors.ts'
import type { IniSection } from '../common/config/ini.ts'
import type { Logger } from '../common/logger.ts'

/** What an authorization decision needs; controllers fill in the container's ACLs once known. */
export interface AuthorizeTarget {
  method: string
  /** The account segment of the path, e.g. "AUTH_test". */
  account: string
  container?: string | undefined
  object?: string | undefined
  /** X-Container-Read / X-Container-Write of the target container, when the controller fetched them. */
  containerAcl?: { read?: string | undefined; write?: string | undefined } | undefined
  /** The request's Referer header, for `.r:` referrer ACLs. */
  referrer?: string | undefined
}

/** Returns undefined to allow, or the 401/403 to answer (Swift's swift.authorize). */
export type Authorize = (target: AuthorizeTarget) => HttpError | undefined

export interface Identity {
  /** "account:user" for tempauth; a user id for identity-service tokens. */
  user: string
  groups: string[]
  /** Accounts this identity owns (e.g. ["AUTH_test"]). */
  accounts: string[]
  isAdmin: boolean
  isResellerAdmin: boolean
}

export interface ProxyState {
  txnId: string
  log: Logger
  /** Set by the auth middleware; absent means no auth middleware is in the pipeline. */
  authorize?: Authorize | undefined
  identity?: Identity | undefined
  /** Set by middleware that answers on the proxy's behalf for logging (e.g. "tempauth"). */
  source?: string | undefined
  /**
   * Swift's swift_owner: set (by the authorize callback) when the caller owns the account,
   * so controllers may show and accept owner-only headers (X-Container-Read/-Write, sync keys).
   */
  swiftOwner?: boolean | undefined
  /** Swift's reseller_request: the caller is a reseller admin. */
  resellerRequest?: boolean | undefined
  /**
   * Set on middleware's internal subrequests (s3api) that store their own state in system
   * metadata: the gatekeeper's outbound rule then leaves X-*-Sysmeta-* on the answer.
   */
  keepSysmeta?: boolean | undefined
}

export type ProxyContext = Koa.ParameterizedContext<ProxyState>
export type ProxyMiddleware = Koa.Middleware<ProxyState>

/** One entry of the pipeline registry: `name` is what `[pipeline:main] pipeline = ...` lists. */
export interface MiddlewareFactory {
  readonly name: string
  /** `conf` is the filter's ini section ([filter:<name>]) merged over [DEFAULT]. */
  create(conf: IniSection, deps: MiddlewareDeps): ProxyMiddleware
}

/**
 * The container facts middleware may read (a structural subset of the proxy's container
 * info): `meta` holds X-Container-Meta-* values keyed by the lower-cased name after the
 * prefix (e.g. "access-control-allow-origin"), as Swift's container_info['meta'].
 */
export interface ContainerInfoView {
  readonly status: number
  readonly readAcl?: string | undefined
  readonly writeAcl?: string | undefined
  readonly meta: Readonly<Record<string, string>>
  readonly objectCount?: number | undefined
  readonly bytes?: number | undefined
  /** X-Container-Sysmeta-* values keyed by the lower-cased name after the prefix (Swift's container_info['sysmeta']). */
  readonly sysmeta?: Readonly<Record<string, string>> | undefined
  /** A pre-sysmeta X-Versions-Location kept by the container (Swift's container_info['versions']). */
  readonly versions?: string | undefined
}

/** The account facts middleware may read (Swift's get_account_info); `meta` as for containers. */
export interface AccountInfoView {
  readonly status: number
  readonly containerCount: number
  readonly objectCount: number
  readonly bytes: number
  readonly meta: Readonly<Record<string, string>>
  /** X-Account-Sysmeta-* values keyed by the lower-cased name after the prefix (Swift's account_info['sysmeta']). */
  readonly sysmeta?: Readonly<Record<string, string>> | undefined
}

/** What middleware may use from the proxy (grows as features need it). */
export interface MiddlewareDeps {
  logger: Logger
  /**
   * The container's info through the proxy's info cache (Swift's get_container_info); not
   * authorized, as Swift's is not. Absent when the proxy offers none (middleware must cope).
   */
  getContainerInfo?: ((ctx: ProxyContext, account: string, container: string) => Promise<ContainerInfoView>) | undefined
  /**
   * Drops the cached container info, so the next lookup sees the container's new counts.
   * Object writes leave the cache alone (as Swift's do); a middleware that needs exact counts
   * after a write (quotas) forgets them itself.
   */
  forgetContainerInfo?: ((account: string, container: string) => void) | undefined
  /** The account's info through the same cache (Swift's get_account_info); not authorized. */
  getAccountInfo?: ((ctx: ProxyContext, account: string) => Promise<AccountInfoView>) | undefined
  /**
   * Adds a section (or keys of one) to what GET /info lists (Swift's register_swift_info);
   * `admin` sections are shown only to requests signed with the admin_key.
   */
  registerInfo?: ((name: string, data: Record<string, unknown>, options?: { admin?: boolean }) => void) | undefined
  /** The filter names of the pipeline being built, for filters that need another (object versioning: symlink). */
  pipeline?: readonly string[] | undefined
}
