// Temporary URLs (Swift's tempurl middleware): a request carrying temp_url_sig and
// temp_url_expires is allowed without a token when the signature is the HMAC of
// "<METHOD>\n<expires>\n<path>" (or "prefix:<path prefix>" with temp_url_prefix) under one of
// the account's (X-Account-Meta-Temp-URL-Key[-2]) or container's keys, in SHA1, SHA256 or
// SHA512 (hex, or "<algo>:<base64url>"), and has not expired. Anything else is 401 "Temp URL
// invalid". GETs are answered with a Content-Disposition (attachment, or inline, with the
// object's or the given filename) and Expires. temp_url_ip_range limits a link to clients in
// one network, signed as "ip=<range>\n" ahead of the rest. Place it before the auth middleware.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { basename } from 'node:path'
import { HttpError } from '../../common/http/errors.ts'
import type { IniSection } from '../../common/config/ini.ts'
import type { Authorize, MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import { swiftPathOf } from '../request-path.ts'
import { networkContains, parseIpAddress, parseIpNetwork, remoteAddress } from './ip-network.ts'

const DIGESTS = ['sha1', 'sha256', 'sha512'] as const
type Digest = (typeof DIGESTS)[number]
const HEX_LENGTHS: Record<number, Digest> = { 40: 'sha1', 64: 'sha256', 128: 'sha512' }

export interface TempUrlConfig {
  methods: string[]
  allowedDigests: Digest[]
  incomingRemoveHeaders: string[]
  incomingAllowHeaders: string[]
  outgoingRemoveHeaders: string[]
  outgoingAllowHeaders: string[]
}

const words = (conf: IniSection, key: string, fallback: string) => (conf[key] ?? fallback).split(/\s+/).filter(Boolean)

export function parseTempUrlConfig(conf: IniSection): TempUrlConfig {
  const allowed = words(conf, 'allowed_digests', DIGESTS.join(' ')).filter((d): d is Digest => (DIGESTS as readonly string[]).includes(d))
  return {
    methods: words(conf, 'methods', 'GET HEAD PUT POST DELETE'),
    allowedDigests: allowed.length ? allowed : [...DIGESTS],
    incomingRemoveHeaders: words(conf, 'incoming_remove_headers', 'x-timestamp'),
    incomingAllowHeaders: words(conf, 'incoming_allow_headers', ''),
    outgoingRemoveHeaders: words(conf, 'outgoing_remove_headers', 'x-object-meta-*'),
    outgoingAllowHeaders: words(conf, 'outgoing_allow_headers', 'x-object-meta-public-*'),
  }
}

/** The signature's algorithm and hex digest (Swift's extract_digest_and_algorithm). */
export function digestOfSignature(sig: string): { algorithm: string; hex: string } | undefined {
  const colon = sig.indexOf(':')
  if (colon >= 0) {
    const algorithm = sig.slice(0, colon)
    const b64 = sig.slice(colon + 1)
    if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(b64)) return undefined
    return { algorithm, hex: Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('hex') }
  }
  const algorithm = HEX_LENGTHS[sig.length]
  if (!algorithm || !/^[0-9a-fA-F]+$/.test(sig)) return undefined
  return { algorithm, hex: sig.toLowerCase() }
}

/** Swift's get_hmac; with an IP range the body starts "ip=<range>\n". */
export function tempUrlHmac(method: string, expires: number, path: string, key: string, digest: string, ipRange?: string): string {
  const body = `${method}\n${expires}\n${path}`
  return createHmac(digest, key).update(ipRange ? `ip=${ipRange}\n${body}` : body).digest('hex')
}

/** Whether the client may use a link limited to `range` (Swift: ip_address(REMOTE_ADDR) in ip_network(range)). */
function clientInRange(ctx: ProxyContext, range: string): boolean {
  const network = parseIpNetwork(range)
  const client = parseIpAddress(remoteAddress(ctx.req.socket.remoteAddress) ?? '')
  return network !== undefined && client !== undefined && networkContains(network, client)
}

/** temp_url_expires as seconds: an integer or ISO 8601 "YYYY-MM-DDThh:mm:ssZ"; 0 when unparsable or past. */
export function parseExpires(raw: string, nowSeconds: number): number {
  let value = /^[-+]?\d+$/.test(raw.trim()) ? Number(raw) : NaN
  if (Number.isNaN(value) && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(raw)) value = Date.parse(raw) / 1000
  if (Number.isNaN(value) || value < nowSeconds) return 0
  return value
}

/** RFC 6266 value as Swift's disposition_format writes it. */
function dispositionFormat(type: string, filename: string): string {
  const quote = (s: string, safe: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(new RegExp(`%(${[...safe].map((c) => c.charCodeAt(0).toString(16).toUpperCase()).join('|')})`, 'g'), (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
  return `${type}; filename="${quote(filename, ' /')}"; filename*=UTF-8''${quote(filename, '/')}`
}

function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p))
}

function keysOf(meta: Readonly<Record<string, string>>): string[] {
  return ['temp-url-key', 'temp-url-key-2'].map((k) => meta[k]).filter((v): v is string => !!v)
}

function invalid(ctx: ProxyContext): HttpError {
  return ctx.method === 'HEAD' ? new HttpError(401, { body: '' }) : new HttpError(401, { body: '401 Unauthorized: Temp URL invalid\n' })
}

const sameAccount =
  (account: string): Authorize =>
  (t) =>
    t.account === account ? undefined : new HttpError(401)
