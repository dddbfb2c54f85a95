// Server-side copy as a pipeline filter (Swift's copy middleware): COPY (Destination,
// Destination-Account) becomes a PUT of the destination with X-Copy-From; a PUT with
// X-Copy-From GETs the source through the rest of the pipeline — so an SLO, a DLO or a
// symlink is read as the object it assembles — and PUTs those bytes, again through the rest
// of the pipeline (quotas, slo, versioning see a plain PUT of known length). With
// ?multipart-manifest=get the manifest itself is copied: an SLO's raw manifest is PUT back
// with ?multipart-manifest=put (checked again by slo), a DLO's X-Object-Manifest is kept.
// Metadata follows the source unless X-Fresh-Metadata is true (then only its sysmeta); the
// client's headers win. Without this filter the proxy's object controller copies plain bytes.
import { checkNameFormat } from '../../common/constraints-check.ts'
import { DEFAULT_CONSTRAINTS } from '../../common/constraints.ts'
import { HttpError } from '../../common/http/errors.ts'
import { iniBool } from '../../common/config/ini.ts'
import { quotePath } from '../../common/backend-client.ts'
import { copiedHeader, parsePathHeader } from '../controllers/object-copy.ts'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import { swiftPathOf } from '../request-path.ts'
import type { Downstream } from '../subrequest.ts'
import { downstreamOf, quoteSwiftPath, relayResponse, subrequest } from '../subrequest.ts'

interface ObjectName {
  account: string
  container: string
  object: string
}

const SLO_MARKER = 'x-static-large-object'
const DLO_MANIFEST = 'x-object-manifest'
const UPDATE_OVERRIDE = 'x-object-sysmeta-container-update-override-'
/** Request headers that name the copy, never passed to the source GET or the sink PUT. */
const COPY_HEADERS = ['x-copy-from', 'x-copy-from-account', 'destination', 'destination-account', 'content-length', 'transfer-encoding', 'host', 'user-agent']

const objectPath = (o: ObjectName) => `/v1/${quoteSwiftPath(o.account)}/${quoteSwiftPath(o.container)}/${quoteSwiftPath(o.object)}`

function accountHeader(value: string): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(value)
  } catch {
    decoded = value
  }
  return checkNameFormat(decoded, 'Account')
}

function clientHeaders(ctx: ProxyContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.req.headers)) if (v !== undefined && !COPY_HEADERS.includes(k)) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

function queryOf(ctx: ProxyContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.query)) if (typeof v === 'string') out[k] = v
  return out
}

async function copy(ctx: ProxyContext, downstream: Downstream, source: ObjectName, dest: ObjectName, maxFileSize: number): Promise<void> {
  const cl = ctx.get('Content-Length')
  if (cl && cl !== '0') throw new HttpError(400, { body: 'Copy requests require a zero byte body', headers: { 'Content-Type': 'text/plain' } })
  const params = queryOf(ctx)
  const manifestCopy = params['multipart-manifest'] === 'get'
  const request = clientHeaders(ctx)

  const sourceQuery = { ...params }
  if (manifestCopy) sourceQuery.format = 'raw'
  const src = await subrequest(ctx, downstream, { method: 'GET', path: objectPath(source), query: sourceQuery, headers: { ...request, 'x-newest': 'true' }, userAgent: ctx.get('User-Agent') })
  if (src.status >= 300) return relayResponse(ctx, src)
  const length = src.headers['content-length']
  if (length === undefined || Number(length) > maxFileSize) {
    src.discard()
    throw new HttpError(413)
  }

  const sink: Record<string, string> = {}
  if (iniBool(ctx.get('X-Fresh-Metadata'), false)) {
    for (const [k, v] of Object.entries(src.headers)) if (k.startsWith('x-object-sysmeta-')) sink[k] = v
  } else {
    for (const [k, v] of Object.entries(src.headers)) if (copiedHeader(k)) sink[k] = v
  }
  Object.assign(sink, request)
  delete sink['x-fresh-metadata']
  const sinkQuery = { ...params }
  delete sinkQuery['version-id']
  const isSlo = src.headers[SLO_MARKER] !== undefined
  const dloManifest = src.headers[DLO_MANIFEST]
  if (manifestCopy) {
    if (isSlo) sinkQuery['multipart-manifest'] = 'put'
    if (dloManifest !== undefined) {
      delete sinkQuery['multipart-manifest']
      sink[DLO_MANIFEST] = dloManifest
    }
  }
  if (src.status === 200 && !isSlo && (dloManifest === undefined || manifestCopy) && src.headers.etag) {
    // Verify the copied bytes; an SLO's or DLO's ETag is not the MD5 of what it reads as.
    sink.etag = src.headers.etag.replace(/"/g, '')
  } else {
    for (const k of Object.keys(sink)) if (k.startsWith(UPDATE_OVERRIDE)) delete sink[k]
  }
  if (!ctx.get('Content-Type') && src.headers['content-type']) sink['content-type'] = src.headers['content-type']
  sink['content-length'] = length

  const copied: Record<string, string> = {
    'X-Copied-From-Account': quotePath(source.account),
    'X-Copied-From': quotePath(`${source.container}/${source.object}`),
  }
  if (src.headers['last-modified']) copied['X-Copied-From-Last-Modified'] = src.headers['last-modified']
  if (src.headers['x-object-version-id']) copied['X-Copied-From-Version-Id'] = src.headers['x-object-version-id']
  for (const [k, v] of Object.entries(sink)) if (copiedHeader(k) && !k.startsWith('x-object-sysmeta-')) copied[k] = v

  const body = src.stream ?? (await src.buffer())
  const put = await subrequest(ctx, downstream, { method: 'PUT', path: objectPath(dest), query: sinkQuery, headers: sink, body, userAgent: ctx.get('User-Agent') })
  src.discard()
  await relayResponse(ctx, put, put.status >= 200 && put.status < 300 ? copied : {})
}

export function serverSideCopy(maxFileSize: number): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    // Most requests copy nothing: pass them on before parsing the path.
    if (ctx.method === 'PUT' ? !ctx.get('X-Copy-From') : ctx.method !== 'COPY') return next()
    const p = swiftPathOf(ctx)
    if (!p || p.container === undefined || p.object === undefined) return next()
    const here = { account: p.account, container: p.container, object: p.object }
    if (ctx.method === 'PUT' && ctx.get('X-Copy-From')) {
      const from = parsePathHeader(ctx.get('X-Copy-From'), 'X-Copy-From')
      const acct = ctx.get('X-Copy-From-Account')
      const source = { account: acct ? accountHeader(acct) : p.account, ...from }
      return copy(ctx, downstreamOf(ctx, mw), source, here, maxFileSize)
    }
    if (ctx.method === 'COPY') {
      if (!ctx.get('Destination')) throw new HttpError(412, { body: 'Destination header required' })
      const acct = ctx.get('Destination-Account')
      const dest = { account: acct ? accountHeader(acct) : p.account, ...parsePathHeader(ctx.get('Destination'), 'Destination') }
      return copy(ctx, downstreamOf(ctx, mw), here, dest, maxFileSize)
    }
    return next()
  }
  return mw
}

export const copyFactory: MiddlewareFactory = {
  name: 'copy',
  // Swift's copy registers no /info section.
  // The sink PUT enforces the proxy's own max_file_size; this early check saves reading a source too big for any.
  create() {
    return serverSideCopy(DEFAULT_CONSTRAINTS.maxFileSize)
  },
}
