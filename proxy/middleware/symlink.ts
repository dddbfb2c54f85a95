// Symlinks (Swift's symlink middleware): a zero-byte PUT with X-Symlink-Target:
// <container>/<object> (and X-Symlink-Target-Account) stores a link in system metadata; GET
// and HEAD follow it (at most symloop_max links, else 409), ?symlink=get shows the link
// itself with its X-Symlink-* headers. X-Symlink-Target-Etag makes a static link: the target
// must exist with that ETag when the link is made, and a GET whose target changed answers
// 409. A POST to a link is applied to the link and answered 307 pointing at the target.
// Container listings in JSON show symlink_path (and symlink_etag/_bytes for static links).
import { HttpError } from '../../common/http/errors.ts'
import type { IniSection } from '../../common/config/ini.ts'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import type { SwiftPath } from '../request-path.ts'
import { rewriteJsonListing } from '../json-listing.ts'
import { swiftPathOf } from '../request-path.ts'
import type { Downstream, SubResponse } from '../subrequest.ts'
import { downstreamOf, quoteSwiftPath, relayResponse, subrequest, withSysmeta } from '../subrequest.ts'

const SYS_TARGET = 'x-object-sysmeta-symlink-target'
const SYS_ACCOUNT = 'x-object-sysmeta-symlink-target-account'
const SYS_ETAG = 'x-object-sysmeta-symlink-target-etag'
const SYS_BYTES = 'x-object-sysmeta-symlink-target-bytes'
const SYMLOOP_EXTEND = 'x-object-sysmeta-symloop-extend'
const ALLOW_RESERVED_NAMES = 'x-object-sysmeta-allow-reserved-names'
const OVERRIDE_ETAG = 'x-object-sysmeta-container-update-override-etag'
const MD5_OF_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e'
const DEFAULT_SYMLOOP_MAX = 2
const TARGET_FORM = 'X-Symlink-Target header must be of the form <container name>/<object name>'

const plain = (status: number, body: string, headers: Record<string, string> = {}) => new HttpError(status, { body, headers: { 'Content-Type': 'text/plain', ...headers } })
const normalizeEtag = (etag: string | undefined) => (etag ? etag.replace(/^"(.*)"$/, '$1') : etag)
const truthy = (v: string | undefined) => v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.toLowerCase())
/** Python's repr of a str, as Swift's messages show ETags. */
const pyRepr = (s: string) => (s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function headersOf(ctx: ProxyContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.response.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v)
  return out
}

