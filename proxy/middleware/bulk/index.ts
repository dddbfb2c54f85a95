// Swift's bulk middleware: POST or DELETE ?bulk-delete deletes the newline-separated,
// percent-encoded names of the body (objects first, then containers), and PUT
// ?extract-archive=tar|tar.gz|tar.bz2 expands an archive into objects. Both answer 200 at
// once and stream: whitespace (or the XML declaration) every yield_frequency seconds while
// working, then the tally in the format Accept picks (text/plain, JSON or XML); the real
// outcome is the tally's "Response Status". /info shows bulk_upload and bulk_delete.
import { Readable } from 'node:stream'
import { DEFAULT_CONSTRAINTS } from '../../../common/constraints.ts'
import { HttpError } from '../../../common/http/errors.ts'
import type { IniSection } from '../../../common/config/ini.ts'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../../context.ts'
import { swiftPathOf } from '../../request-path.ts'
import { downstreamOf } from '../../subrequest.ts'
import type { ArchiveCompression } from './decompress.ts'
import type { DeleteItem } from './delete-runner.ts'
import { runDeletes, statusLine } from './delete-runner.ts'
import { extractArchive } from './extract.ts'
import { authHeaders } from './auth-headers.ts'
import { bestFormat, bulkResponseBody } from './response-body.ts'

export interface BulkConfig {
  maxContainersPerExtraction: number
  maxFailedExtractions: number
  maxDeletesPerRequest: number
  maxFailedDeletes: number
  yieldFrequency: number
  deleteConcurrency: number
}

const int = (conf: IniSection, key: string, fallback: number) => {
  const n = Number.parseInt(conf[key] ?? '', 10)
  return Number.isFinite(n) ? n : fallback
}

export function parseBulkConfig(conf: IniSection): BulkConfig {
  return {
    maxContainersPerExtraction: int(conf, 'max_containers_per_extraction', 10000),
    maxFailedExtractions: int(conf, 'max_failed_extractions', 1000),
    maxDeletesPerRequest: int(conf, 'max_deletes_per_request', 10000),
    maxFailedDeletes: int(conf, 'max_failed_deletes', 1000),
    yieldFrequency: int(conf, 'yield_frequency', 10),
    deleteConcurrency: Math.min(1000, Math.max(1, int(conf, 'delete_concurrency', 2))),
  }
}

const ARCHIVE_TYPES: Record<string, ArchiveCompression> = { tar: '', 'tar.gz': 'gz', 'tar.bz2': 'bz2' }
const MAX_PATH_LENGTH = DEFAULT_CONSTRAINTS.maxObjectNameLength + DEFAULT_CONSTRAINTS.maxContainerNameLength + 2

