// Legacy versioned writes (Swift's versioned_writes/legacy.py). A container names an archive
// container with X-Versions-Location (stack mode) or X-History-Location (history mode),
// kept as container sysmeta. Overwriting an object first copies the current one to
// "<archive>/<3 hex digits of its name's UTF-8 length><name>/<its timestamp>". A DELETE in
// stack mode puts the newest archived version back in place (and removes it from the
// archive); in history mode it archives the current object, writes a delete marker and
// deletes the object. Archive copies are made with pre-authorized subrequests, after the
// caller's write access to the versioned container has been checked.
import { checkNameFormat } from '../../../common/constraints-check.ts'
import { HttpError } from '../../../common/http/errors.ts'
import { Timestamp } from '../../../common/timestamp.ts'
import type { MiddlewareDeps, ProxyContext } from '../../context.ts'
import type { SwiftPath } from '../../request-path.ts'
import { swiftPathOf } from '../../request-path.ts'
import type { Downstream, SubResponse } from '../../subrequest.ts'
import { quoteSwiftPath, respondWithSubresponse, subrequest, withSysmeta } from '../../subrequest.ts'
import type { ObjectCall } from './ov-support.ts'
import { MAX_FILE_SIZE, PRE_AUTHED, authorizeObjectWrite, checkResponseError, copiedObjectHeaders, isSuccess, safeDecode, truthy } from './ov-support.ts'
import { DELETE_MARKER_CONTENT_TYPE } from './version-names.ts'

export const CLIENT_VERSIONS_LOC = 'x-versions-location'
export const CLIENT_HISTORY_LOC = 'x-history-location'
const SYSMETA_VERSIONS_LOC = 'x-container-sysmeta-versions-location'
const SYSMETA_VERSIONS_MODE = 'x-container-sysmeta-versions-mode'

const plain = (status: number, body: string) => new HttpError(status, { body, headers: { 'Content-Type': 'text/plain' } })

type Row = { name: string; content_type?: string }

/** One object write on a versioned container. */
interface LegacyObject extends ObjectCall {
  versionsCont: string
  writeAcl: string | undefined
  readAcl: string | undefined
}

const versionsPrefix = (object: string) => `${Buffer.byteLength(object, 'utf8').toString(16).padStart(3, '0')}${object}/`
export const legacyVersionName = (object: string, ts: Timestamp) => `${versionsPrefix(object)}${ts.internal}`
const pathIn = (o: LegacyObject, container: string, object: string) => quoteSwiftPath(`/${o.p.version}/${o.p.account}/${container}/${object}`)

const authorizeWrite = (o: LegacyObject) => authorizeObjectWrite(o.ctx, o.p, { read: o.readAcl, write: o.writeAcl })

/** Swift's _get_source_object: the object as stored (a link as a link); too big answers 413. */
async function getSource(o: LegacyObject, path: string): Promise<SubResponse> {
  const get = await subrequest(o.ctx, o.downstream, { method: 'GET', path, query: { symlink: 'get' }, headers: { 'x-newest': 'true' }, state: PRE_AUTHED })
  const length = get.headers['content-length']
  if (get.status !== 404 && isSuccess(get.status) && (length === undefined || Number(length) > MAX_FILE_SIZE)) {
    get.discard()
    return { ...get, status: 413 }
  }
  return get
}

/** Swift's _put_versioned_obj: stores a copy of `source` (its metadata too) at `path`. */
async function putCopy(o: LegacyObject, path: string, source: SubResponse): Promise<void> {
  const put = await subrequest(o.ctx, o.downstream, { method: 'PUT', path, headers: copiedObjectHeaders(source), body: source.stream ?? (await source.buffer()), state: PRE_AUTHED })
  await checkResponseError(put, 'legacy')
  put.discard()
}

/** Swift's _copy_current: the current object (if any) goes to the archive. */
async function copyCurrent(o: LegacyObject): Promise<void> {
  const denial = authorizeWrite(o)
  if (denial) throw denial
  const get = await getSource(o, o.ctx.path)
  if (get.status === 404) return get.discard()
  await checkResponseError(get, 'legacy')
  const raw = get.headers['x-timestamp'] ?? String(Date.parse(get.headers['last-modified'] ?? '') / 1000)
  let ts: Timestamp
  try {
    ts = Timestamp.parse(raw)
  } catch {
    ts = Timestamp.now()
  }
  await putCopy(o, pathIn(o, o.versionsCont, legacyVersionName(o.p.object, ts)), get)
}

