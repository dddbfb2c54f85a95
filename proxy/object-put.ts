// Object PUT to the replicas (Swift's ReplicatedObjectController._store_object): connect to
// every primary at once, a handoff standing in for each primary that is error-limited or
// cannot be reached; then stream the client's body to all of them together, each chunk
// written to every node and the next one read only when all of them can take more (the slowest
// node sets the pace; each socket queues at most about a MiB). Success needs a quorum of 2xx.
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { BackendNode } from '../common/backend-client.ts'
import { backendPath, readAll } from '../common/backend-client.ts'
import { HttpError } from '../common/http/errors.ts'
import type { BackendResult, Target } from './backend-requests.ts'
import { SERVICE_UNAVAILABLE, bestResponse, noteError, noteStatus } from './backend-requests.ts'
import type { ProxyApp } from './proxy-app.ts'
import { quorumSize } from './proxy-app.ts'
import { PROXY_YOUNG_GC_BYTES, noteBodyBytes } from '../common/young-gc.ts'

export interface PutOptions {
  /** Body length, or null for chunked. */
  contentLength: number | null
  /** The most bytes a chunked body may carry (max_file_size). */
  maxSize: number
  /** Seconds to wait for each client chunk. */
  clientTimeout: number
}

class Putter {
  /** Final answer of this node, once known. */
  result: BackendResult | undefined
  failed = false
  private responded: Promise<IncomingMessage | undefined>

  constructor(
    readonly app: ProxyApp,
    readonly node: BackendNode,
    readonly req: ClientRequest,
    readonly serverType: string,
  ) {
    this.responded = new Promise((resolve) => {
      req.once('response', (res) => resolve(res))
      req.once('error', (err) => {
        if (!this.failed && !this.result) noteError(app, node, err, serverType)
        this.failed = true
        resolve(undefined)
      })
    })
    // A node answering before the body ended refused it (507, 413, ...): stop feeding it.
    req.once('response', (res) => {
      if (!req.writableEnded) {
        this.failed = true
        res.resume()
        noteStatus(app, node, res.statusCode ?? 500, serverType)
      }
    })
  }

  get live(): boolean {
    return !this.failed && this.result === undefined && !this.req.destroyed
  }

  /** Resolves when the node can take more or failed (the caller bounds the wait). */
  drained(): Promise<void> {
    if (!this.req.writableNeedDrain || !this.live) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        this.req.off('drain', done)
        this.req.off('close', done)
        resolve()
      }
      this.req.on('drain', done)
      this.req.on('close', done)
    })
  }

  abort(): void {
    this.failed = true
    this.req.destroy()
  }

  /** Ends the body and waits (node_timeout) for the node's answer. */
  async finish(timeoutMs: number): Promise<BackendResult | undefined> {
    if (this.result) return this.result
    if (this.failed) return undefined
    if (!this.req.writableEnded) this.req.end()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        noteError(this.app, this.node, new Error('response timed out'), this.serverType)
        this.abort()
        resolve(undefined)
      }, timeoutMs)
    })
    const res = await Promise.race([this.responded, timeout])
    clearTimeout(timer)
    if (!res || this.failed) return undefined
    const status = res.statusCode ?? 500
    noteStatus(this.app, this.node, status, this.serverType)
    let body: Buffer = Buffer.alloc(0)
    try {
      body = await readAll(this.node, res, timeoutMs)
    } catch {
      // The status line is the answer.
    }
    return { status, headers: res.headers, body, node: this.node }
  }
}

/** Connects one putter per primary (handoffs standing in); early answers are kept as results. */
async function connectPutters(app: ProxyApp, target: Target, headersFor: (index: number) => OutgoingHttpHeaders, expectContinue: boolean): Promise<{ putters: Putter[]; early: BackendResult[] }> {
  const iter = app.nodeIter(target.ring, target.part, target.primaries, { shuffle: false })
  const putters: Putter[] = []
  const early: BackendResult[] = []
  const one = async (index: number): Promise<void> => {
    for (let r = iter.next(); !r.done; r = iter.next()) {
      const node = r.value
      const path = backendPath(node, target.part, target.path)
      try {
        const opened = await app.client.open(node, 'PUT', path, headersFor(index), { expectContinue })
        if (opened.early) {
          const status = opened.early.statusCode ?? 500
          noteStatus(app, node, status, target.serverType)
          const body = await readAll(node, opened.early, app.client.nodeTimeoutMs).catch(() => Buffer.alloc(0))
          opened.req.destroy()
          if (status >= 500) continue
          early.push({ status, headers: opened.early.headers, body, node })
          return
        }
        putters.push(new Putter(app, node, opened.req, target.serverType))
        return
      } catch (err) {
        noteError(app, node, err, target.serverType)
      }
    }
  }
  await Promise.all(target.primaries.map((_n, i) => one(i)))
  return { putters, early }
}

