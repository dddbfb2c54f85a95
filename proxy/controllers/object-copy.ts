// Server-side copy (Swift's copy middleware): PUT with X-Copy-From (and X-Copy-From-Account),
// or COPY with Destination (and Destination-Account). The source is read with X-Newest and
// its body streamed straight into the destination's PUT; its metadata comes along unless
// X-Fresh-Metadata is true, the client's headers win over it.
import type { IncomingHttpHeaders } from 'node:http'
import { checkNameFormat } from '../../common/constraints-check.ts'
import { HttpError } from '../../common/http/errors.ts'
import { iniBool } from '../../common/config/ini.ts'
import { quotePath } from '../../common/backend-client.ts'
import { baseBackendHeaders } from '../backend-requests.ts'
import type { ProxyContext } from '../context.ts'
import { getContainerInfo } from '../info-lookup.ts'
import { readObject } from '../object-get.ts'
import type { ProxyApp } from '../proxy-app.ts'
import { sendResult, sendStream } from '../respond.ts'
import type { ObjectPath } from './object-store.ts'
import { objectTarget, storeObject } from './object-store.ts'
import { objectRequestHeaders } from './request-headers.ts'

/** Swift's check_path_header: "<container>/<object>" (a leading slash allowed), percent-decoded. */
export function parsePathHeader(value: string, header: string): { container: string; object: string } {
  let decoded: string
  try {
    decoded = decodeURIComponent(value)
  } catch {
    decoded = value
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1)
  const slash = decoded.indexOf('/')
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new HttpError(412, { body: `${header} header must be of the form <container name>/<object name>` })
  }
  return { container: decoded.slice(0, slash), object: decoded.slice(slash + 1) }
}

/** The source headers a copy carries over (metadata and the stored entity headers). */
export function copiedHeader(name: string): boolean {
  return (
    name.startsWith('x-object-meta-') ||
    name.startsWith('x-object-sysmeta-') ||
    name.startsWith('x-object-transient-sysmeta-') ||
    ['content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires', 'x-delete-at', 'x-robots-tag'].includes(name)
  )
}

const isSysmeta = (name: string) => name.startsWith('x-object-sysmeta-')

export async function copyObject(app: ProxyApp, ctx: ProxyContext, source: ObjectPath, dest: ObjectPath): Promise<void> {
  const cl = ctx.get('Content-Length')
  if (cl && cl !== '0') throw new HttpError(400, { body: 'Copy requests require a zero byte body', headers: { 'Content-Type': 'text/plain' } })

  const info = await getContainerInfo(app, ctx, source.account, source.container)
  const denial = ctx.state.authorize?.({
    method: 'GET',
    account: source.account,
    container: source.container,
    object: source.object,
    containerAcl: { read: info.readAcl, write: info.writeAcl },
    referrer: ctx.get('Referer') || undefined,
  })
  if (denial) throw denial

  const clientHeaders: IncomingHttpHeaders = { ...ctx.req.headers }
  for (const h of ['x-copy-from', 'x-copy-from-account', 'destination', 'destination-account', 'content-length', 'transfer-encoding']) delete clientHeaders[h]
  const getHeaders = baseBackendHeaders(ctx, { ...objectRequestHeaders(clientHeaders), 'X-Newest': 'true', 'X-Backend-Storage-Policy-Index': '0' })
  for (const h of ['content-type', 'etag']) delete getHeaders[h]
  const outcome = await readObject(app, objectTarget(app, source), 'GET', getHeaders, { newest: true })
  if (!outcome.source) {
    sendResult(ctx, outcome.result)
    return
  }
  const src = outcome.source
  if (src.status >= 300) {
    sendStream(ctx, src)
    return
  }
  const length = src.headers['content-length']
  if (length === undefined || Number(length) > app.config.constraints.maxFileSize) {
    src.stream.destroy()
    throw new HttpError(413)
  }

  const sink: IncomingHttpHeaders = {}
  const fresh = iniBool(ctx.get('X-Fresh-Metadata'), false)
  for (const [name, value] of Object.entries(src.headers)) {
    if (fresh ? isSysmeta(name) : copiedHeader(name)) sink[name] = value
  }
  Object.assign(sink, clientHeaders)
  if (!sink['content-type']) sink['content-type'] = src.headers['content-type'] ?? 'application/octet-stream'
  if (src.status === 200 && src.headers.etag) sink.etag = String(src.headers.etag).replace(/"/g, '')
  delete sink['x-fresh-metadata']

  const responseHeaders: Record<string, string> = {
    'X-Copied-From-Account': quotePath(source.account),
    'X-Copied-From': quotePath(`${source.container}/${source.object}`),
  }
  const lastModified = src.headers['last-modified']
  if (lastModified) responseHeaders['X-Copied-From-Last-Modified'] = lastModified
  for (const [name, value] of Object.entries(sink)) if (copiedHeader(name) && !isSysmeta(name) && value !== undefined) responseHeaders[name] = String(value)

  await storeObject(app, ctx, dest, { headers: sink, body: src.stream, contentLength: Number(length), responseHeaders })
  // The sink may have failed before reading the whole source; free the backend connection.
  if (!src.stream.readableEnded) src.stream.destroy()
}

/** X-Copy-From on a PUT: the source named by the header (and X-Copy-From-Account). */
export function copySourceOf(ctx: ProxyContext, dest: ObjectPath): ObjectPath {
  const { container, object } = parsePathHeader(ctx.get('X-Copy-From'), 'X-Copy-From')
  const acctHeader = ctx.get('X-Copy-From-Account')
  const account = acctHeader ? checkNameFormat(decodeURIComponent(acctHeader), 'Account') : dest.account
  checkNameFormat(container, 'Container')
  return { account, container, object }
}

/** COPY with Destination: the destination named by the header (and Destination-Account). */
export function copyDestinationOf(ctx: ProxyContext, source: ObjectPath): ObjectPath {
  const dest = ctx.get('Destination')
  if (!dest) throw new HttpError(412, { body: 'Destination header required' })
  const { container, object } = parsePathHeader(dest, 'Destination')
  const acctHeader = ctx.get('Destination-Account')
  const account = acctHeader ? checkNameFormat(decodeURIComponent(acctHeader), 'Account') : source.account
  checkNameFormat(container, 'Container')
  return { account, container, object }
}
