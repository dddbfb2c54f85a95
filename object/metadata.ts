// Which request headers an object keeps, and which stored keys a GET/HEAD sends back
// (Swift: request_helpers.is_user_meta / is_sys_meta / is_object_transient_sysmeta and the
// object server's allowed_headers). Keys are stored title-cased, as swob hands them over;
// values stay the latin-1 strings Node gives, so the client's bytes round-trip unchanged.
import type { IncomingHttpHeaders } from 'node:http'

const USER = 'x-object-meta-'
const SYS = 'x-object-sysmeta-'
const TRANSIENT = 'x-object-transient-sysmeta-'

export const isUserMeta = (k: string) => k.length > USER.length && k.toLowerCase().startsWith(USER)
export const isSysMeta = (k: string) => k.length > SYS.length && k.toLowerCase().startsWith(SYS)
export const isTransientSysmeta = (k: string) => k.length > TRANSIENT.length && k.toLowerCase().startsWith(TRANSIENT)

/** Python's str.title() on a header name: "x-delete-at" -> "X-Delete-At". */
export function titleCase(name: string): string {
  return name.toLowerCase().replace(/(^|[^a-z])([a-z])/g, (_m, before: string, c: string) => before + c.toUpperCase())
}

export function headerString(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

/**
 * Metadata a request carries for the object: user and system metadata (PUT), or user
 * metadata only (POST), transient sysmeta, and the allowed headers plus any named in
 * X-Backend-Replication-Headers.
 */
export function requestMetadata(headers: IncomingHttpHeaders, allowedHeaders: readonly string[], withSysmeta: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    if (isUserMeta(k) || isTransientSysmeta(k) || (withSysmeta && isSysMeta(k))) out[titleCase(k)] = Array.isArray(v) ? v.join(', ') : v
  }
  const extra = (headerString(headers, 'x-backend-replication-headers') ?? '').split(/\s+/).filter(Boolean)
  for (const name of [...extra, ...allowedHeaders]) {
    const v = headerString(headers, name.toLowerCase())
    if (v !== undefined) out[titleCase(name)] = v
  }
  return out
}

/** Stored keys sent back on GET/HEAD. */
export function isServedKey(key: string, allowed: ReadonlySet<string>): boolean {
  return isUserMeta(key) || isSysMeta(key) || isTransientSysmeta(key) || allowed.has(key.toLowerCase())
}
