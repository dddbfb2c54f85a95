// Object versioning's container and account requests (Swift's object_versioning.py
// ContainerContext and AccountContext): X-Versions-Enabled turns versioning on (creating
// the hidden versions container) or off; HEAD/GET show it and count the versions' bytes;
// listings show a version link with its version's size and ETag; ?versions lists every
// version (version_id, is_latest, delete markers); a container still holding versions cannot
// be deleted; account listings add each hidden container's bytes to its user container's.
import { HttpError } from '../../../common/http/errors.ts'
import { splitPath } from '../../../common/http/split-path.ts'
import { pythonJsonDumps } from '../../../common/python-json.ts'
import type { MiddlewareDeps, ProxyContext } from '../../context.ts'
import type { SwiftPath } from '../../request-path.ts'
import type { Downstream } from '../../subrequest.ts'
import { quoteSwiftPath, subrequest, withSysmeta } from '../../subrequest.ts'
import { listingMentions } from '../../json-listing.ts'
import { PRE_AUTHED, isSuccess, safeDecode, truthy } from './ov-support.ts'
import {
  CLIENT_VERSIONS_ENABLED,
  DELETE_MARKER_CONTENT_TYPE,
  RESERVED,
  SYSMETA_VERSIONS_CONT,
  SYSMETA_VERSIONS_ENABLED,
  invertTimestamp,
  parseVersionTimestamp,
  parseVersionsObjectName,
  reservedName,
  splitReservedName,
  splitVersionsContainerName,
  versionsContainerName,
} from './version-names.ts'

type Row = Record<string, unknown>
type ContainerPath = SwiftPath & { container: string }
const CONTAINER_LISTING_LIMIT = 10000
const ACCOUNT_LISTING_LIMIT = 10000
const ALLOW_RESERVED = { 'x-backend-allow-reserved-names': 'true' }

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

/** Swift's build_listing: rows and subdirs merged in name order (stable), cut to the limit. */
function buildListing(rows: Row[], reverse: boolean, limit: number): string {
  const key = (r: Row) => String(r.subdir ?? r.name ?? '')
  const sorted = [...rows].sort((a, b) => (reverse ? -1 : 1) * byteOrder(key(a), key(b)))
  return pythonJsonDumps(sorted.slice(0, limit))
}

function requestLimit(ctx: ProxyContext, max: number): number {
  const raw = new URLSearchParams(ctx.querystring).get('limit')
  return raw && /^\d+$/.test(raw) ? Math.min(Number(raw), max) : max
}

function jsonBody(ctx: ProxyContext): Row[] | undefined {
  const body = ctx.body
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined
  if (text === undefined || !String(ctx.response.get('Content-Type')).startsWith('application/json')) return undefined
  try {
    const parsed = JSON.parse(text) as unknown
    return Array.isArray(parsed) ? (parsed as Row[]) : undefined
  } catch {
    return undefined
  }
}

function setJson(ctx: ProxyContext, text: string): void {
  ctx.body = text
  ctx.type = 'application/json; charset=utf-8'
}

/** ?versions answers JSON only (Swift: 406 for any other format the client asks for). */
function requireJson(ctx: ProxyContext): void {
  const query = new URLSearchParams(ctx.querystring)
  const format = query.get('format')
  const accept = ctx.get('Accept')
  const json = format !== null ? format.toLowerCase() === 'json' : !accept || /(^|,)\s*(application\/json|application\/\*|\*\/\*)\s*(;|,|$)/i.test(accept)
  if (!json) throw new HttpError(406)
  query.set('format', 'json')
  ctx.querystring = query.toString()
}