/** The archive's versions of the object, newest first, page by page (Swift's _listing_iter). */
async function* archivedVersions(o: LegacyObject): AsyncGenerator<Row> {
  let marker = ''
  for (;;) {
    const list = await subrequest(o.ctx, o.downstream, {
      method: 'GET',
      path: quoteSwiftPath(`/${o.p.version}/${o.p.account}/${o.versionsCont}`),
      query: { format: 'json', prefix: versionsPrefix(o.p.object), marker, reverse: 'on' },
      state: PRE_AUTHED,
    })
    if (!isSuccess(list.status)) {
      list.discard()
      if (list.status === 404) return
      if (list.status >= 400 && list.status < 500) throw new HttpError(412)
      throw new HttpError(500)
    }
    const text = await list.text()
    const page = text ? (JSON.parse(text) as Row[]) : []
    if (page.length === 0) return
    for (const row of page) yield row
    marker = page[page.length - 1]!.name
  }
}

/** Swift's _restore_data: copies an archived version over the object; false when it is gone. */
async function restoreData(o: LegacyObject, versionName: string): Promise<string | false> {
  const path = pathIn(o, o.versionsCont, versionName)
  const get = await getSource(o, path)
  if (get.status === 404) {
    get.discard()
    return false
  }
  await checkResponseError(get, 'legacy')
  await putCopy(o, o.ctx.path, get)
  return path
}

async function deleteInstead(o: LegacyObject, path: string): Promise<void> {
  const headers: Record<string, string | undefined> = { 'x-auth-token': o.ctx.get('X-Auth-Token') || undefined }
  const del = await subrequest(o.ctx, o.downstream, { method: 'DELETE', path, headers, state: PRE_AUTHED })
  await respondWithSubresponse(o.ctx, del)
}

/** Stack mode: the newest archived version replaces the object (Swift's handle_obj_versions_delete_pop). */
async function deletePop(o: LegacyObject): Promise<void> {
  const versions = archivedVersions(o)
  let authed = false
  for (let step = await versions.next(); !step.done; step = await versions.next()) {
    const previous = step.value
    if (!authed) {
      const denial = authorizeWrite(o)
      if (denial) throw denial
      authed = true
    }
    if (previous.content_type === DELETE_MARKER_CONTENT_TYPE) {
      const head = await subrequest(o.ctx, o.downstream, { method: 'HEAD', path: o.ctx.path, headers: { 'x-newest': 'true', 'x-auth-token': o.ctx.get('X-Auth-Token') || undefined }, state: PRE_AUTHED })
      head.discard()
      // An object written after the marker: the DELETE goes through as asked.
      if (head.status !== 404) {
        await checkResponseError(head, 'legacy')
        break
      }
      for (let older = await versions.next(); !older.done; older = await versions.next()) {
        if (older.value.content_type === DELETE_MARKER_CONTENT_TYPE) break
        const restored = await restoreData(o, older.value.name)
        if (!restored) continue
        const del = await subrequest(o.ctx, o.downstream, { method: 'DELETE', path: restored, headers: { 'x-auth-token': o.ctx.get('X-Auth-Token') || undefined }, state: PRE_AUTHED })
        del.discard()
        if (del.status !== 404) await checkResponseError(del, 'legacy')
        break
      }
      return deleteInstead(o, pathIn(o, o.versionsCont, previous.name))
    }
    const restored = await restoreData(o, previous.name)
    if (!restored) continue
    return deleteInstead(o, restored)
  }
  return o.next()
}

/** History mode: archive, write a delete marker, then delete (Swift's handle_obj_versions_delete_push). */
async function deletePush(o: LegacyObject): Promise<void> {
  await copyCurrent(o)
  const marker = await subrequest(o.ctx, o.downstream, {
    method: 'PUT',
    path: pathIn(o, o.versionsCont, legacyVersionName(o.p.object, Timestamp.now())),
    headers: { 'content-type': DELETE_MARKER_CONTENT_TYPE, 'content-length': '0', 'x-auth-token': o.ctx.get('X-Auth-Token') || undefined },
    state: PRE_AUTHED,
  })
  await checkResponseError(marker, 'legacy')
  marker.discard()
  return o.next()
}

