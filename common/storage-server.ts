// The HTTP shell shared by the object, container and account servers: one error boundary
// (Swift's *Controller.__call__), one structured access-log line per request, device checks.
// Plain node:http rather than Koa: this is the data path, and it needs no middleware stack.
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SOCKET_HIGH_WATER_MARK } from './backend-client.ts'
import { HttpError } from './http/errors.ts'
import { defaultBody } from './http/status.ts'
import { decodePath } from './http/split-path.ts'
import type { Logger } from './logger.ts'

export interface StorageRequest {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly method: string
  /** Percent-decoded path, without the query string. */
  readonly path: string
  readonly query: URLSearchParams
  readonly txnId: string
  readonly log: Logger
}

export interface StorageApp {
  /** "object-server", "container-server", ... (log lines carry it). */
  readonly name: string
  handle(request: StorageRequest): Promise<void>
  /** Maps a domain error (stable `code`) to an HTTP error; undefined means 500. */
  mapError?(err: unknown): HttpError | undefined
}

/** Sends a whole response; `body` undefined means none. */
export function respond(res: ServerResponse, status: number, headers: Record<string, string | number> = {}, body?: string | Buffer): void {
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body
  const out: Record<string, string | number> = { ...headers }
  if (payload && out['Content-Length'] === undefined) out['Content-Length'] = payload.length
  else if (!payload && out['Content-Length'] === undefined) out['Content-Length'] = 0
  res.writeHead(status, out)
  res.end(res.req.method === 'HEAD' ? undefined : payload)
}

export function respondError(res: ServerResponse, err: HttpError): void {
  const body = err.renderBody()
  const headers: Record<string, string> = { ...err.headers }
  if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'text/html; charset=UTF-8'
  respond(res, err.status, headers, body || undefined)
}

export function createStorageServer(app: StorageApp, logger: Logger): http.Server {
  const server = http.createServer({ keepAlive: true, requestTimeout: 0, highWaterMark: SOCKET_HIGH_WATER_MARK }, (req, res) => {
    void serve(app, logger, req, res)
  })
  server.keepAliveTimeout = 65_000
  return server
}

async function serve(app: StorageApp, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint()
  const txnId = headerValue(req, 'x-trans-id') ?? '-'
  const log = logger.child({ txn: txnId })
  const rawUrl = req.url ?? '/'
  const q = rawUrl.indexOf('?')
  let path = ''
  try {
    path = decodePath(q < 0 ? rawUrl : rawUrl.slice(0, q), true)
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1))
    await app.handle({ req, res, method: req.method ?? 'GET', path, query, txnId, log })
  } catch (err) {
    const httpError = err instanceof HttpError ? err : app.mapError?.(err)
    if (!httpError) log.error('unhandled error', { err, method: req.method, path: rawUrl })
    if (res.headersSent) {
      res.destroy(err instanceof Error ? err : undefined)
    } else {
      respondError(res, httpError ?? new HttpError(500, { body: defaultBody(500) }))
    }
  } finally {
    const done = () => {
      log.info('request', {
        server: app.name,
        remote: req.socket?.remoteAddress,
        method: req.method,
        path: rawUrl,
        status: res.statusCode,
        bytes: Number(res.getHeader('content-length') ?? 0),
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        ua: headerValue(req, 'user-agent'),
      })
    }
    if (res.writableFinished) done()
    else res.once('close', done)
  }
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

const VALID_DEVICE = /^[^/\0]+$/

/**
 * Swift's check_drive: the device folder must exist (and be a mount point with mount_check);
 * otherwise the request answers 507 naming the drive.
 */
export async function checkDevice(devicesRoot: string, device: string, mountCheck: boolean): Promise<string> {
  const fail = () => new HttpError(507, { body: defaultBody(507, device) })
  if (!VALID_DEVICE.test(device) || device === '.' || device === '..') throw fail()
  const root = join(devicesRoot, device)
  // Inline stats, as object/context.ts does: a thread-pool stat per request cost the
  // container server ~0.3 ms of CPU per PUT (profiled with bench/cpu-per-op.ts).
  let ok = false
  try {
    const st = statSync(root, { throwIfNoEntry: false })
    ok = st !== undefined && st.isDirectory() && (!mountCheck || isMountPoint(root, st.dev, st.ino))
  } catch {
    // Unreadable (EACCES, ENOTDIR, ...): not a usable device either.
  }
  if (!ok) throw fail()
  return root
}

function isMountPoint(path: string, dev: number, ino: number): boolean {
  const parent = statSync(dirname(path), { throwIfNoEntry: false })
  // A different device than the parent's, or the same inode (the root), means a mount point.
  return parent !== undefined && (parent.dev !== dev || parent.ino === ino)
}