async function enableVersioning(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: ContainerPath, deps: MiddlewareDeps): Promise<void> {
  const info = deps.getContainerInfo ? await deps.getContainerInfo(ctx, p.account, p.container) : undefined
  if (info?.sysmeta?.['versions-location'] || info?.versions) {
    throw new HttpError(400, { body: 'Cannot enable object versioning on a container that is already using the legacy versioned writes feature.' })
  }
  const enabled = truthy(ctx.get(CLIENT_VERSIONS_ENABLED))
  ctx.req.headers[SYSMETA_VERSIONS_ENABLED] = enabled ? 'True' : 'False'
  let created: string | undefined
  const policy: Record<string, string> = ctx.method === 'PUT' && ctx.get('X-Storage-Policy') && !(info && isSuccess(info.status)) ? { 'x-storage-policy': ctx.get('X-Storage-Policy') } : {}
  if (enabled) {
    const versionsCont = versionsContainerName(p.container)
    const put = await subrequest(ctx, downstream, { method: 'PUT', path: quoteSwiftPath(`/${p.version}/${p.account}/${versionsCont}`), headers: { ...policy, ...ALLOW_RESERVED }, state: PRE_AUTHED })
    put.discard()
    if (!isSuccess(put.status) && put.status !== 409) throw new HttpError(500, { body: 'Error enabling object versioning' })
    ctx.req.headers[SYSMETA_VERSIONS_CONT] = quoteSwiftPath(versionsCont)
    created = versionsCont
  }
  const undo = async () => {
    if (!created) return
    const del = await subrequest(ctx, downstream, { method: 'DELETE', path: quoteSwiftPath(`/${p.version}/${p.account}/${created}`), headers: { ...ALLOW_RESERVED }, state: PRE_AUTHED })
    del.discard()
  }
  try {
    await next()
  } catch (err) {
    await undo()
    throw err
  }
  if (!isSuccess(ctx.status)) await undo()
}

async function deleteContainer(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: ContainerPath, deps: MiddlewareDeps): Promise<void> {
  const info = deps.getContainerInfo ? await deps.getContainerInfo(ctx, p.account, p.container) : undefined
  const versionsCont = safeDecode(info?.sysmeta?.['versions-container'] ?? '')
  if (versionsCont) {
    const path = quoteSwiftPath(`/${p.version}/${p.account}/${versionsCont}`)
    const head = await subrequest(ctx, downstream, { method: 'HEAD', path, headers: { ...ALLOW_RESERVED }, state: PRE_AUTHED })
    head.discard()
    if (isSuccess(head.status) && Number(head.headers['x-container-object-count'] ?? 0) > 0) throw new HttpError(409, { body: 'Delete all versions before deleting container.' })
    if (!isSuccess(head.status) && head.status !== 404) throw new HttpError(500, { body: 'Error deleting versioned container' })
    const del = await subrequest(ctx, downstream, { method: 'DELETE', path, headers: { ...ALLOW_RESERVED }, state: PRE_AUTHED })
    del.discard()
    if (!isSuccess(del.status) && del.status !== 404) throw new HttpError(500, { body: 'Error deleting versioned container' })
  }
  return next()
}

/** A listing row of a version link shows its version's size and ETag (Swift: version_symlink). */
function showVersionLinks(rows: Row[], p: ContainerPath, location: string, versionsListing: boolean): void {
  for (const row of rows) {
    if (typeof row.symlink_path !== 'string' || row.symlink_etag === undefined || row.symlink_bytes === undefined) continue
    let target: (string | undefined)[]
    try {
      target = splitPath(safeDecode(row.symlink_path), 4, 4, true)
    } catch {
      continue
    }
    const [, account, container, object] = target
    if (container !== location) continue
    const params = typeof row.hash === 'string' ? row.hash.split(';').slice(1).map((s) => s.trim()).filter(Boolean) : []
    row.bytes = Number(row.symlink_bytes)
    delete row.symlink_bytes
    row.version_symlink = true
    row.hash = String(row.symlink_etag) + params.map((kv) => `; ${kv.replace(/\s*=\s*/, '=')}`).join('')
    delete row.symlink_etag
    const { name, versionId } = parseVersionsObjectName(object ?? '')
    if (versionId !== undefined && !versionsListing) row.symlink_path = `${quoteSwiftPath(`/v1/${account}/${p.container}/${name}`)}?version-id=${versionId}`
  }
}