/** Streams `body` to the object's nodes; resolves with the quorum's answer. */
export async function putObject(app: ProxyApp, target: Target, body: Readable, headersFor: (index: number) => OutgoingHttpHeaders, options: PutOptions): Promise<BackendResult> {
  const replicas = target.primaries.length
  const quorum = quorumSize(replicas)
  const expectContinue = options.contentLength === null || options.contentLength >= app.config.putExpectContinueMinSize
  const { putters, early } = await connectPutters(app, target, headersFor, expectContinue)
  if (putters.length < quorum) {
    for (const p of putters) p.abort()
    // Every node refusing alike (412 for If-None-Match, ...) is an answer; otherwise 503.
    const refused = bestResponse([...early, ...Array(replicas - early.length).fill(SERVICE_UNAVAILABLE)], quorum)
    app.logger.error('object PUT returning 503', { connected: putters.length, needed: quorum, path: target.path })
    body.resume()
    return refused.status < 500 ? refused : SERVICE_UNAVAILABLE
  }

  const nodeTimeoutMs = app.client.nodeTimeoutMs
  let received = 0
  const reader = new IdleReader(body, options.clientTimeout * 1000)
  try {
    for (let next = await reader.next(); !next.done; next = await reader.next()) {
      const chunk = next.value
      received += chunk.length
      if (options.contentLength === null && received > options.maxSize) throw new HttpError(413, { body: 'Your request is too large.' })
      // The last chunk ends the requests: a body in one chunk goes out with the headers.
      const last = options.contentLength !== null && received >= options.contentLength
      let live = 0
      for (const p of putters) {
        if (!p.live) continue
        if (last) p.req.end(chunk)
        else p.req.write(chunk)
        live++
      }
      if (live < quorum) throw new HttpError(503)
      noteBodyBytes(chunk.length, PROXY_YOUNG_GC_BYTES)
      // The sockets queue up to a MiB (SOCKET_HIGH_WATER_MARK): most chunks need no wait.
      if (putters.some((p) => p.live && p.req.writableNeedDrain)) await allDrained(putters, nodeTimeoutMs)
    }
  } catch (err) {
    for (const p of putters) p.abort()
    if (err instanceof HttpError) throw err
    if ((err as { code?: string }).code === 'ERR_CLIENT_TIMEOUT') throw new HttpError(408)
    // The client went away mid-body (Swift answers 499 to its log).
    throw new HttpError(499, { cause: err })
  } finally {
    reader.close()
  }
  if (options.contentLength !== null && received < options.contentLength) {
    for (const p of putters) p.abort()
    throw new HttpError(499)
  }

  const results = await Promise.all(putters.map((p) => p.finish(nodeTimeoutMs)))
  const answers: BackendResult[] = [...early]
  for (const r of results) answers.push(r ?? SERVICE_UNAVAILABLE)
  while (answers.length < replicas) answers.push(SERVICE_UNAVAILABLE)
  const best = bestResponse(answers, quorum)
  if (best.status >= 200 && best.status < 300) {
    const etags = new Set(answers.filter((a) => a.status >= 200 && a.status < 300).map((a) => String(a.headers.etag ?? '').replace(/"/g, '')))
    if (etags.size > 1) {
      app.logger.error('object servers disagree on the etag', { path: target.path, etags: [...etags] })
      return { status: 500, headers: {}, body: Buffer.alloc(0) }
    }
  }
  return best
}

/**
 * Waits until every live putter can take more; one that stays blocked for node_timeout is
 * dropped (the others go on: the slowest live replica sets the pace, a stuck one does not).
 */
async function allDrained(putters: readonly Putter[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      for (const p of putters) {
        if (!p.live || !p.req.writableNeedDrain) continue
        noteError(p.app, p.node, new Error('write timed out'), p.serverType)
        p.abort()
      }
      resolve()
    }, timeoutMs)
  })
  try {
    await Promise.race([Promise.all(putters.map((p) => p.drained())), timedOut])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Reads the client's body chunk by chunk; next() fails with ERR_CLIENT_TIMEOUT when the
 * client sends nothing for `ms` while it is waited on (time spent writing to the nodes does
 * not count). One timer for the whole body, re-armed per read: a 64 MiB body is 1,000+ reads.
 */
class IdleReader {
  private readonly it: AsyncIterator<unknown>
  private readonly timer: NodeJS.Timeout
  private fail: ((err: Error) => void) | undefined

  constructor(stream: Readable, ms: number) {
    this.it = stream[Symbol.asyncIterator]()
    this.timer = setTimeout(() => this.onIdle(), ms)
  }

  private onIdle(): void {
    const fail = this.fail
    if (!fail) {
      // Not waiting on the client right now: start counting again.
      this.timer.refresh()
      return
    }
    this.fail = undefined
    fail(Object.assign(new Error('client timed out'), { code: 'ERR_CLIENT_TIMEOUT' }))
  }

  next(): Promise<IteratorResult<Buffer>> {
    this.timer.refresh()
    return new Promise((resolve, reject) => {
      this.fail = reject
      this.it.next().then(
        (r) => {
          this.fail = undefined
          resolve(r as IteratorResult<Buffer>)
        },
        (err: unknown) => {
          this.fail = undefined
          reject(err)
        },
      )
    })
  }

  close(): void {
    clearTimeout(this.timer)
  }
}
