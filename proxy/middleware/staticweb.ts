// Static web sites from containers (Swift's staticweb middleware), for anonymous GET/HEAD
// (or any caller sending X-Web-Mode: true) once an auth middleware is in front:
// X-Container-Meta-Web-Index names the index object served for the container and its
// pseudo-directories, -Web-Listings: true serves HTML listings (styled by -Web-Listings-CSS,
// titled by -Web-Listings-Label), -Web-Error: <suffix> serves "<status><suffix>" objects as
// error pages, and objects of -Web-Directory-Type (default application/directory) are
// directory markers. Paths to directories without a trailing slash are redirected (301).
import { HttpError } from '../../common/http/errors.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import type { SwiftPath } from '../request-path.ts'
import { swiftPathOf } from '../request-path.ts'
import type { Downstream, SubResponse } from '../subrequest.ts'
import { downstreamOf, quoteSwiftPath, subrequest } from '../subrequest.ts'

interface WebSettings {
  index: string
  error: string
  listings: string
  listingsLabel: string
  listingsCss: string
  dirType: string
  readAcl: string | undefined
}

const truthy = (v: string | undefined) => v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.trim().toLowerCase())
const ok = (s: number) => s >= 200 && s < 300
const redirection = (s: number) => s >= 300 && s < 400

