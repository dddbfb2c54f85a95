// Browser form uploads (Swift's formpost middleware): a multipart/form-data POST to a
// container (or a prefix in it) whose fields redirect, max_file_size, max_file_count and
// expires are signed with HMAC-SHA1/256/512 ("<path>\n<redirect>\n<max_file_size>\n
// <max_file_count>\n<expires>") under an account or container Temp-URL key. Each file field
// becomes a PUT of <path>/<filename>; the answer is the last PUT's status as text, or a 303
// to `redirect` with ?status=&message=. Bad signatures and expired forms are 401, oversized
// or too many files 400; a file over max_file_size is refused before anything is stored.
// The form is read whole (up to max_form_bytes) before any upload starts.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { HttpError } from '../../common/http/errors.ts'
import { reasonPhrase } from '../../common/http/status.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import { swiftPathOf } from '../request-path.ts'
import { downstreamOf, quoteSwiftPath, subrequest } from '../subrequest.ts'
import type { Downstream } from '../subrequest.ts'
import { digestOfSignature } from './tempurl.ts'

const MAX_VALUE_LENGTH = 4096

interface FormPart {
  headers: Record<string, string>
  disposition: { type: string; attrs: Record<string, string> }
  body: Buffer
}

function parseDisposition(value: string): { type: string; attrs: Record<string, string> } {
  const [type = '', ...rest] = value.split(';')
  const attrs: Record<string, string> = {}
  for (const m of rest.join(';').matchAll(/\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) attrs[(m[1] ?? '').toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim()
  return { type: type.trim().toLowerCase(), attrs }
}

/** Splits a multipart body into its parts; throws on a missing starting boundary. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  if (at < 0) throw new HttpError(400, { body: 'FormPost: invalid starting boundary', headers: { 'Content-Type': 'text/plain' } })
  const parts: FormPart[] = []
  for (;;) {
    at += delimiter.length
    if (body.subarray(at, at + 2).toString() === '--') break
    const headStart = body.indexOf('\r\n', at) + 2
    const headEnd = body.indexOf('\r\n\r\n', headStart - 2)
    if (headStart < 2 || headEnd < 0) break
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd + 4)
    const end = next < 0 ? body.length : next
    const headers: Record<string, string> = {}
    for (const line of body.subarray(headStart, headEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    parts.push({ headers, disposition: parseDisposition(headers['content-disposition'] ?? ''), body: body.subarray(headEnd + 4, end) })
    if (next < 0) break
    at = next + 2
  }
  return parts
}

const title = (s: string) => s.replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())

async function readForm(ctx: ProxyContext, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of ctx.req) {
    size += (c as Buffer).length
    if (size > max) throw new HttpError(413, { body: 'FormPost: form too large' })
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks)
}

function checkSignature(attributes: Record<string, string>, path: string, keys: readonly string[], allowed: readonly string[]): void {
  if (!keys.length) throw new HttpError(401, { body: 'FormPost: Invalid Signature' })
  const expires = attributes.expires || '0'
  if (!/^[-+]?\d+$/.test(expires)) throw new HttpError(400, { body: 'FormPost: expired not an integer', headers: { 'Content-Type': 'text/plain' } })
  if (Number(expires) < Date.now() / 1000) throw new HttpError(401, { body: 'FormPost: Form Expired' })
  const hmacBody = [path, attributes.redirect || '', attributes.max_file_size || '0', attributes.max_file_count || '0', expires].join('\n')
  const digest = digestOfSignature(attributes.signature ?? '')
  if (!digest || !allowed.includes(digest.algorithm)) throw new HttpError(401, { body: 'FormPost: Invalid Signature' })
  const given = Buffer.from(digest.hex, 'hex')
  const ok = keys.some((key) => {
    const want = createHmac(digest.algorithm, key).update(hmacBody).digest()
    return want.length === given.length && timingSafeEqual(want, given)
  })
  if (!ok) throw new HttpError(401, { body: 'FormPost: Invalid Signature' })
}

async function translateForm(ctx: ProxyContext, downstream: Downstream, deps: MiddlewareDeps, form: FormPart[], p: { account: string; container: string; decoded: string }, allowed: readonly string[]): Promise<void> {
  const accountInfo = await deps.getAccountInfo?.(ctx, p.account)
  const containerInfo = await deps.getContainerInfo?.(ctx, p.account, p.container)
  const keys = [accountInfo?.meta ?? {}, containerInfo?.meta ?? {}].flatMap((m) => [m['temp-url-key'], m['temp-url-key-2']]).filter((k): k is string => !!k)
  const attributes: Record<string, string> = {}
  let status = ''
  let message = ''
  let fileCount = 0
  for (const part of form) {
    const filename = part.disposition.attrs.filename
    if (part.disposition.type === 'form-data' && filename) {
      fileCount++
      const maxCount = attributes.max_file_count || '0'
      if (!/^\d+$/.test(maxCount)) throw new HttpError(400, { body: 'FormPost: max_file_count not an integer', headers: { 'Content-Type': 'text/plain' } })
      if (fileCount > Number(maxCount)) {
        status = '400 Bad Request'
        message = 'max file count exceeded'
        break
      }
      const maxSize = attributes.max_file_size || '0'
      if (!/^\d+$/.test(maxSize)) throw new HttpError(400, { body: 'FormPost: max_file_size not an integer', headers: { 'Content-Type': 'text/plain' } })
      checkSignature(attributes, p.decoded, keys, allowed)
      if (part.body.length > Number(maxSize)) throw new HttpError(400, { body: 'FormPost: max_file_size exceeded', headers: { 'Content-Type': 'text/plain' } })
      const headers: Record<string, string> = { 'content-type': attributes['content-type'] || part.headers['content-type'] || 'application/octet-stream' }
      const encoding = attributes['content-encoding'] ?? part.headers['content-encoding']
      if (encoding) headers['content-encoding'] = encoding
      for (const [field, header, what] of [['x_delete_at', 'x-delete-at', 'Unix timestamp required.'], ['x_delete_after', 'x-delete-after', 'Number of seconds required.']] as const) {
        const v = attributes[field]
        if (v === undefined) continue
        if (!/^[-+]?\d+$/.test(v)) throw new HttpError(400, { body: `FormPost: ${field} not an integer: ${what}`, headers: { 'Content-Type': 'text/plain' } })
        headers[header] = String(Number(v))
      }
      const base = p.decoded.slice(p.decoded.indexOf('/', 1))
      const dir = !base.endsWith('/') && p.decoded.split('/').length - 1 < 4 ? `${p.decoded}/` : p.decoded
      const res = await subrequest(ctx, downstream, {
        method: 'PUT',
        path: quoteSwiftPath(dir + filename),
        headers,
        body: part.body,
        state: { authorize: () => undefined, swiftOwner: false },
        userAgent: `${ctx.get('User-Agent')} FormPost`.trim(),
      })
      res.discard()
      status = `${res.status} ${reasonPhrase(res.status)}`
      if (res.status < 200 || res.status >= 300) break
    } else if (part.disposition.attrs.name) {
      attributes[part.disposition.attrs.name.toLowerCase()] = part.body.subarray(0, MAX_VALUE_LENGTH).toString('utf8').replace(/[\r\n-]+$/, '')
    }
  }
  if (!status) {
    status = '400 Bad Request'
    message = 'no files to process'
  }
  const redirect = attributes.redirect
  if (!redirect) {
    ctx.status = Number(status.slice(0, 3))
    ctx.type = 'text/plain'
    ctx.body = message ? `${status}\r\nFormPost: ${title(message)}` : status
    return
  }
  const location = `${redirect}${redirect.includes('?') ? '&' : '?'}status=${encodeURIComponent(status.slice(0, 3))}&message=${encodeURIComponent(message)}`
  ctx.status = 303
  ctx.set('Location', location)
  ctx.type = 'text/html; charset=UTF-8'
  ctx.body = `<html><body><p><a href="${location}">Click to continue...</a></p></body></html>`
}

export function formPost(deps: MiddlewareDeps, options: { allowedDigests: readonly string[]; maxFormBytes: number }): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    if (ctx.method !== 'POST') return next()
    const type = parseDisposition(ctx.get('Content-Type'))
    const boundary = type.attrs.boundary
    if (type.type !== 'multipart/form-data' || !boundary) return next()
    const p = swiftPathOf(ctx)
    if (!p || p.container === undefined) return next()
    delete ctx.req.headers['x-auth-token']
    delete ctx.req.headers['x-storage-token']
    const form = parseMultipart(await readForm(ctx, options.maxFormBytes), boundary)
    ctx.state.source = 'formpost'
    await translateForm(ctx, downstreamOf(ctx, mw), deps, form, { account: p.account, container: p.container, decoded: p.decoded }, options.allowedDigests)
  }
  return mw
}

export const formpostFactory: MiddlewareFactory = {
  name: 'formpost',
  create(conf, deps) {
    const allowed = (conf.allowed_digests ?? 'sha1 sha256 sha512').split(/\s+/).filter(Boolean)
    deps.registerInfo?.('formpost', { allowed_digests: [...allowed].sort(), ...(allowed.includes('sha1') ? { deprecated_digests: ['sha1'] } : {}) })
    return formPost(deps, { allowedDigests: allowed, maxFormBytes: Number(conf.max_form_bytes ?? 256 * 1024 * 1024) })
  },
}
