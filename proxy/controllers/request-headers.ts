// Which client headers reach the backends. Objects get the client's headers (minus
// hop-by-hop ones); account and container writes get their metadata and ACL headers, with
// X-Remove-* turned into the same header with an empty value (Swift's transfer_headers).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { ProxyContext } from '../context.ts'
import { OWNER_HEADERS } from '../respond.ts'

const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'expect', 'te', 'upgrade', 'proxy-connection', 'x-auth-token', 'x-storage-token', 'authorization', 'x-delete-after', 'x-timestamp', 'x-trans-id', 'x-openstack-request-id'])

/** The client's headers worth passing to object servers. */
export function objectRequestHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue
    out[name] = value
  }
  return out
}

const CONTAINER_REMOVABLE = new Set(['x-container-read', 'x-container-write', 'x-container-sync-key', 'x-container-sync-to', 'x-versions-location', 'x-history-location'])
const CONTAINER_EXTRA = new Set([...CONTAINER_REMOVABLE, 'x-storage-policy'])

/** Metadata, ACL and policy headers of an account or container write. */
export function transferHeaders(ctx: ProxyContext, type: 'account' | 'container'): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  const ownPrefix = `x-${type}-`
  const hideOwner = ctx.state.swiftOwner === false
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (value === undefined) continue
    if (name.startsWith('x-remove-')) {
      const target = `x-${name.slice('x-remove-'.length)}`
      if (target.startsWith(`${ownPrefix}meta-`) || (type === 'container' && CONTAINER_REMOVABLE.has(target))) {
        if (!(hideOwner && OWNER_HEADERS.has(target))) out[target] = ''
      }
      continue
    }
    if (name.startsWith(ownPrefix) || (type === 'container' && CONTAINER_EXTRA.has(name))) {
      if (hideOwner && OWNER_HEADERS.has(name)) continue
      out[name] = value
    }
  }
  return out
}