/** Swift's VersionedWritesMiddleware.container_request: the location headers become sysmeta. */
async function containerRequest(ctx: ProxyContext, next: () => Promise<void>, allow: string): Promise<void> {
  const h = ctx.req.headers
  if (h[CLIENT_VERSIONS_LOC] !== undefined && h[CLIENT_HISTORY_LOC] !== undefined) {
    if (!h[CLIENT_HISTORY_LOC]) delete h[CLIENT_HISTORY_LOC]
    else if (h[CLIENT_VERSIONS_LOC]) throw plain(400, `Only one of ${CLIENT_VERSIONS_LOC} or ${CLIENT_HISTORY_LOC} may be specified`)
    else delete h[CLIENT_VERSIONS_LOC]
  }
  if (h[CLIENT_VERSIONS_LOC] !== undefined || h[CLIENT_HISTORY_LOC] !== undefined) {
    const stack = h[CLIENT_VERSIONS_LOC] !== undefined
    const value = String((stack ? h[CLIENT_VERSIONS_LOC] : h[CLIENT_HISTORY_LOC]) ?? '')
    if (!value) h['x-remove-versions-location'] = 'x'
    else if (!truthy(allow) && (ctx.method === 'PUT' || ctx.method === 'POST')) throw plain(412, 'Versioned Writes is disabled')
    else {
      h[SYSMETA_VERSIONS_LOC] = checkNameFormat(value, 'Container')
      h[SYSMETA_VERSIONS_MODE] = stack ? 'stack' : 'history'
      // Only sysmeta says where versions go from now on.
      h[CLIENT_VERSIONS_LOC] = ''
      delete h[CLIENT_HISTORY_LOC]
      delete h['x-remove-versions-location']
      delete h['x-remove-history-location']
    }
  }
  if (h['x-remove-versions-location'] || h['x-remove-history-location']) {
    Object.assign(h, { [CLIENT_VERSIONS_LOC]: '', [SYSMETA_VERSIONS_LOC]: '', [SYSMETA_VERSIONS_MODE]: '' })
    delete h['x-remove-versions-location']
    delete h['x-remove-history-location']
    delete h[CLIENT_HISTORY_LOC]
  }
  await withSysmeta(ctx, async () => {
    await next()
    const location = ctx.response.get(SYSMETA_VERSIONS_LOC)
    if (!location) return
    ctx.set(ctx.response.get(SYSMETA_VERSIONS_MODE) === 'history' ? 'X-History-Location' : 'X-Versions-Location', String(location))
  })
}

async function objectRequest(o: ObjectCall, deps: MiddlewareDeps, allow: string | undefined): Promise<void> {
  if (!deps.getContainerInfo) return o.next()
  const info = await deps.getContainerInfo(o.ctx, o.p.account, o.p.container)
  let enabled = truthy(allow)
  let location = info.sysmeta?.['versions-location']
  const mode = info.sysmeta?.['versions-mode'] || 'stack'
  if (!location) {
    // A location set before sysmeta (plain X-Versions-Location) keeps working when the
    // option is not configured at all.
    location = info.versions
    if (!allow && location) enabled = true
  }
  if (!enabled || !location) return o.next()
  const v: LegacyObject = { ...o, versionsCont: safeDecode(location).split('/')[0] ?? '', writeAcl: info.writeAcl, readAcl: info.readAcl }
  if (o.ctx.method === 'PUT') {
    await copyCurrent(v)
    return o.next()
  }
  return mode === 'history' ? deletePush(v) : deletePop(v)
}

/** The legacy handler; `allow` is allow_versioned_writes as configured (undefined when unset). */
export async function legacyVersionedWritesRequest(ctx: ProxyContext, next: () => Promise<void>, downstream: Downstream, deps: MiddlewareDeps, allow: string | undefined): Promise<void> {
  const p = swiftPathOf(ctx)
  if (!p?.container) return next()
  if (p.object === undefined) return allow ? containerRequest(ctx, next, allow) : next()
  if (ctx.method !== 'PUT' && ctx.method !== 'DELETE') return next()
  return objectRequest({ ctx, next, downstream, p: { ...p, container: p.container, object: p.object } }, deps, allow)
}
