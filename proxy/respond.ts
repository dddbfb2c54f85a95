// Turning backend answers into the client's response: the backend's status, headers and
// body, minus hop-by-hop headers and what only the cluster may see (gatekeeper's outbound
// rule: X-Backend-*, *-Sysmeta-*), and minus owner-only headers for callers that do not own
// the account (Swift's swift_owner_headers).
import type { IncomingHttpHeaders } from 'node:http'
import { defaultBody } from '../common/http/status.ts'
import type { BackendResult } from './backend-requests.ts'
import type { ProxyContext } from './context.ts'
import type { StreamSource } from './object-get.ts'
import { PROXY_YOUNG_GC_BYTES, noteBodyBytes } from '../common/young-gc.ts'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'server', 'proxy-connection', 'upgrade', 'te', 'trailer'])

/** Swift's swift_owner_headers: shown only to the account's owner. */
export const OWNER_HEADERS = new Set([
  'x-container-read',
  'x-container-write',
  'x-container-sync-key',
  'x-container-sync-to',
  'x-account-meta-temp-url-key',
  'x-account-meta-temp-url-key-2',
  'x-container-meta-temp-url-key',
  'x-container-meta-temp-url-key-2',
  'x-account-access-control',
])

function hidden(name: string, hideOwner: boolean, keepSysmeta = false): boolean {
  if (HOP_BY_HOP.has(name)) return true
  if (name.startsWith('x-backend-') || (name.includes('-sysmeta-') && !keepSysmeta)) return true
  return hideOwner && OWNER_HEADERS.has(name)
}

export function applyBackendHeaders(ctx: ProxyContext, headers: IncomingHttpHeaders, options: { keepLength?: boolean } = {}): void {
  const hideOwner = ctx.state.swiftOwner === false
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hidden(name, hideOwner, ctx.state.keepSysmeta)) continue
    if (name === 'content-length' && !options.keepLength) continue
    if (name === 'x-trans-id' || name === 'x-openstack-request-id') continue
    // Object servers quote their ETags (as swob does); Swift's proxy hands them out bare.
    if (name === 'etag' && typeof value === 'string') ctx.set(name, value.replace(/"/g, ''))
    else ctx.set(name, value as string | string[])
  }
}

/** Sends a whole backend answer. */
export function sendResult(ctx: ProxyContext, result: BackendResult, extraHeaders?: Record<string, string>): void {
  ctx.status = result.status
  const isHead = ctx.method === 'HEAD'
  applyBackendHeaders(ctx, result.headers, { keepLength: isHead })
  if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) ctx.set(k, v)
  if (isHead) {
    if (!ctx.response.get('Content-Length')) ctx.set('Content-Length', '0')
    return
  }
  if (result.body.length > 0) {
    ctx.body = result.body
    return
  }
  const fallback = result.status >= 300 ? defaultBody(result.status) : ''
  if (fallback) {
    ctx.type = 'text/html; charset=UTF-8'
    ctx.body = fallback
  } else if (result.status !== 204 && result.status !== 304) {
    if (!ctx.response.get('Content-Type')) ctx.type = 'text/html; charset=UTF-8'
    ctx.body = Buffer.alloc(0)
    ctx.status = result.status
  }
}

/** Streams an object answer (GET) or ends it (HEAD). */
export function sendStream(ctx: ProxyContext, source: StreamSource, extraHeaders?: Record<string, string>): void {
  ctx.status = source.status
  applyBackendHeaders(ctx, source.headers, { keepLength: true })
  if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) ctx.set(k, v)
  if (ctx.method === 'HEAD' || source.status === 204 || source.status === 304) {
    source.stream.resume()
    return
  }
  const length = ctx.response.get('Content-Length')
  // Chunks are counted as they arrive (each is written on at once, and done with soon after).
  // A 'data' listener sets a stream flowing: pause it until Koa's pipe resumes it, so that no
  // chunk goes by before the pipe listens.
  source.stream.on('data', (chunk: Buffer) => noteBodyBytes(chunk.length, PROXY_YOUNG_GC_BYTES))
  source.stream.pause()
  ctx.body = source.stream
  // Koa drops Content-Length when the body changes type; the backend's length is the truth.
  if (length) ctx.set('Content-Length', String(length))
  ctx.status = source.status
}
