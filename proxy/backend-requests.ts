// Whole-body requests from the proxy to the storage nodes (Swift's proxy/controllers/base.py
// make_requests, best_response and the GETorHEAD loop for accounts and containers): reads go
// to one node at a time until one answers well; writes go to every primary at once, a
// handoff standing in for each primary that cannot be reached, and the answer is the
// quorum's. Object GETs, which stream, live in object-get.ts.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { BackendNode } from '../common/backend-client.ts'
import { backendPath } from '../common/backend-client.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { ProxyContext } from './context.ts'
import type { ProxyApp, ProxyRing } from './proxy-app.ts'
import { quorumSize } from './proxy-app.ts'

export interface BackendResult {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly node?: BackendNode | undefined
}

export const SERVICE_UNAVAILABLE: BackendResult = Object.freeze({ status: 503, headers: {}, body: Buffer.alloc(0) })

export interface Target {
  readonly ring: ProxyRing
  readonly part: number
  readonly primaries: readonly BackendNode[]
  /** "/account[/container[/object]]", unquoted. */
  readonly path: string
  /** Query string without "?", already encoded. */
  readonly query?: string | undefined
  /** "Account", "Container", "Object" (for logs). */
  readonly serverType: string
}

/** Headers every backend request carries (Swift's generate_request_headers). */
export function baseBackendHeaders(ctx: ProxyContext, extra?: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'X-Trans-Id': ctx.state.txnId,
    'X-Openstack-Request-Id': ctx.state.txnId,
    'User-Agent': `proxy-server ${process.pid}`,
    Referer: `${ctx.method} ${ctx.href}`,
    ...extra,
  }
  return headers
}

function fullPath(node: BackendNode, target: Target): string {
  const path = backendPath(node, target.part, target.path)
  return target.query ? `${path}?${target.query}` : path
}

/** The timestamp a response describes, for X-Newest and 404-vs-data decisions. */
export function sourceTimestamp(headers: IncomingHttpHeaders): Timestamp {
  const raw = headers['x-backend-data-timestamp'] ?? headers['x-backend-timestamp'] ?? headers['x-put-timestamp'] ?? headers['x-timestamp']
  try {
    return Timestamp.parse(String(raw ?? '0'))
  } catch {
    return new Timestamp(0)
  }
}

/** Records a backend failure on the node as Swift does: 507 limits it at once, 5xx counts. */
export function noteStatus(app: ProxyApp, node: BackendNode, status: number, serverType: string): void {
  if (status === 507) app.client.errorLimiter.errorLimit(node, `ERROR Insufficient Storage (${serverType})`)
  else if (status >= 500) app.client.errorLimiter.errorOccurred(node, `ERROR ${status} From ${serverType} Server`)
}

export function noteError(app: ProxyApp, node: BackendNode, err: unknown, serverType: string): void {
  app.client.errorLimiter.errorOccurred(node, `ERROR with ${serverType} server: ${(err as Error).message}`)
}

/**
 * Swift's best_response: the first class (1xx, 2xx, 3xx, 4xx) holding a quorum of the
 * statuses answers with its highest status; no quorum means 503.
 */
export function bestResponse(results: readonly BackendResult[], quorum = quorumSize(results.length)): BackendResult {
  for (const hundred of [100, 200, 300, 400]) {
    let best: BackendResult | undefined
    let count = 0
    for (const r of results) {
      if (r.status >= hundred && r.status < hundred + 100) {
        count++
        if (!best || r.status > best.status) best = r
      }
    }
    if (best && count >= quorum) return best
  }
  return SERVICE_UNAVAILABLE
}

/**
 * A read of an account or container: nodes one at a time until one answers 2xx/3xx; with
 * `newest`, every primary at once and the newest 2xx wins. When nothing answers well, the
 * best response over what the nodes said. Handoffs are asked only in place of primaries
 * that failed (a clean 404 from every primary is the answer, without 3 more requests).
 */
export async function readFromNodes(app: ProxyApp, ctx: ProxyContext, target: Target, method: string, headers: OutgoingHttpHeaders, newest = false): Promise<BackendResult> {
  const results: BackendResult[] = []
  if (newest) {
    const nodes = [...app.nodeIter(target.ring, target.part, target.primaries)].slice(0, target.primaries.length)
    const answers = await Promise.all(nodes.map((node) => tryNode(app, node, target, method, headers)))
    let best: BackendResult | undefined
    for (const r of answers) {
      if (!r) continue
      if (r.status >= 200 && r.status < 300 && (!best || sourceTimestamp(r.headers).newerThan(sourceTimestamp(best.headers)))) best = r
      results.push(r)
    }
    if (best) return best
  } else {
    let failures = 0
    let primariesAsked = 0
    for (const node of app.nodeIter(target.ring, target.part, target.primaries)) {
      const isHandoff = (node as { handoff?: boolean }).handoff === true
      if (isHandoff) {
        // Limited primaries were skipped: they count as failures too.
        failures += Math.max(0, target.primaries.length - primariesAsked)
        primariesAsked = target.primaries.length
        if (failures <= 0) break
        failures--
      } else primariesAsked++
      const r = await tryNode(app, node, target, method, headers)
      if (!r) {
        failures++
        continue
      }
      if (r.status >= 200 && r.status < 400) return r
      if (r.status >= 500) failures++
      // A handoff's 404 says nothing about the data: it was never meant to hold it.
      if (!(isHandoff && (r.status === 404 || r.status >= 500))) results.push(r)
    }
  }
  while (results.length < target.primaries.length) results.push(SERVICE_UNAVAILABLE)
  return bestResponse(results, quorumSize(target.primaries.length))
}

async function tryNode(app: ProxyApp, node: BackendNode, target: Target, method: string, headers: OutgoingHttpHeaders): Promise<BackendResult | undefined> {
  try {
    const r = await app.client.request(node, { method, path: fullPath(node, target), headers })
    noteStatus(app, node, r.status, target.serverType)
    return r
  } catch (err) {
    noteError(app, node, err, target.serverType)
    return undefined
  }
}

/**
 * A write to every primary at once (Swift's make_requests): each primary that cannot be
 * reached or answers 5xx is replaced by the next handoff. `headersFor(i)` gives the headers
 * of the i-th primary's request (container/account update targets differ per node).
 */
export async function writeToNodes(
  app: ProxyApp,
  target: Target,
  method: string,
  headersFor: (index: number) => OutgoingHttpHeaders,
  body?: Buffer,
): Promise<BackendResult> {
  const iter = app.nodeIter(target.ring, target.part, target.primaries, { shuffle: false })
  const next = (): BackendNode | undefined => {
    const r = iter.next()
    return r.done ? undefined : r.value
  }
  const one = async (index: number): Promise<BackendResult> => {
    for (let node = next(); node; node = next()) {
      try {
        const r = await app.client.request(node, { method, path: fullPath(node, target), headers: headersFor(index), body })
        noteStatus(app, node, r.status, target.serverType)
        if (r.status < 500) return r
      } catch (err) {
        noteError(app, node, err, target.serverType)
      }
    }
    return SERVICE_UNAVAILABLE
  }
  const results = await Promise.all(target.primaries.map((_n, i) => one(i)))
  return bestResponse(results, quorumSize(target.primaries.length))
}
