// Object GET/HEAD against the replicas (Swift's GetOrHeadHandler for objects): one node at a
// time in read order, the first good answer (2xx, 3xx, 416) is streamed back without
// buffering; errors move on to the next primary and then to handoffs. A 404 carrying a
// newer X-Backend-Timestamp (a tombstone) beats older data found later. X-Newest asks every
// primary and streams the newest.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import type { BackendNode } from '../common/backend-client.ts'
import { backendPath, readAll, watchIdle } from '../common/backend-client.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { BackendResult, Target } from './backend-requests.ts'
import { SERVICE_UNAVAILABLE, bestResponse, noteError, noteStatus, sourceTimestamp } from './backend-requests.ts'
import type { ProxyApp } from './proxy-app.ts'
import { quorumSize } from './proxy-app.ts'

export interface StreamSource {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  readonly stream: IncomingMessage
  readonly node: BackendNode
}

export type ObjectReadOutcome = { source: StreamSource; result?: undefined } | { source?: undefined; result: BackendResult }

export interface ReadObjectOptions {
  /** X-Newest: ask every primary, stream the newest. */
  newest?: boolean
  /**
   * Good answers whose Content-Length is at most this many bytes are read whole here and come
   * back as a result: one write to the client instead of a stream piped through Koa (its
   * pipeline, abort signal and end-of-stream listeners cost a small GET about as much CPU as
   * the rest of the proxy's work). A body that fails to arrive moves on to the next node.
   */
  bufferUpTo?: number
}

const isGood = (status: number) => (status >= 200 && status < 400) || status === 416

/** The declared body length of a backend answer when it is at most `limit` bytes. */
function smallLength(res: IncomingMessage, limit: number): boolean {
  const raw = res.headers['content-length']
  if (raw === undefined || limit <= 0) return false
  const length = Number(raw)
  return Number.isSafeInteger(length) && length >= 0 && length <= limit
}

interface Attempt {
  node: BackendNode
  res?: IncomingMessage
}

async function ask(app: ProxyApp, node: BackendNode, target: Target, method: string, headers: OutgoingHttpHeaders, timeoutMs: number): Promise<Attempt> {
  const path = backendPath(node, target.part, target.path) + (target.query ? `?${target.query}` : '')
  try {
    const res = await app.client.send(node, method, path, headers, timeoutMs)
    noteStatus(app, node, res.statusCode ?? 500, target.serverType)
    return { node, res }
  } catch (err) {
    noteError(app, node, err, target.serverType)
    return { node }
  }
}

async function drain(attempt: Attempt, timeoutMs: number): Promise<BackendResult> {
  const res = attempt.res as IncomingMessage
  let body: Buffer = Buffer.alloc(0)
  try {
    body = await readAll(attempt.node, res, timeoutMs)
  } catch {
    // The status is what matters for a failed read.
  }
  return { status: res.statusCode ?? 500, headers: res.headers, body, node: attempt.node }
}

function toSource(attempt: Attempt, idleMs: number): StreamSource {
  const res = attempt.res as IncomingMessage
  watchIdle(attempt.node, res, idleMs)
  return { status: res.statusCode ?? 500, headers: res.headers, stream: res, node: attempt.node }
}

export async function readObject(app: ProxyApp, target: Target, method: string, headers: OutgoingHttpHeaders, options: ReadObjectOptions = {}): Promise<ObjectReadOutcome> {
  const newest = options.newest === true
  const bufferUpTo = method === 'GET' ? (options.bufferUpTo ?? 0) : 0
  const timeoutMs = (newest ? app.config.nodeTimeout : app.config.recoverableNodeTimeout) * 1000
  const results: BackendResult[] = []
  let latest404 = new Timestamp(0)

  if (newest) {
    const nodes = [...app.nodeIter(target.ring, target.part, target.primaries)].slice(0, target.primaries.length)
    const attempts = await Promise.all(nodes.map((n) => ask(app, n, target, method, headers, timeoutMs)))
    let best: Attempt | undefined
    for (const a of attempts) {
      if (!a.res) continue
      const status = a.res.statusCode ?? 500
      if (isGood(status)) {
        if (!best || sourceTimestamp(a.res.headers).newerThan(sourceTimestamp((best.res as IncomingMessage).headers))) best = a
      } else {
        if (status === 404) latest404 = maxTs(latest404, a.res.headers['x-backend-timestamp'])
        results.push(await drain(a, timeoutMs))
      }
    }
    for (const a of attempts) if (a !== best && a.res && isGood(a.res.statusCode ?? 500)) a.res.destroy()
    if (best && !latest404.newerThan(sourceTimestamp((best.res as IncomingMessage).headers))) return { source: toSource(best, timeoutMs) }
    if (best) best.res?.destroy()
  } else {
    let failures = 0
    let primariesAsked = 0
    for (const node of app.nodeIter(target.ring, target.part, target.primaries)) {
      const isHandoff = (node as { handoff?: boolean }).handoff === true
      if (isHandoff) {
        failures += Math.max(0, target.primaries.length - primariesAsked)
        primariesAsked = target.primaries.length
        if (failures <= 0) break
        failures--
      } else primariesAsked++
      const a = await ask(app, node, target, method, headers, timeoutMs)
      if (!a.res) {
        failures++
        continue
      }
      const status = a.res.statusCode ?? 500
      if (isGood(status)) {
        if (latest404.newerThan(sourceTimestamp(a.res.headers))) {
          a.res.destroy()
          continue
        }
        if (!smallLength(a.res, bufferUpTo)) return { source: toSource(a, timeoutMs) }
        try {
          const body = await readAll(node, a.res, timeoutMs)
          if (body.length === Number(a.res.headers['content-length'])) return { result: { status, headers: a.res.headers, body, node } }
          noteError(app, node, new Error(`short body: ${body.length} of ${a.res.headers['content-length']} bytes`), target.serverType)
        } catch (err) {
          noteError(app, node, err, target.serverType)
          failures++
          continue
        }
      }
      const r = await drain(a, timeoutMs)
      if (status >= 500) failures++
      if (status === 404) latest404 = maxTs(latest404, r.headers['x-backend-timestamp'])
      if (isHandoff && (status === 404 || status >= 500) && r.headers['x-backend-timestamp'] === undefined) continue
      results.push(r)
    }
  }
  while (results.length < target.primaries.length) results.push(SERVICE_UNAVAILABLE)
  return { result: bestResponse(results, quorumSize(target.primaries.length)) }
}

function maxTs(current: Timestamp, raw: string | string[] | undefined): Timestamp {
  if (raw === undefined) return current
  try {
    const ts = Timestamp.parse(String(raw))
    return ts.newerThan(current) ? ts : current
  } catch {
    return current
  }
}
