// Tempauth's [filter:tempauth] section, parsed once into a frozen object: users
// (`user_<account>_<user> = <key> [group ...] [storage_url]`, `user64_` with base64 names),
// reseller prefixes and their per-prefix options, token life and secret.
// Matches swift/common/middleware/tempauth.py's TempAuth.__init__ and
// swift.common.utils.config_read_reseller_options.
import { randomBytes } from 'node:crypto'
import type { IniSection } from '../../common/config/ini.ts'

export const DEFAULT_TOKEN_LIFE_SECONDS = 86_400

export class TempAuthConfigError extends Error {
  readonly code = 'ERR_TEMPAUTH_CONFIG'
  constructor(message: string) {
    super(message)
    this.name = 'TempAuthConfigError'
  }
}

export interface TempAuthUser {
  /** "account:user" */
  readonly name: string
  readonly account: string
  readonly key: string
  /** The storage URL, possibly holding "$HOST" (the proxy's scheme://host of the request). */
  readonly url: string
  readonly groups: readonly string[]
}

export interface AccountRules {
  /** A group an account owner must also be in (e.g. SERVICE_require_group = service). */
  readonly requireGroup: string
}

export interface TempAuthConfig {
  readonly resellerPrefixes: readonly string[]
  /** The first prefix: tokens carry it ("AUTH_tk…"). */
  readonly resellerPrefix: string
  readonly accountRules: ReadonlyMap<string, AccountRules>
  /** Always "/…/" (Swift rewrites an empty one to "/auth/"). */
  readonly authPrefix: string
  readonly tokenLifeSeconds: number
  readonly storageUrlScheme: string
  readonly users: ReadonlyMap<string, TempAuthUser>
  readonly tokenSecret: string
  /** False when no token_secret was configured (tokens then die with the process). */
  readonly tokenSecretConfigured: boolean
}

function appendUnderscore(prefix: string): string {
  return prefix && !prefix.endsWith('_') ? `${prefix}_` : prefix
}

/** Swift's config_read_reseller_options for tempauth's one option, require_group. */
export function readResellerOptions(conf: IniSection): { prefixes: string[]; rules: Map<string, AccountRules> } {
  const prefixes: string[] = []
  for (const raw of (conf.reseller_prefix ?? 'AUTH').split(',')) {
    let p = raw.trim()
    if (!p) continue
    if (p === "''") p = ''
    p = appendUnderscore(p)
    if (!prefixes.includes(p)) prefixes.push(p)
  }
  if (prefixes.length === 0) prefixes.push('')
  const rules = new Map<string, AccountRules>()
  const general = conf.require_group?.trim()
  for (const p of prefixes) {
    const own = conf[`${p === '' ? "''" : p}require_group`]?.trim()
    rules.set(p, Object.freeze({ requireGroup: own || general || '' }))
  }
  return { prefixes, rules }
}

function decodeBase64Name(s: string): string {
  // Trailing "=" would confuse ini parsing, so Swift pads them back.
  return Buffer.from(s + '='.repeat(s.length % 4), 'base64').toString('utf8')
}

function parseUsers(conf: IniSection, resellerPrefix: string): Map<string, TempAuthUser> {
  const users = new Map<string, TempAuthUser>()
  for (const [confKey, value] of Object.entries(conf)) {
    const b64 = confKey.startsWith('user64_')
    if (!b64 && !confKey.startsWith('user_')) continue
    const parts = confKey.slice(confKey.indexOf('_') + 1).split('_')
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new TempAuthConfigError(`key ${confKey} was provided in an invalid format`)
    const account = b64 ? decodeBase64Name(parts[0]) : parts[0]
    const username = b64 ? decodeBase64Name(parts[1]) : parts[1]
    const values = value.split(/\s+/).filter(Boolean)
    const key = values.shift()
    if (key === undefined) throw new TempAuthConfigError(`${confKey} has no key set`)
    const last = values.at(-1)
    const url = last !== undefined && (last.includes('://') || last.includes('$HOST')) ? values.pop()! : `$HOST/v1/${resellerPrefix}${encodeURIComponent(account)}`
    const name = `${account}:${username}`
    users.set(name, Object.freeze({ name, account, key, url, groups: Object.freeze(values) }))
  }
  return users
}

export function parseTempAuthConfig(conf: IniSection): TempAuthConfig {
  const { prefixes, rules } = readResellerOptions(conf)
  const resellerPrefix = prefixes[0]!
  let authPrefix = conf.auth_prefix ?? '/auth/'
  if (!authPrefix.replace(/\//g, '')) authPrefix = '/auth/'
  if (!authPrefix.startsWith('/')) authPrefix = `/${authPrefix}`
  if (!authPrefix.endsWith('/')) authPrefix += '/'
  const tokenLife = Number(conf.token_life ?? DEFAULT_TOKEN_LIFE_SECONDS)
  if (!Number.isFinite(tokenLife) || tokenLife <= 0) throw new TempAuthConfigError(`token_life must be a positive number, got "${conf.token_life}"`)
  const secret = conf.token_secret?.trim()
  return Object.freeze({
    resellerPrefixes: Object.freeze(prefixes),
    resellerPrefix,
    accountRules: rules,
    authPrefix,
    tokenLifeSeconds: tokenLife,
    storageUrlScheme: conf.storage_url_scheme ?? 'default',
    users: parseUsers(conf, resellerPrefix),
    tokenSecret: secret || randomBytes(32).toString('hex'),
    tokenSecretConfigured: Boolean(secret),
  })
}

/** The reseller prefix an account belongs to, or undefined (Swift's _get_account_prefix). */
export function accountPrefix(config: Pick<TempAuthConfig, 'resellerPrefixes'>, account: string | undefined): string | undefined {
  if (account === undefined) return undefined
  for (const p of config.resellerPrefixes) if (p !== '' && account.startsWith(p)) return p
  return config.resellerPrefixes.includes('') ? '' : undefined
}

/**
 * The group list of a user as Swift builds REMOTE_USER: account, account:user, the configured
 * groups; `.admin` becomes the account under every reseller prefix (AUTH_test, SERVICE_test)
 * plus the account id of the user's storage URL.
 */
export function userGroups(config: Pick<TempAuthConfig, 'resellerPrefixes'>, user: TempAuthUser): string[] {
  const groups = [user.account, user.name, ...user.groups]
  const adminAt = groups.indexOf('.admin')
  if (adminAt >= 0) {
    groups.splice(adminAt, 1)
    for (const p of config.resellerPrefixes) if (p !== '') groups.push(`${p}${user.account}`)
    const accountId = accountIdOf(user)
    if (!groups.includes(accountId)) groups.push(accountId)
  }
  return groups
}

/** The last segment of the user's storage URL, e.g. "AUTH_test". */
export function accountIdOf(user: TempAuthUser): string {
  return user.url.slice(user.url.lastIndexOf('/') + 1)
}
