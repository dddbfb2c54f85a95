// Container ACLs (X-Container-Read / X-Container-Write), with the behaviour of Swift's
// swift/common/middleware/acl.py: clean_acl, parse_acl (v1), referrer_allowed.
//
// An ACL is a comma-separated list of items: a group / "account" / "account:user" / "*", or a
// referrer designation `.r:<host>` (`.r:*`, `.r:.example.com`, `.r:-bad.example.com`), or the
// `.rlistings` directive that lets referrer access list the container.
import { HttpError } from '../../common/http/errors.ts'

/** A malformed ACL value; the message is the body Swift answers with (400). */
export class AclError extends Error {
  readonly code = 'ERR_ACL_INVALID'
  constructor(message: string) {
    super(message)
    this.name = 'AclError'
  }
}

export interface ParsedAcl {
  /** Referrer designations without the leading ".r:" (e.g. "*", ".example.com", "-bad.com"). */
  referrers: string[]
  /** Everything else: groups, "account", "account:user", "*", ".rlistings". */
  groups: string[]
}

const REFERRER_DESIGNATORS = new Set(['.r', '.ref', '.referer', '.referrer'])

/** Python's repr() of a str, as Swift's error messages quote the offending item. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  const escaped = s.replace(/\\/g, '\\\\').replace(quote === "'" ? /'/g : /"/g, `\\${quote}`)
  return `${quote}${escaped}${quote}`
}

/**
 * Validates and normalises an ACL header value: trims items, drops empty ones, shortens
 * referrer designators to `.r:` and strips a leading `*` from `*.example.com`.
 * Throws AclError (Swift's ValueError) for a referrer in a write ACL, a referrer without a
 * host, or an unknown `.designator:`.
 */
export function cleanAcl(headerName: string, value: string): string {
  const name = headerName.toLowerCase()
  const out: string[] = []
  for (const raw of value.split(',')) {
    const item = raw.trim()
    if (!item) continue
    const colon = item.indexOf(':')
    if (colon < 0) {
      out.push(item)
      continue
    }
    const first = item.slice(0, colon).trim()
    let second = item.slice(colon + 1).trim()
    if (!first || !first.startsWith('.')) {
      out.push(item)
    } else if (REFERRER_DESIGNATORS.has(first)) {
      if (name.includes('write')) throw new AclError(`Referrers not allowed in write ACL: ${pyRepr(item)}`)
      let negate = false
      if (second.startsWith('-')) {
        negate = true
        second = second.slice(1).trim()
      }
      if (second && second !== '*' && second.startsWith('*')) second = second.slice(1).trim()
      if (!second || second === '.') {
        throw new AclError(`No host/domain value after referrer designation in ACL: ${pyRepr(item)}`)
      }
      out.push(`.r:${negate ? '-' : ''}${second}`)
    } else {
      throw new AclError(`Unknown designator ${pyRepr(first)} in ACL: ${pyRepr(item)}`)
    }
  }
  return out.join(',')
}

/** Splits a (cleaned) ACL into referrers and groups; groups are percent-decoded as Swift does. */
export function parseAcl(value: string | undefined | null): ParsedAcl {
  const referrers: string[] = []
  const groups: string[] = []
  if (value) {
    for (const item of value.split(',')) {
      if (item.startsWith('.r:')) referrers.push(item.slice(3))
      else groups.push(safeDecode(item))
    }
  }
  return { referrers, groups }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Builds an ACL string from groups and referrers (Swift's format_acl_v1). */
export function formatAcl(groups: readonly string[] = [], referrers: readonly string[] = [], headerName?: string): string {
  const joined = [...groups, ...referrers.map((r) => `.r:${r}`)].join(',')
  return headerName ? cleanAcl(headerName, joined) : joined
}

/** The host of a Referer value, or "unknown" (urlparse(...).hostname). */
function referrerHost(referrer: string | undefined): string {
  if (!referrer) return 'unknown'
  try {
    const host = new URL(referrer).hostname
    return host ? host.toLowerCase() : 'unknown'
  } catch {
    // A scheme-less value ("//host/path" parses in Python; a bare word has no host).
    const m = /^\/\/([^/:?#@]*@)?([^/:?#]+)/.exec(referrer)
    return m?.[2]?.toLowerCase() ?? 'unknown'
  }
}

/**
 * Whether a Referer passes the referrer list: items apply in order, so a later `-host`
 * revokes what an earlier `*` or `.domain` granted, and the reverse.
 */
export function referrerAllowed(referrer: string | undefined, referrerAcl: readonly string[]): boolean {
  let allow = false
  if (referrerAcl.length === 0) return false
  const rhost = referrerHost(referrer)
  for (const entry of referrerAcl) {
    if (entry.startsWith('-')) {
      const m = entry.slice(1)
      if (m === rhost || (m.startsWith('.') && rhost.endsWith(m))) allow = false
    } else if (entry === '*' || entry === rhost || (entry.startsWith('.') && rhost.endsWith(entry))) {
      allow = true
    }
  }
  return allow
}

export const CONTAINER_ACL_HEADERS = ['x-container-read', 'x-container-write'] as const

/**
 * For the container controller's PUT and POST (Swift's ContainerController.clean_acls):
 * returns the request's X-Container-Read/-Write values cleaned, to forward to the container
 * servers in place of the client's values. A malformed value throws the 400 Swift answers,
 * whose body is the reason.
 *
 * `headers` is a lower-cased header map (Koa's ctx.headers); absent headers are left out.
 */
export function cleanContainerAclHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const cleaned: Record<string, string> = {}
  for (const name of CONTAINER_ACL_HEADERS) {
    const raw = headers[name]
    if (raw === undefined) continue
    const value = Array.isArray(raw) ? raw.join(',') : raw
    try {
      cleaned[name] = cleanAcl(name, value)
    } catch (err) {
      if (err instanceof AclError) throw new HttpError(400, { body: err.message, headers: { 'Content-Type': 'text/html; charset=UTF-8' } })
      throw err
    }
  }
  return cleaned
}

// Version-2 ACLs (Swift's parse_acl(version=2) / format_acl(version=2)): a JSON object in a
// header, used by X-Account-Access-Control.

/** The JSON object of a v2 ACL; {} for an empty string; undefined when absent, not JSON or not an object. */
export function parseAclV2(data: string | undefined): Record<string, unknown> | undefined {
  if (data === undefined) return undefined
  if (data === '') return {}
  try {
    const value: unknown = JSON.parse(data)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value).sort()) out[k] = sortedKeys((value as Record<string, unknown>)[k])
  return out
}

/** Python's json.dumps(value, ensure_ascii=True, separators=(',', ':'), sort_keys=True). */
export function pythonJsonDumps(value: unknown): string {
  return JSON.stringify(sortedKeys(value)).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A v2 ACL header value: compact, ASCII-only, keys sorted (Swift's format_acl_v2). */
export function formatAclV2(acl: Record<string, unknown>): string {
  return pythonJsonDumps(acl)
}