/** Swift's _list_versions: the user container's rows (null versions, links) with the versions container's. */
async function listVersions(ctx: ProxyContext, downstream: Downstream, p: ContainerPath, location: string, primary: Row[]): Promise<void> {
  const params = new URLSearchParams(ctx.querystring)
  let marker = params.get('marker')
  const versionMarker = params.get('version_marker')
  if (versionMarker !== null) {
    if (marker === null) throw new HttpError(400, { body: 'version_marker param requires marker' })
    if (versionMarker !== 'null') {
      const ts = parseVersionTimestamp(versionMarker)
      if (!ts || ts.offset) throw new HttpError(400, { body: 'invalid version_marker param' })
      marker = reservedName(marker, invertTimestamp(ts).internal)
    }
  } else if (marker !== null) marker = `${reservedName(marker, '')}:`
  const delimiter = params.get('delimiter') ?? ''
  if (/[0-9.\0]/.test(delimiter)) throw new HttpError(400, { body: 'invalid delimiter param' })

  const nullRows: Row[] = []
  const subdirs = new Set<string>()
  const current = new Map<string, Row>()
  const latest = new Set<string>()
  for (const row of primary) {
    if (typeof row.name !== 'string') subdirs.add(String(row.subdir))
    else if (row.version_symlink) current.set(safeDecode(String(row.symlink_path)), row)
    else {
      nullRows.push({ ...row, version_id: 'null', is_latest: true })
      latest.add(row.name)
    }
  }
  const prefix = params.get('prefix')
  const query: Record<string, string> = {
    format: 'json',
    prefix: prefix === null ? '' : reservedName(prefix),
    marker: marker ?? '',
    limit: params.get('limit') ?? '',
    delimiter,
    reverse: params.get('reverse') ?? '',
  }
  const versions = await subrequest(ctx, downstream, { method: 'GET', path: quoteSwiftPath(`/${p.version}/${p.account}/${location}`), query, headers: { ...ALLOW_RESERVED }, state: PRE_AUTHED })
  const reverse = truthy(params.get('reverse') ?? undefined)
  const limit = requestLimit(ctx, CONTAINER_LISTING_LIMIT)
  const versionRows: Row[] = []
  if (versions.status === 404) {
    versions.discard()
  } else if (isSuccess(versions.status)) {
    let listing: Row[] = []
    try {
      listing = JSON.parse(await versions.text()) as Row[]
    } catch {
      listing = []
    }
    for (const item of listing) {
      if (typeof item.name !== 'string') {
        subdirs.add(splitReservedName(String(item.subdir))[0] ?? '')
        continue
      }
      const { name, versionId } = parseVersionsObjectName(item.name)
      if (versionId === undefined) continue
      const path = `/v1/${p.account}/${location}/${item.name}`
      if (current.has(path)) {
        item.is_latest = true
        latest.add(name)
        current.delete(path)
      } else if (item.content_type === DELETE_MARKER_CONTENT_TYPE && !latest.has(name)) {
        item.is_latest = true
        latest.add(name)
      } else item.is_latest = false
      item.name = name
      item.version_id = versionId
      versionRows.push(item)
    }
  } else {
    ctx.status = versions.status
    ctx.body = await versions.buffer()
    if (versions.headers['content-type']) ctx.type = versions.headers['content-type']
    return
  }
  // Without a versions container, links still list their versions (Swift's broken_listing;
  // with one, Swift 2.30 parses these paths from the wrong offset and lists none).
  const broken: Row[] = []
  for (const row of versions.status === 404 ? current.values() : []) {
    const linked = safeDecode(String(row.symlink_path)).split('/').slice(4).join('/')
    const { name, versionId } = parseVersionsObjectName(linked)
    if (versionId === undefined) continue
    const isLatest = !latest.has(name)
    latest.add(name)
    broken.push({ name, is_latest: isLatest, version_id: versionId, content_type: row.content_type, bytes: row.bytes, hash: row.hash, last_modified: row.last_modified })
  }
  const subdirRows = [...subdirs].map((s) => ({ subdir: s }))
  setJson(ctx, buildListing([...nullRows, ...versionRows, ...subdirRows, ...broken], reverse, limit))
}