/** Python's urllib unquote: %XX escapes become bytes, invalid ones stay as they are. */
export function unquote(text: string): string {
  if (!text.includes('%')) return text
  const bytes: number[] = []
  const raw = Buffer.from(text, 'utf8')
  for (let i = 0; i < raw.length; i++) {
    const hex = raw.subarray(i + 1, i + 3).toString('latin1')
    if (raw[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else bytes.push(raw[i] ?? 0)
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Swift's get_objs_to_delete: one name a line, bounded in count and line length. */
async function namesToDelete(ctx: ProxyContext, config: BulkConfig): Promise<DeleteItem[]> {
  if (ctx.get('Content-Length') === '' && ctx.get('Transfer-Encoding').toLowerCase() !== 'chunked') throw new HttpError(411)
  const items: DeleteItem[] = []
  let line = ''
  const take = (text: string) => {
    const name = unquote(text.trim())
    if (name) items.push({ name })
    if (items.length > config.maxDeletesPerRequest) throw new HttpError(413, { body: `Maximum Bulk Deletes: ${config.maxDeletesPerRequest} per request` })
  }
  for await (const chunk of ctx.req) {
    line += (chunk as Buffer).toString('latin1')
    for (let nl = line.indexOf('\n'); nl >= 0; nl = line.indexOf('\n')) {
      take(Buffer.from(line.slice(0, nl), 'latin1').toString('utf8'))
      line = line.slice(nl + 1)
    }
    if (line.length > MAX_PATH_LENGTH * 2) throw new HttpError(400, { body: 'Invalid File Name' })
  }
  take(Buffer.from(line, 'latin1').toString('utf8'))
  return items
}

/**
 * Answers 200 now and streams: keep-alive whitespace (first the XML declaration for XML)
 * every `seconds` while `work` runs, then its body after a blank-line separator.
 */
function streamTally(ctx: ProxyContext, format: string | undefined, seconds: number, work: () => Promise<string>): void {
  ctx.status = 200
  ctx.set('Content-Type', format ?? 'text/html; charset=UTF-8')
  async function* body(): AsyncGenerator<Buffer> {
    let keepAlive = format?.endsWith('/xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ' '
    let separator = ''
    const done = work()
    for (;;) {
      let timer: NodeJS.Timeout | undefined
      const tick = new Promise<'tick'>((resolve) => {
        timer = setTimeout(() => resolve('tick'), Math.max(1, seconds) * 1000)
      })
      const winner = await Promise.race([done.then(() => 'done' as const), tick])
      clearTimeout(timer)
      if (winner === 'done') break
      yield Buffer.from(keepAlive)
      keepAlive = ' '
      separator = '\r\n\r\n'
    }
    const text = await done
    // Whatever of the body was not read (after a tar's end, a bad archive) is drained, or it
    // would be parsed as the connection's next request.
    if (!ctx.req.readableEnded) {
      ctx.req.unpipe()
      ctx.req.resume()
    }
    yield Buffer.from(separator + text)
  }
  ctx.body = Readable.from(body())
}

export function bulk(config: BulkConfig): ProxyMiddleware {
  const mw: ProxyMiddleware = async (ctx, next) => {
    const extractType = ctx.query['extract-archive']
    const wantsDelete = ctx.query['bulk-delete'] !== undefined && (ctx.method === 'POST' || ctx.method === 'DELETE')
    const wantsExtract = typeof extractType === 'string' && ctx.method === 'PUT'
    if (!wantsDelete && !wantsExtract) return next()
    const format = bestFormat(ctx.get('Accept') || undefined)
    const downstream = downstreamOf(ctx, mw)
    const p = swiftPathOf(ctx)
    if (wantsDelete) {
      streamTally(ctx, format, config.yieldFrequency, async () => {
        const tally = { 'Response Status': statusLine(200), 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0 }
        let errors: [string, string][] = []
        try {
          if (!format) throw new HttpError(406)
          if (!p) throw new HttpError(404)
          const incoming = ctx.get('Content-Type')
          if (incoming && !incoming.startsWith('text/plain')) throw new HttpError(406)
          const items = await namesToDelete(ctx, config)
          const result = await runDeletes(ctx, downstream, p.account, items, { concurrency: config.deleteConcurrency, maxFailures: config.maxFailedDeletes, headers: authHeaders(ctx) })
          Object.assign(tally, result.data)
          errors = result.errors
        } catch (err) {
          if (err instanceof HttpError) {
            tally['Response Status'] = statusLine(err.status)
            // swob keeps only a body given explicitly (defaults are rendered when sent).
            tally['Response Body'] = err.body ?? ''
          } else {
            ctx.state.log.error('Error in bulk delete.', { err })
            tally['Response Status'] = statusLine(500)
          }
        }
        return bulkResponseBody(format, tally, errors, 'delete')
      })
      return
    }
    const compression = ARCHIVE_TYPES[(extractType as string).toLowerCase().replace(/^\.+|\.+$/g, '')]
    if (compression === undefined) throw new HttpError(400, { body: 'Unsupported archive format' })
    streamTally(ctx, format, config.yieldFrequency, async () => {
      try {
        if (!format) throw new HttpError(406)
        if (ctx.get('Content-Length') === '' && ctx.get('Transfer-Encoding').toLowerCase() !== 'chunked') throw new HttpError(411)
        if (!p) throw new HttpError(404)
        const base = [p.container, p.object].filter((s) => s !== undefined).join('/')
        const limits = { maxContainers: config.maxContainersPerExtraction, maxFailures: config.maxFailedExtractions, maxPathLength: MAX_PATH_LENGTH }
        const tally = await extractArchive(ctx, downstream, ctx.req, compression, limits, { version: p.version, account: p.account, base })
        return bulkResponseBody(format, tally.data, tally.errors, 'extract')
      } catch (err) {
        if (!(err instanceof HttpError)) ctx.state.log.error('Error in extract archive.', { err })
        const status = err instanceof HttpError ? err.status : 500
        const body = err instanceof HttpError ? (err.body ?? '') : ''
        return bulkResponseBody(format, { 'Response Status': statusLine(status), 'Response Body': body, 'Number Files Created': 0 }, [], 'extract')
      }
    })
  }
  return mw
}

export const bulkFactory: MiddlewareFactory = {
  name: 'bulk',
  create(conf, deps) {
    const config = parseBulkConfig(conf)
    deps.registerInfo?.('bulk_upload', { max_containers_per_extraction: config.maxContainersPerExtraction, max_failed_extractions: config.maxFailedExtractions })
    deps.registerInfo?.('bulk_delete', { max_deletes_per_request: config.maxDeletesPerRequest, max_failed_deletes: config.maxFailedDeletes })
    return bulk(config)
  },
}