/** Checks the PUT's symlink headers and moves them to system metadata; returns the target path and etag. */
function prepareLinkHeaders(ctx: ProxyContext, p: SwiftPath): { path: string; etag: string | undefined } {
  const h = ctx.req.headers
  const raw = safeDecode(String(h['x-symlink-target']))
  if (raw.startsWith('/')) throw plain(412, TARGET_FORM)
  const slash = raw.indexOf('/')
  const container = slash < 0 ? '' : raw.slice(0, slash)
  const object = slash < 0 ? '' : raw.slice(slash + 1)
  if (!container || !object) throw plain(412, TARGET_FORM)
  let account = p.account
  if (h['x-symlink-target-account'] !== undefined) {
    account = safeDecode(String(h['x-symlink-target-account']))
    if (!account) throw plain(412, 'Account name cannot be empty')
    if (account.includes('/')) throw plain(412, 'Account name cannot contain slashes')
    h[SYS_ACCOUNT] = quoteSwiftPath(account)
  }
  if (account === p.account && container === p.container && object === p.object) throw plain(400, 'Symlink cannot target itself')
  const etag = normalizeEtag(h['x-symlink-target-etag'] as string | undefined)
  if (etag && /[;"\\]/.test(etag)) throw plain(400, 'Bad X-Symlink-Target-Etag format')
  if (!etag && !h['content-type']) h['content-type'] = 'application/symlink'
  h[SYS_TARGET] = quoteSwiftPath(`${container}/${object}`)
  delete h['x-symlink-target']
  delete h['x-symlink-target-account']
  delete h['x-symlink-target-etag']
  return { path: `/v1/${account}/${container}/${object}`, etag }
}

/** The request headers a followed GET/HEAD carries to the target. */
function forwardedHeaders(ctx: ProxyContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (v === undefined || k === 'host' || k === 'content-length' || k === 'transfer-encoding' || k === 'connection') continue
    out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

interface Walk {
  loops: number
  lastTarget: string | undefined
}

/**
 * Swift's _recursive_get_head: while the answer is a link (a static one even when soft links
 * are not followed), check its ETag against the link that led here and ask for its target.
 */
async function follow(ctx: ProxyContext, downstream: Downstream, p: SwiftPath, start: Record<string, string>, symloopMax: number, walk: Walk, followSoft: boolean, firstEtag?: string): Promise<{ sub?: SubResponse; headers: Record<string, string> }> {
  let headers = start
  let sub: SubResponse | undefined
  let targetEtag = firstEtag
  for (;;) {
    const target = headers[SYS_TARGET]
    const linkEtag = headers[SYS_ETAG]
    if (!(target && (linkEtag || followSoft))) break
    sub?.discard()
    const found = linkEtag ?? headers.etag
    if (targetEtag && normalizeEtag(targetEtag) !== normalizeEtag(found)) {
      throw plain(409, 'X-Symlink-Target-Etag headers do not match', walk.lastTarget ? { 'Content-Location': walk.lastTarget } : {})
    }
    if (walk.loops >= symloopMax) throw plain(409, `Too many levels of symbolic links, maximum allowed is ${symloopMax}`)
    const account = headers[SYS_ACCOUNT] ?? quoteSwiftPath(p.account)
    walk.lastTarget = `/${p.version}/${account}/${target.replace(/^\/+/, '')}`
    if (!truthy(headers[SYMLOOP_EXTEND])) walk.loops++
    targetEtag = linkEtag
    const followHeaders = forwardedHeaders(ctx)
    // Links made by object versioning point into the reserved namespace, which no client can
    // name: the middleware that made the link authorized the request, so it is followed
    // pre-authorized (Swift's make_pre_authed_request), as a container read ACL allows.
    const reserved = truthy(headers[ALLOW_RESERVED_NAMES])
    if (reserved) followHeaders['x-backend-allow-reserved-names'] = 'true'
    sub = await subrequest(ctx, downstream, { method: ctx.method === 'HEAD' ? 'HEAD' : 'GET', path: walk.lastTarget, headers: followHeaders, userAgent: `${ctx.get('User-Agent')} Symlink`, ...(reserved ? { state: { authorize: undefined } } : {}) })
    headers = sub.headers
  }
  const finalEtag = headers.etag
  if (finalEtag && targetEtag && normalizeEtag(finalEtag) !== normalizeEtag(targetEtag)) {
    sub?.discard()
    throw plain(409, `Object Etag ${pyRepr(normalizeEtag(finalEtag) ?? '')} does not match X-Symlink-Target-Etag header ${pyRepr(targetEtag)}`, walk.lastTarget ? { 'Content-Location': walk.lastTarget } : {})
  }
  return sub ? { sub, headers } : { headers }
}

async function getOrHead(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: SwiftPath, symloopMax: number): Promise<void> {
  const ignore = ctx.get('X-Backend-Ignore-Range-If-Metadata-Present')
  ctx.req.headers['x-backend-ignore-range-if-metadata-present'] = ignore ? `${ignore},X-Object-Sysmeta-Symlink-Target` : 'X-Object-Sysmeta-Symlink-Target'
  await next()
  const start = headersOf(ctx)
  if (!start[SYS_TARGET]) return
  const walk: Walk = { loops: 0, lastTarget: undefined }
  const { sub } = await follow(ctx, downstream, p, start, symloopMax, walk, true)
  if (sub) await relayResponse(ctx, sub, walk.lastTarget ? { 'Content-Location': walk.lastTarget } : {})
}

/** ?symlink=get: the link itself, its target shown as X-Symlink-* headers. */
async function showLink(ctx: ProxyContext, next: () => Promise<void>): Promise<void> {
  await next()
  const renames: [string, string][] = [
    [SYS_TARGET, 'X-Symlink-Target'],
    [SYS_ACCOUNT, 'X-Symlink-Target-Account'],
    [SYS_ETAG, 'X-Symlink-Target-Etag'],
    [SYS_BYTES, 'X-Symlink-Target-Bytes'],
  ]
  for (const [sys, user] of renames) {
    const value = ctx.response.get(sys)
    if (!value) continue
    ctx.remove(sys)
    ctx.set(user, String(value))
  }
}

async function putLink(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: SwiftPath, symloopMax: number): Promise<void> {
  const length = ctx.get('Content-Length')
  const chunked = ctx.get('Transfer-Encoding').toLowerCase() === 'chunked'
  let hasBody = length !== '' && length !== '0'
  if (length === '' && chunked) {
    for await (const chunk of ctx.req.iterator({ destroyOnReturn: false })) {
      if ((chunk as Buffer).length) {
        hasBody = true
        break
      }
    }
  }
  if (hasBody) throw plain(400, 'Symlink requests require a zero byte body')
  const target = prepareLinkHeaders(ctx, p)
  const h = ctx.req.headers
  if (target.etag) {
    const walk: Walk = { loops: 0, lastTarget: target.path }
    const head = await subrequest(ctx, downstream, { method: 'HEAD', path: quoteSwiftPath(target.path), userAgent: `${ctx.get('User-Agent')} Symlink` })
    const { sub, headers } = await follow(ctx, downstream, p, head.headers, symloopMax, walk, false, target.etag)
    const status = (sub ?? head).status
    if (status === 404) throw plain(409, 'X-Symlink-Target does not exist', { 'Content-Location': walk.lastTarget ?? target.path })
    if (status < 200 || status >= 300) throw new HttpError(status)
    const override = headers[OVERRIDE_ETAG]
    if (override !== undefined && h[OVERRIDE_ETAG] === undefined) {
      const semi = override.indexOf(';')
      h[OVERRIDE_ETAG] = semi < 0 ? MD5_OF_EMPTY : MD5_OF_EMPTY + override.slice(semi)
    }
    if (headers['x-object-sysmeta-slo-etag'] !== undefined && h[OVERRIDE_ETAG] === undefined) h[OVERRIDE_ETAG] = `${MD5_OF_EMPTY}; slo_etag=${headers['x-object-sysmeta-slo-etag']}`
    h[SYS_BYTES] = headers['x-object-sysmeta-slo-size'] ?? headers['content-length'] ?? '0'
    h[SYS_ETAG] = target.etag
    if (!h['content-type'] && headers['content-type']) h['content-type'] = headers['content-type']
  }
  const parts = [String(h[OVERRIDE_ETAG] ?? MD5_OF_EMPTY), `symlink_target=${String(h[SYS_TARGET])}`]
  if (h[SYS_ACCOUNT] !== undefined) parts.push(`symlink_target_account=${String(h[SYS_ACCOUNT])}`)
  if (h[SYS_ETAG] !== undefined) parts.push(`symlink_target_etag=${String(h[SYS_ETAG])}`, `symlink_target_bytes=${String(h[SYS_BYTES])}`)
  h[OVERRIDE_ETAG] = parts.join('; ')
  return next()
}

async function postToLink(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: SwiftPath): Promise<void> {
  if (ctx.get('X-Symlink-Target')) throw plain(400, 'A PUT request is required to set a symlink target')
  await next()
  if (ctx.status < 200 || ctx.status >= 300) return
  // Swift reads the link from the POST's answer; Tern's object servers do not return system
  // metadata on POST, so the object is looked at once more.
  let seen = headersOf(ctx)
  if (!seen[SYS_TARGET]) {
    const head = await subrequest(ctx, downstream, { method: 'HEAD', path: ctx.path, query: { symlink: 'get' }, userAgent: `${ctx.get('User-Agent')} Symlink` })
    head.discard()
    seen = head.headers
  }
  const target = seen[SYS_TARGET]
  if (!target) return
  const account = seen[SYS_ACCOUNT] || quoteSwiftPath(p.account)
  const headers: Record<string, string> = { Location: `/${p.version}/${account}/${target}` }
  const etag = seen[SYS_ETAG]
  if (etag) headers['X-Symlink-Target-Etag'] = etag
  throw new HttpError(307, { body: 'The requested POST was applied to a symlink. POST directly to the target to apply requested metadata.', headers })
}

/** JSON listings: "hash; symlink_target=..." becomes symlink_path (+ symlink_etag/_bytes). */
function rewriteListing(ctx: ProxyContext, next: () => Promise<void>, p: SwiftPath): Promise<void> {
  return rewriteJsonListing(ctx, next, 'symlink_target', (row, etag, params) => {
    let hash = etag
    let target: string | undefined
    let account = p.account
    for (const param of params) {
      const eq = param.indexOf('=')
      const key = eq < 0 ? param : param.slice(0, eq)
      const value = eq < 0 ? '' : param.slice(eq + 1)
      if (key === 'symlink_target') target = value
      else if (key === 'symlink_target_account') account = value
      else if (key === 'symlink_target_etag') row.symlink_etag = value
      else if (key === 'symlink_target_bytes') row.symlink_bytes = Number.parseInt(value, 10)
      else hash += `; ${key}=${value}`
    }
    row.hash = hash
    if (target) row.symlink_path = `/${p.version}/${account}/${target}`
  })
}

export function symlink(symloopMax: number): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    const p = swiftPathOf(ctx)
    if (!p?.container) return next()
    if (p.object === undefined) return ctx.method === 'GET' ? rewriteListing(ctx, next, p) : next()
    const downstream = downstreamOf(ctx, mw)
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      if (ctx.query.symlink === 'get') return withSysmeta(ctx, () => showLink(ctx, next))
      return withSysmeta(ctx, () => getOrHead(ctx, next, downstream, p, symloopMax))
    }
    if (ctx.method === 'PUT' && ctx.req.headers['x-symlink-target'] !== undefined) return putLink(ctx, next, downstream, p, symloopMax)
    if (ctx.method === 'POST') return withSysmeta(ctx, () => postToLink(ctx, next, downstream, p))
    return next()
  }
  return mw
}

export function parseSymloopMax(conf: IniSection): number {
  const n = Number.parseInt(conf.symloop_max ?? '', 10)
  return Number.isFinite(n) && n >= 1 ? n : DEFAULT_SYMLOOP_MAX
}

export const symlinkFactory: MiddlewareFactory = {
  name: 'symlink',
  create(conf, deps) {
    const symloopMax = parseSymloopMax(conf)
    deps.registerInfo?.('symlink', { symloop_max: symloopMax, static_links: true })
    return symlink(symloopMax)
  },
}