const sameContainer =
  (account: string, container: string): Authorize =>
  (t) =>
    t.account === account && t.container === container ? undefined : new HttpError(401)

export function tempUrl(config: TempUrlConfig, deps: MiddlewareDeps): ProxyMiddleware {
  return async (ctx, next) => {
    if (ctx.method === 'OPTIONS') return next()
    const q = ctx.query
    const one = (k: string) => (Array.isArray(q[k]) ? q[k][0] : q[k])
    const sig = one('temp_url_sig')
    const expiresRaw = one('temp_url_expires')
    if (sig === undefined && expiresRaw === undefined) return next()
    const expires = expiresRaw === undefined ? 0 : parseExpires(expiresRaw, Date.now() / 1000)
    if (!sig || !expires) throw invalid(ctx)
    const digest = digestOfSignature(sig)
    if (!digest || !(config.allowedDigests as string[]).includes(digest.algorithm)) throw invalid(ctx)
    const p = swiftPathOf(ctx)
    if (!config.methods.includes(ctx.method) || !p || p.version !== 'v1' || p.container === undefined || !p.object?.replace(/\//g, '')) throw invalid(ctx)
    const ipRange = one('temp_url_ip_range')
    if (ipRange && !clientInRange(ctx, ipRange)) throw invalid(ctx)
    const prefix = one('temp_url_prefix')
    if (prefix !== undefined && !p.object.startsWith(prefix)) throw invalid(ctx)
    const accountInfo = await deps.getAccountInfo?.(ctx, p.account)
    const containerInfo = await deps.getContainerInfo?.(ctx, p.account, p.container)
    const scoped = [
      ...keysOf(accountInfo?.meta ?? {}).map((key) => ({ key, scope: 'account' as const })),
      ...keysOf(containerInfo?.meta ?? {}).map((key) => ({ key, scope: 'container' as const })),
    ]
    if (!scoped.length) throw invalid(ctx)
    const path = prefix === undefined ? `/v1/${p.account}/${p.container}/${p.object}` : `prefix:/v1/${p.account}/${p.container}/${prefix}`
    const methods = ctx.method === 'HEAD' ? ['HEAD', 'GET', 'POST', 'PUT'] : [ctx.method]
    const given = Buffer.from(digest.hex, 'hex')
    let scope: 'account' | 'container' | undefined
    for (const method of methods) {
      for (const k of scoped) {
        const want = Buffer.from(tempUrlHmac(method, expires, path, k.key, digest.algorithm, ipRange || undefined), 'hex')
        if (want.length === given.length && timingSafeEqual(want, given)) scope ??= k.scope
      }
    }
    if (!scope) throw invalid(ctx)
    if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) {
      for (const h of ['x-object-manifest', 'x-symlink-target', 'x-copy-from']) {
        if (ctx.get(h)) throw new HttpError(400, { body: `The header '${h.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())}' is not allowed in this tempurl` })
      }
    }
    for (const name of Object.keys(ctx.req.headers)) {
      if (!matchesAny(name, config.incomingAllowHeaders) && matchesAny(name, config.incomingRemoveHeaders)) delete ctx.req.headers[name]
    }
    // The signature stands in for a token: the auth middleware keeps this authorize.
    delete ctx.req.headers['x-auth-token']
    delete ctx.req.headers['x-storage-token']
    // Only the signature's own parameters reach the rest of the pipeline, as in Swift.
    const filename = one('filename')
    const inline = one('inline') !== undefined
    const kept = new URLSearchParams({ temp_url_sig: sig, temp_url_expires: String(expires) })
    if (prefix !== undefined) kept.set('temp_url_prefix', prefix)
    if (filename) kept.set('filename', filename)
    ctx.querystring = kept.toString()
    ctx.state.authorize = scope === 'account' ? sameAccount(p.account) : sameContainer(p.account, p.container)
    ctx.state.source = 'tempurl'
    ctx.state.swiftOwner = false
    await next()
    for (const name of ctx.res.getHeaderNames()) {
      if (!matchesAny(name, config.outgoingAllowHeaders) && matchesAny(name, config.outgoingRemoveHeaders)) ctx.res.removeHeader(name)
    }
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.status >= 200 && ctx.status < 300) {
      const existing = ctx.response.get('Content-Disposition')
      let value: string
      if (inline) value = filename ? dispositionFormat('inline', filename) : 'inline'
      else if (filename) value = dispositionFormat('attachment', filename)
      else if (existing) value = existing
      else value = dispositionFormat('attachment', basename(p.object.replace(/\/+$/, '')))
      ctx.set('Content-Disposition', value.replace(/\n/g, '%0A'))
      ctx.set('Expires', new Date(expires * 1000).toUTCString())
    }
  }
}

export const tempurlFactory: MiddlewareFactory = {
  name: 'tempurl',
  create(conf, deps) {
    const config = parseTempUrlConfig(conf)
    deps.registerInfo?.('tempurl', {
      methods: config.methods,
      incoming_remove_headers: config.incomingRemoveHeaders,
      incoming_allow_headers: config.incomingAllowHeaders,
      outgoing_remove_headers: config.outgoingRemoveHeaders,
      outgoing_allow_headers: config.outgoingAllowHeaders,
      allowed_digests: [...config.allowedDigests].sort(),
      ...(config.allowedDigests.includes('sha1') ? { deprecated_digests: ['sha1'] } : {}),
    })
    return tempUrl(config, deps)
  },
}