/** Python's html.escape (quote=True). */
const htmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;')
/** Python's urllib quote with the given safe characters besides the always-safe ones. */
const quote = (s: string, safe = '/') =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) => {
      const ch = String.fromCharCode(b)
      return /[A-Za-z0-9_.\-~]/.test(ch) || safe.includes(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Swift's utils.human_readable: 1023, 1Ki, 2Mi... */
export function humanReadable(bytes: number): string {
  const suffixes = 'KMGTPEZY'
  let value = bytes
  let index = -1
  while (value >= 1024 && index + 1 < suffixes.length) {
    index++
    value = roundHalfEven(value / 1024)
  }
  return index === -1 ? String(Math.trunc(value)) : `${roundHalfEven(value)}${suffixes[index]}i`
}

async function settingsOf(ctx: ProxyContext, deps: MiddlewareDeps, p: SwiftPath): Promise<WebSettings> {
  const info = await deps.getContainerInfo?.(ctx, p.account, p.container as string)
  const meta = info && ok(info.status) ? info.meta : {}
  const get = (k: string) => (meta[k] ?? '').trim()
  return { index: get('web-index'), error: get('web-error'), listings: get('web-listings'), listingsLabel: get('web-listings-label'), listingsCss: get('web-listings-css'), dirType: get('web-directory-type'), readAcl: info?.readAcl }
}

function clearResponse(ctx: ProxyContext): void {
  const body = ctx.body as { destroy?: () => void } | null
  if (body && typeof body.destroy === 'function') body.destroy()
  const keep = new Set(['x-trans-id', 'x-openstack-request-id'])
  for (const name of ctx.res.getHeaderNames()) if (!keep.has(name)) ctx.res.removeHeader(name)
}

async function answerWith(ctx: ProxyContext, sub: SubResponse, status = sub.status): Promise<void> {
  clearResponse(ctx)
  if (ctx.method === 'HEAD' || status === 204 || status === 304) {
    ctx.body = null
    sub.discard()
  } else ctx.body = sub.stream ?? (await sub.buffer())
  ctx.status = status
  for (const [k, v] of Object.entries(sub.headers)) if (k !== 'x-trans-id' && k !== 'x-openstack-request-id') ctx.set(k, v)
}

function answerHtml(ctx: ProxyContext, status: number, body: string): void {
  clearResponse(ctx)
  ctx.body = body
  ctx.status = status
  ctx.type = 'text/html; charset=UTF-8'
}

class StaticWebRequest {
  constructor(
    private readonly ctx: ProxyContext,
    private readonly downstream: Downstream,
    private readonly p: SwiftPath,
    private readonly web: WebSettings,
  ) {}

  private get base(): string {
    return `/${this.p.version}/${quoteSwiftPath(this.p.account)}/${quoteSwiftPath(this.p.container as string)}`
  }

  private get(path: string, query?: Record<string, string>): Promise<SubResponse> {
    return subrequest(this.ctx, this.downstream, { method: this.ctx.method === 'HEAD' && !query ? 'HEAD' : 'GET', path, ...(query ? { query } : {}), userAgent: `${this.ctx.get('User-Agent')} StaticWeb` })
  }

  /** Swift's _error_response: the "<status><web-error>" object's body under the error's status. */
  async error(status: number, fallback: () => void | Promise<void>, useErrorPage = true): Promise<void> {
    if (!useErrorPage || !this.web.error) return fallback()
    const page = await subrequest(this.ctx, this.downstream, { method: 'GET', path: `${this.base}/${quoteSwiftPath(`${status}${this.web.error}`)}`, userAgent: `${this.ctx.get('User-Agent')} StaticWeb` })
    if (!ok(page.status)) {
      page.discard()
      return fallback()
    }
    await answerWith(this.ctx, page, status)
  }

  redirectWithSlash(): void {
    clearResponse(this.ctx)
    this.ctx.status = 301
    this.ctx.set('Location', `${this.ctx.path}/`)
    this.ctx.type = 'text/html; charset=UTF-8'
    this.ctx.body = '<html><h1>Moved Permanently</h1><p>The resource has moved permanently.</p></html>'
  }

  private cssPath(prefix: string): string {
    const css = this.web.listingsCss
    if (/^(\/|http:\/\/|https:\/\/)/.test(css)) return quote(css, ':/')
    return '../'.repeat((prefix.match(/\//g) ?? []).length) + quote(css)
  }

  async listing(prefix = ''): Promise<void> {
    let label = this.p.decoded + (this.ctx.path.endsWith('/') && !this.p.decoded.endsWith('/') ? '/' : '')
    if (this.web.listingsLabel) label = `${this.web.listingsLabel}/${label.split('/').slice(4).join('/')}`
    const doctype = '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n<html>\n'
    if (!truthy(this.web.listings)) {
      let body = `${doctype}<head>\n<title>Listing of ${htmlEscape(label)}</title>\n`
      body += this.web.listingsCss
        ? `  <link rel="stylesheet" type="text/css" href="${this.cssPath(prefix)}" />\n`
        : '  <style type="text/css">\n   h1 {font-size: 1em; font-weight: bold;}\n   p {font-size: 2}\n  </style>\n'
      body +=
        '</head>\n<body>  <h1>Web Listing Disabled</h1>   <p>The owner of this web site has disabled web listing.   <p>If you are the owner of this web site, you can enable   web listing by setting X-Container-Meta-Web-Listings.</p>'
      if (this.web.index) body += `<h1>Index File Not Found</h1> <p>The owner of this web site has set  <b>X-Container-Meta-Web-Index: ${this.web.index}</b>.  However, this file is not found.</p>`
      body += ' </body>\n</html>\n'
      return this.error(404, () => answerHtml(this.ctx, 404, body))
    }
    const res = await subrequest(this.ctx, this.downstream, { method: 'GET', path: this.base, query: { format: 'json', delimiter: '/', ...(prefix ? { prefix } : {}) }, userAgent: `${this.ctx.get('User-Agent')} StaticWeb` })
    if (!ok(res.status)) return this.error(res.status, () => answerWith(this.ctx, res))
    const text = await res.text()
    const listing = (text ? JSON.parse(text) : []) as { subdir?: string; name?: string; bytes?: number; content_type?: string; last_modified?: string }[]
    if (prefix && !listing.length) return this.error(404, () => { throw new HttpError(404) })
    let body = `${doctype} <head>\n  <title>Listing of ${htmlEscape(label)}</title>\n`
    body += this.web.listingsCss
      ? `  <link rel="stylesheet" type="text/css" href="${this.cssPath(prefix)}" />\n`
      : '  <style type="text/css">\n   h1 {font-size: 1em; font-weight: bold;}\n   th {text-align: left; padding: 0px 1em 0px 1em;}\n   td {padding: 0px 1em 0px 1em;}\n   a {text-decoration: none;}\n  </style>\n'
    body += ` </head>\n <body>\n  <h1 id="title">Listing of ${htmlEscape(label)}</h1>\n  <table id="listing">\n   <tr id="heading">\n    <th class="colname">Name</th>\n    <th class="colsize">Size</th>\n    <th class="coldate">Date</th>\n   </tr>\n`
    if (prefix) body += '   <tr id="parent" class="item">\n    <td class="colname"><a href="../">../</a></td>\n    <td class="colsize">&nbsp;</td>\n    <td class="coldate">&nbsp;</td>\n   </tr>\n'
    for (const item of listing) {
      if (item.subdir === undefined) continue
      const subdir = item.subdir.slice(prefix.length)
      body += `   <tr class="item subdir">\n    <td class="colname"><a href="${quote(subdir)}">${htmlEscape(subdir)}</a></td>\n    <td class="colsize">&nbsp;</td>\n    <td class="coldate">&nbsp;</td>\n   </tr>\n`
    }
    for (const item of listing) {
      if (item.name === undefined) continue
      const name = item.name.slice(prefix.length)
      const types = (item.content_type ?? '').split('/').map((t) => `type-${htmlEscape(t.toLowerCase())}`).join(' ')
      const date = htmlEscape(item.last_modified ?? '').split('.')[0]?.replace('T', ' ') ?? ''
      body += `   <tr class="item ${types}">\n    <td class="colname"><a href="${quote(name)}">${htmlEscape(name)}</a></td>\n    <td class="colsize">${humanReadable(item.bytes ?? 0)}</td>\n    <td class="coldate">${date}</td>\n   </tr>\n`
    }
    body += '  </table>\n </body>\n</html>\n'
    answerHtml(this.ctx, 200, body)
  }

  async container(next: () => Promise<void>): Promise<void> {
    const denied = this.ctx.state.authorize?.({ method: this.ctx.method, account: this.p.account, container: this.p.container, containerAcl: { read: this.web.readAcl }, referrer: this.ctx.get('Referer') || undefined })
    if (denied) return this.error(denied.status, () => { throw denied })
    if (!this.web.listings && !this.web.index) {
      if (truthy(this.ctx.get('X-Web-Mode'))) throw new HttpError(404)
      return next()
    }
    if (!this.ctx.path.endsWith('/')) return this.redirectWithSlash()
    if (!this.web.index) return this.listing()
    const index = await this.get(`${this.ctx.path}${quoteSwiftPath(this.web.index)}`)
    if (index.status === 404) {
      index.discard()
      return this.listing()
    }
    if (!ok(index.status) && !redirection(index.status)) return this.error(index.status, () => answerWith(this.ctx, index))
    await answerWith(this.ctx, index)
  }

  async object(next: () => Promise<void>): Promise<void> {
    await next()
    let status = this.ctx.status
    if (ok(status) || redirection(status)) {
      const dirType = this.web.dirType || 'application/directory'
      const length = Number(this.ctx.response.get('Content-Length') || 0)
      if (this.ctx.response.get('Content-Type') !== dirType || length > 1) return
      status = 404
    }
    if (status !== 404) return
    if (!this.web.listings && !this.web.index) return
    const path = this.ctx.path
    if (this.web.index) {
      const index = await this.get(`${path}${path.endsWith('/') ? '' : '/'}${quoteSwiftPath(this.web.index)}`)
      if (ok(index.status) || redirection(index.status)) {
        if (!path.endsWith('/')) {
          index.discard()
          return this.redirectWithSlash()
        }
        return answerWith(this.ctx, index)
      }
      index.discard()
      if (index.status !== 404) return
    }
    if (!path.endsWith('/')) {
      const probe = await subrequest(this.ctx, this.downstream, { method: 'GET', path: this.base, query: { format: 'json', limit: '1', delimiter: '/', prefix: `${this.p.object}/` }, userAgent: `${this.ctx.get('User-Agent')} StaticWeb` })
      const text = ok(probe.status) ? await probe.text() : ''
      if (!text || !(JSON.parse(text) as unknown[]).length) return this.error(404, () => answerNotFound(this.ctx))
      return this.redirectWithSlash()
    }
    return this.listing(this.p.object)
  }
}

function answerNotFound(ctx: ProxyContext): void {
  answerHtml(ctx, 404, '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>')
}

export function staticWeb(deps: MiddlewareDeps): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    if (!ctx.state.authorize) return next()
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next()
    const p = swiftPathOf(ctx)
    if (!p?.container) return next()
    if (ctx.state.identity && !truthy(ctx.get('X-Web-Mode'))) return next()
    const web = await settingsOf(ctx, deps, p)
    const request = new StaticWebRequest(ctx, downstreamOf(ctx, mw), p, web)
    return p.object === undefined || p.object === '' ? request.container(next) : request.object(next)
  }
  return mw
}

export const staticWebFactory: MiddlewareFactory = {
  name: 'staticweb',
  create(_conf, deps) {
    deps.registerInfo?.('staticweb', {})
    return staticWeb(deps)
  },
}