async function readContainer(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: ContainerPath): Promise<void> {
  const versionsListing = ctx.method === 'GET' && new URLSearchParams(ctx.querystring).has('versions')
  if (versionsListing) requireJson(ctx)
  await withSysmeta(ctx, async () => {
    await next()
    const enabled = ctx.response.get(SYSMETA_VERSIONS_ENABLED)
    if (enabled) ctx.set('X-Versions-Enabled', String(enabled))
    let location = safeDecode(String(ctx.response.get(SYSMETA_VERSIONS_CONT) || ''))
    if (location) {
      const used = ctx.response.get('X-Container-Bytes-Used')
      if (used !== '') {
        const head = await subrequest(ctx, downstream, { method: 'HEAD', path: quoteSwiftPath(`/${p.version}/${p.account}/${location}`), headers: { ...ALLOW_RESERVED }, state: PRE_AUTHED })
        head.discard()
        if (isSuccess(head.status)) ctx.set('X-Container-Bytes-Used', String(Number(used) + Number(head.headers['x-container-bytes-used'] ?? 0)))
      }
    } else if (isSuccess(ctx.status) && !p.container.includes(RESERVED)) location = versionsContainerName(p.container)
    if (ctx.method !== 'GET' || !isSuccess(ctx.status)) return
    // A plain listing changes only where a row is a link (symlink's rewrite gave it a
    // symlink_path key): without one in the bytes, the page passes through unparsed.
    if (!versionsListing && !listingMentions(ctx.body, '"symlink_path"')) return
    const rows = jsonBody(ctx)
    if (!rows) return
    const hasLinks = rows.some((r) => r.symlink_path !== undefined)
    if (hasLinks) showVersionLinks(rows, p, location, versionsListing)
    if (versionsListing) return listVersions(ctx, downstream, p, location, rows)
    if (hasLinks) setJson(ctx, pythonJsonDumps(rows))
  })
}

export async function handleContainerRequest(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: ContainerPath, deps: MiddlewareDeps): Promise<void> {
  if ((ctx.method === 'PUT' || ctx.method === 'POST') && ctx.req.headers[CLIENT_VERSIONS_ENABLED] !== undefined) return enableVersioning(ctx, next, downstream, p, deps)
  if (ctx.method === 'DELETE') return deleteContainer(ctx, next, downstream, p, deps)
  return readContainer(ctx, next, downstream, p)
}

/** Account listings: hidden versions containers' bytes count for their user containers. */
export async function handleAccountListing(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, p: SwiftPath): Promise<void> {
  await next()
  if (!isSuccess(ctx.status)) return
  const listing = jsonBody(ctx)
  if (!listing) return
  const params = new URLSearchParams(ctx.querystring)
  const query: Record<string, string> = {}
  for (const [k, v] of params) query[k] = v
  const asVersions = (v: string) => {
    try {
      return versionsContainerName(v)
    } catch {
      return v
    }
  }
  query.prefix = params.has('prefix') ? asVersions(params.get('prefix') ?? '') : reservedName('versions')
  for (const k of ['marker', 'end_marker']) if (params.has(k)) query[k] = asVersions(params.get(k) ?? '')
  query.format = 'json'
  const versions = await subrequest(ctx, downstream, { method: 'GET', path: quoteSwiftPath(`/${p.version}/${p.account}`), query, headers: { ...ALLOW_RESERVED }, state: PRE_AUTHED })
  let versionRows: Row[] = []
  try {
    versionRows = isSuccess(versions.status) ? (JSON.parse((await versions.text()) || '[]') as Row[]) : (versions.discard(), [])
  } catch {
    versionRows = []
  }
  const byContainer = new Map<string, Row>()
  for (const item of versionRows) if (typeof item.name === 'string') byContainer.set(splitVersionsContainerName(item.name), item)
  if (byContainer.size === 0) return
  for (const row of listing) {
    if (typeof row.name !== 'string') continue
    const v = byContainer.get(row.name)
    if (!v) continue
    byContainer.delete(row.name)
    row.bytes = Number(row.bytes) + Number(v.bytes)
  }
  // Orphaned versions containers (their user container is gone) are shown so they can be cleaned up.
  for (const [name, item] of byContainer) listing.push({ ...item, name, count: 0 })
  setJson(ctx, buildListing(listing, truthy(params.get('reverse') ?? undefined), requestLimit(ctx, ACCOUNT_LISTING_LIMIT)))
}
