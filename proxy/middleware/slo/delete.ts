// DELETE ?multipart-manifest=delete (Swift's handle_multipart_delete): every segment of the
// manifest, nested manifests' segments and the nested manifests themselves, then the
// manifest, deleted through the pipeline; the answer is a bulk-delete body (200 even when
// some failed, as Swift's is) in the format Accept asks for.
import type { ProxyContext } from '../../context.ts'
import type { Downstream } from '../../subrequest.ts'
import { subrequest } from '../../subrequest.ts'
import type { DeleteItem } from '../bulk/delete-runner.ts'
import { runDeletes } from '../bulk/delete-runner.ts'
import { bestFormat, bulkResponseBody } from '../bulk/response-body.ts'
import { segmentPath } from './get.ts'
import type { StoredSegment } from './manifest.ts'
import { parseStoredManifest } from './manifest.ts'
import type { SloConfig } from './config.ts'

const isTrue = (v: unknown) => ['true', '1', 'yes', 'on', 't', 'y'].includes(String(v ?? '').toLowerCase())

/** Swift's get_slo_segments: the manifest's segments, or the error the bulk body reports. */
async function sloSegments(ctx: ProxyContext, downstream: Downstream, account: string, name: string): Promise<StoredSegment[] | { code: number; message: string }> {
  const res = await subrequest(ctx, downstream, {
    method: 'GET',
    path: segmentPath(account, name),
    query: { 'multipart-manifest': 'get' },
    headers: { range: 'bytes=-1', 'x-backend-ignore-range-if-metadata-present': 'X-Static-Large-Object' },
    userAgent: `${ctx.get('User-Agent')} MultipartDELETE`,
  })
  if (res.status >= 200 && res.status < 300) {
    if (isTrue(res.headers['x-static-large-object'])) {
      try {
        const doc = JSON.parse(await res.text()) as unknown
        if (Array.isArray(doc)) return parseStoredManifest(JSON.stringify(doc))
      } catch {
        // falls through to the 500 below
      }
      return { code: 500, message: 'Unable to load SLO manifest' }
    }
    res.discard()
    return { code: 400, message: 'Not an SLO manifest' }
  }
  res.discard()
  if (res.status === 404) return { code: 404, message: 'SLO manifest not found' }
  if (res.status === 401) return { code: 401, message: '401 Unauthorized' }
  return { code: 500, message: 'Unable to load SLO manifest or segment.' }
}

export async function deleteManifest(ctx: ProxyContext, downstream: Downstream, config: SloConfig, p: { account: string; container: string; object: string }): Promise<void> {
  const format = bestFormat(ctx.get('Accept') || undefined)
  const items: DeleteItem[] = []
  const pending: { name: string; sub: boolean }[] = [{ name: `/${p.container}/${p.object}`, sub: true }]
  let tooMany = false
  while (pending.length) {
    if (pending.length > config.maxManifestSegments * 10) {
      tooMany = true
      break
    }
    const seg = pending.shift() as { name: string; sub: boolean }
    if (!seg.sub) {
      items.push({ name: seg.name })
      continue
    }
    const found = await sloSegments(ctx, downstream, p.account, seg.name)
    const manifestItem: DeleteItem = { name: seg.name }
    if (Array.isArray(found)) {
      for (const s of found) if (s.data === undefined && s.name) pending.push({ name: s.name, sub: isTrue(s.sub_slo) })
    } else manifestItem.error = found
    // The manifest goes after its segments.
    pending.push({ ...seg, sub: false })
    if (manifestItem.error) {
      pending.pop()
      items.push(manifestItem)
    }
  }
  ctx.status = 200
  if (format) ctx.type = format
  if (!format) {
    ctx.body = bulkResponseBody(undefined, { 'Response Status': '406 Not Acceptable', 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0 }, [], 'delete')
    return
  }
  if (tooMany) {
    ctx.body = bulkResponseBody(format, { 'Response Status': '400 Bad Request', 'Response Body': 'Too many buffered slo segments to delete.', 'Number Deleted': 0, 'Number Not Found': 0 }, [], 'delete')
    return
  }
  const tally = await runDeletes(ctx, downstream, p.account, items, { concurrency: config.deleteConcurrency })
  ctx.body = bulkResponseBody(format, tally.data, tally.errors, 'delete')
  ctx.status = 200
}
