// Archive extraction (Swift's Bulk.handle_extract_iter): PUT /v1/<account>[/<container>[/<prefix>]]
// ?extract-archive=tar|tar.gz|tar.bz2 stores each regular file of the archive as an object
// named by its path under the request's path (files at the account's top level are skipped),
// creating containers as needed. Object metadata and X-Delete-At/-After of the request apply
// to every object; pax xattrs user.mime_type and user.meta.* become Content-Type and
// X-Object-Meta-*. The tally is "Number Files Created" plus the failures.
import type { Readable } from 'node:stream'
import { DEFAULT_CONSTRAINTS } from '../../../common/constraints.ts'
import { HttpError } from '../../../common/http/errors.ts'
import type { ProxyContext } from '../../context.ts'
import type { Downstream } from '../../subrequest.ts'
import { quoteSwiftPath, subrequest } from '../../subrequest.ts'
import { quoteName, statusLine } from './delete-runner.ts'
import { authHeaders } from './auth-headers.ts'
import type { ArchiveCompression } from './decompress.ts'
import { decompressed } from './decompress.ts'
import { readTar, TarError } from './tar-reader.ts'

export interface ExtractLimits {
  maxContainers: number
  maxFailures: number
  maxPathLength: number
}

export interface ExtractTally {
  data: { 'Response Status': string; 'Response Body': string; 'Number Files Created': number }
  errors: [string, string][]
}

/** Swift's pax_key_to_swift_header. */
function paxHeader(key: string): string | undefined {
  if (key === 'SCHILY.xattr.user.mime_type' || key === 'LIBARCHIVE.xattr.user.mime_type') return 'Content-Type'
  for (const prefix of ['SCHILY.xattr.user.meta.', 'LIBARCHIVE.xattr.user.meta.']) if (key.startsWith(prefix)) return `X-Object-Meta-${key.slice(prefix.length)}`
  return undefined
}

class ContainerCreateError extends Error {
  constructor(readonly status: number) {
    super(`Create Container Failed: ${status}`)
  }
}

/** true when created, false when it was there; throws ContainerCreateError otherwise. */
async function ensureContainer(ctx: ProxyContext, downstream: Downstream, path: string): Promise<boolean> {
  const head = await subrequest(ctx, downstream, { method: 'HEAD', path: quoteSwiftPath(path), headers: authHeaders(ctx), userAgent: `${ctx.get('User-Agent')} BulkExpand` })
  head.discard()
  if (head.status >= 200 && head.status < 300) return false
  if (head.status === 404) {
    const put = await subrequest(ctx, downstream, { method: 'PUT', path: quoteSwiftPath(path), headers: authHeaders(ctx), userAgent: `${ctx.get('User-Agent')} BulkExpand` })
    put.discard()
    if (put.status >= 200 && put.status < 300) return true
    throw new ContainerCreateError(put.status)
  }
  throw new ContainerCreateError(head.status)
}

function objectHeaders(ctx: ProxyContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (v === undefined) continue
    if (k === 'x-delete-at' || k === 'x-delete-after' || (k.startsWith('x-object-meta-') && k.length > 14)) out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

export async function extractArchive(ctx: ProxyContext, downstream: Downstream, input: Readable, compression: ArchiveCompression, limits: ExtractLimits, parts: { version: string; account: string; base: string }): Promise<ExtractTally> {
  const tally: ExtractTally = { data: { 'Response Status': statusLine(201), 'Response Body': '', 'Number Files Created': 0 }, errors: [] }
  const failures = tally.errors
  const accessed = new Set<string>()
  let failureStatus = 400
  let created = 0
  const base = parts.base.replace(/\/+$/, '')
  const common = objectHeaders(ctx)
  try {
    for await (const entry of readTar(decompressed(input, compression))) {
      if (failures.length >= limits.maxFailures) break
      if (!entry.isFile) continue
      let objPath = entry.name
      if (objPath.startsWith('./')) objPath = objPath.slice(2)
      objPath = objPath.replace(/^\/+/, '')
      if (base) objPath = `${base}/${objPath}`
      if (!objPath.includes('/')) continue
      const quoted = quoteName(objPath.slice(0, limits.maxPathLength))
      const destination = `/${parts.version}/${parts.account}/${objPath}`
      const container = objPath.slice(0, objPath.indexOf('/'))
      if (objPath.includes('\0') || objPath.includes('\uFFFD')) {
        failures.push([quoted, statusLine(412)])
        continue
      }
      if (entry.size > DEFAULT_CONSTRAINTS.maxFileSize) {
        failures.push([quoted, statusLine(413)])
        continue
      }
      let containerFailure: [string, string] | undefined
      if (!accessed.has(container)) {
        const contPath = `/${parts.version}/${parts.account}/${container}`
        try {
          if (await ensureContainer(ctx, downstream, contPath)) {
            created++
            if (created > limits.maxContainers) throw new HttpError(400, { body: `More than ${limits.maxContainers} containers to create from tar.` })
          }
        } catch (err) {
          if (!(err instanceof ContainerCreateError)) throw err
          containerFailure = [quoteName(contPath.slice(0, limits.maxPathLength)), statusLine(err.status)]
          if (err.status === 401) throw new HttpError(401)
        }
      }
      const headers: Record<string, string> = { ...common, 'content-length': String(entry.size) }
      const token = ctx.get('X-Auth-Token')
      if (token) headers['x-auth-token'] = token
      for (const [key, value] of Object.entries(entry.pax)) {
        const name = paxHeader(key)
        if (name) headers[name.toLowerCase()] = value
      }
      const res = await subrequest(ctx, downstream, { method: 'PUT', path: quoteSwiftPath(destination), headers, body: entry.body, userAgent: `${ctx.get('User-Agent')} BulkExpand` })
      res.discard()
      accessed.add(container)
      if (res.status >= 200 && res.status < 300) {
        tally.data['Number Files Created']++
        continue
      }
      if (containerFailure) failures.push(containerFailure)
      if (res.status === 401) {
        failures.push([quoted, statusLine(401)])
        throw new HttpError(401)
      }
      if (Math.floor(res.status / 100) === 5) failureStatus = 502
      failures.push([quoted, statusLine(res.status)])
    }
    if (failures.length) tally.data['Response Status'] = statusLine(failureStatus)
    else if (!tally.data['Number Files Created']) {
      tally.data['Response Status'] = statusLine(400)
      tally.data['Response Body'] = 'Invalid Tar File: No Valid Files'
    }
  } catch (err) {
    if (err instanceof HttpError) {
      tally.data['Response Status'] = statusLine(err.status)
      // swob keeps only a body given explicitly (defaults are rendered when sent).
      tally.data['Response Body'] = err.body ?? ''
    } else if (err instanceof TarError) {
      tally.data['Response Status'] = statusLine(400)
      tally.data['Response Body'] = `Invalid Tar File: ${err.message}`
    } else {
      ctx.state.log.error('Error in extract archive.', { err })
      tally.data['Response Status'] = statusLine(500)
    }
  }
  return tally
}
