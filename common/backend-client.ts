// The transport between the proxy (and the consistency daemons) and the storage servers:
// one keep-alive agent per node address, conn_timeout to connect, node_timeout for every
// silence after that, and Swift's error limiting shared by everything using one client (a
// node that failed more than error_suppression_limit times is skipped until
// error_suppression_interval seconds pass without a new error). Swift spreads this over
// swift/common/bufferedhttp.py and proxy/server.py's error_occurred/error_limit.
import http from 'node:http'
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import type { Logger } from './logger.ts'
import { silentLogger } from './logger.ts'

/** What the client needs of a ring device. */
export interface BackendNode {
  readonly ip: string
  readonly port: number
  readonly device: string
}

export type BackendErrorCode = 'ERR_BACKEND_CONNECT' | 'ERR_BACKEND_CONNECT_TIMEOUT' | 'ERR_BACKEND_TIMEOUT' | 'ERR_BACKEND_SOCKET'

export class BackendError extends Error {
  readonly code: BackendErrorCode
  readonly node: BackendNode
  constructor(code: BackendErrorCode, node: BackendNode, message: string, cause?: unknown) {
    super(`${message} (${nodeKey(node)})`, { cause })
    this.name = 'BackendError'
    this.code = code
    this.node = node
  }
}

export function nodeKey(node: BackendNode): string {
  return `${node.ip}:${node.port}/${node.device}`
}

/** Swift's quote(path, safe='/'): each byte outside the unreserved set percent-encoded. */
export function quotePath(path: string): string {
  return encodeURIComponent(path).replace(/%2F/g, '/')
}

/** "/<device>/<partition>/<path>" with the path quoted, as the storage servers expect. */
export function backendPath(node: BackendNode, partition: number | string, path: string): string {
  return `/${quotePath(node.device)}/${partition}${quotePath(path.startsWith('/') ? path : `/${path}`)}`
}

interface NodeErrors {
  errors: number
  lastError: number
}

/** Per-node error counts with Swift's suppression rules. */
export class ErrorLimiter {
  private readonly stats = new Map<string, NodeErrors>()
  constructor(
    readonly limit: number,
    readonly intervalSeconds: number,
    private readonly logger: Logger = silentLogger,
    private readonly now: () => number = Date.now,
  ) {}

  isLimited(node: BackendNode): boolean {
    if (this.stats.size === 0) return false
    const key = nodeKey(node)
    const s = this.stats.get(key)
    if (!s) return false
    if (this.now() - s.lastError > this.intervalSeconds * 1000) {
      this.stats.delete(key)
      return false
    }
    return s.errors > this.limit
  }

  /** One more failure (timeout, connection error, 5xx). */
  errorOccurred(node: BackendNode, reason: string): void {
    const key = nodeKey(node)
    const s = this.stats.get(key) ?? { errors: 0, lastError: 0 }
    s.errors++
    s.lastError = this.now()
    this.stats.set(key, s)
    this.logger.warn('backend error', { node: key, reason, errors: s.errors })
    if (s.errors === this.limit + 1) this.logger.error('node error limited', { node: key })
  }

  /** Limits the node at once (507: the device is unmounted or full). */
  errorLimit(node: BackendNode, reason: string): void {
    const key = nodeKey(node)
    this.stats.set(key, { errors: this.limit + 1, lastError: this.now() })
    this.logger.error('node error limited', { node: key, reason })
  }

  /** Forgets every count (tests, ring reloads). */
  reset(): void {
    this.stats.clear()
  }
}

export interface BackendClientOptions {
  /** Seconds. */
  connTimeout?: number
  /** Seconds. */
  nodeTimeout?: number
  errorSuppressionLimit?: number
  errorSuppressionInterval?: number
  /** Idle sockets kept per node address. */
  maxFreeSockets?: number
  logger?: Logger
  now?: () => number
}

export interface BackendRequestOptions {
  method: string
  /** Path and query, already quoted (see backendPath). */
  path: string
  headers?: OutgoingHttpHeaders
  body?: Buffer | string | undefined
  /** Seconds; overrides the client's node_timeout. */
  timeout?: number | undefined
}

export interface BackendResponse {
  readonly node: BackendNode
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

export interface OpenOptions {
  /** Send "Expect: 100-continue" and resolve once the server said continue (or answered). */
  expectContinue?: boolean
}

export class BackendClient {
  readonly connTimeoutMs: number
  readonly nodeTimeoutMs: number
  readonly errorLimiter: ErrorLimiter
  readonly logger: Logger
  private readonly agents = new Map<string, http.Agent>()
  private readonly maxFreeSockets: number

  constructor(options: BackendClientOptions = {}) {
    this.connTimeoutMs = (options.connTimeout ?? 0.5) * 1000
    this.nodeTimeoutMs = (options.nodeTimeout ?? 10) * 1000
    this.logger = options.logger ?? silentLogger
    this.maxFreeSockets = options.maxFreeSockets ?? 256
    this.errorLimiter = new ErrorLimiter(options.errorSuppressionLimit ?? 10, options.errorSuppressionInterval ?? 60, this.logger, options.now)
  }

  /** The keep-alive agent of a node's address, created on first use and kept. */
  agentFor(node: BackendNode): http.Agent {
    const key = `${node.ip}:${node.port}`
    let agent = this.agents.get(key)
    if (!agent) {
      // The agent hands its options to every socket it creates (net.Socket takes highWaterMark).
      const options: http.AgentOptions & { highWaterMark: number } = { keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: this.maxFreeSockets, scheduling: 'lifo', highWaterMark: SOCKET_HIGH_WATER_MARK }
      agent = new http.Agent(options)
      this.agents.set(key, agent)
    }
    return agent
  }

  /** Creates the request with the node's agent and conn_timeout armed; errors are the caller's to handle. */
  private start(node: BackendNode, method: string, path: string, headers: OutgoingHttpHeaders): ClientRequest {
    const req = http.request({ host: node.ip, port: node.port, method, path, headers, agent: this.agentFor(node) })
    // Errors reach the caller through the promises below; never crash the process.
    req.on('error', noop)
    req.once('socket', (socket) => {
      if (!socket.connecting) return
      const timer = setTimeout(() => req.destroy(new BackendError('ERR_BACKEND_CONNECT_TIMEOUT', node, 'connect timed out')), this.connTimeoutMs)
      // Both listeners go once either fires: one left on a keep-alive socket would hold this
      // request, its response and the body read from it for as long as the socket lives (the
      // proxy kept ~100 MB of 1.7 MB listing pages that way).
      const settled = () => {
        clearTimeout(timer)
        socket.off('connect', settled)
        socket.off('close', settled)
      }
      socket.once('connect', settled)
      socket.once('close', settled)
    })
    return req
  }

  /**
   * Starts a request whose body the caller streams; resolves once the connection is up
   * (within conn_timeout) and, with expectContinue, once the server said 100 Continue. When
   * the server answers before that, resolves with the response in `early`.
   */
  open(node: BackendNode, method: string, path: string, headers: OutgoingHttpHeaders, options: OpenOptions = {}): Promise<{ req: ClientRequest; early?: IncomingMessage }> {
    const outHeaders = options.expectContinue ? { ...headers, Expect: '100-continue' } : headers
    const req = this.start(node, method, path, outHeaders)
    return new Promise((resolve, reject) => {
      let settled = false
      let timer: NodeJS.Timeout | undefined
      const finish = (err?: Error, early?: IncomingMessage) => {
        if (settled) return
        settled = true
        if (timer) clearTimeout(timer)
        req.off('error', onError)
        if (err) {
          req.destroy()
          reject(err)
        } else resolve(early ? { req, early } : { req })
      }
      const onError = (err: Error) => finish(toBackendError(node, err, 'ERR_BACKEND_CONNECT'))
      req.on('error', onError)
      req.once('response', (res) => finish(undefined, res))
      const connected = () => {
        if (!options.expectContinue) return finish()
        // Waiting for 100 Continue is waiting on the server: node_timeout applies.
        timer = setTimeout(() => finish(new BackendError('ERR_BACKEND_TIMEOUT', node, 'no 100 Continue in time')), this.nodeTimeoutMs)
        req.once('continue', () => finish())
      }
      req.once('socket', (socket) => {
        if (socket.connecting) socket.once('connect', connected)
        else connected()
      })
      // With Expect the headers go now, and the server answers before any body byte. Without
      // it they go with the first body bytes, in one write: a small PUT reaches the node as one
      // segment, read in one wake-up, instead of headers and body apart.
      if (options.expectContinue) req.flushHeaders()
    })
  }

  /** Resolves with the response headers of a request whose body was ended, within `timeoutMs`. */
  waitResponse(node: BackendNode, req: ClientRequest, timeoutMs = this.nodeTimeoutMs): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        req.destroy()
        reject(new BackendError('ERR_BACKEND_TIMEOUT', node, 'response timed out'))
      }, timeoutMs)
      req.once('response', (res) => {
        clearTimeout(timer)
        resolve(res)
      })
      req.once('error', (err) => {
        clearTimeout(timer)
        reject(toBackendError(node, err, 'ERR_BACKEND_SOCKET'))
      })
    })
  }

  /**
   * Sends a request without a body; resolves with the response, its body left unread. A
   * keep-alive socket the server closed meanwhile (it restarted) is retried once on a fresh
   * one, so a restart is not counted against the node.
   */
  async send(node: BackendNode, method: string, path: string, headers: OutgoingHttpHeaders, timeoutMs = this.nodeTimeoutMs): Promise<IncomingMessage> {
    try {
      return await this.sendOnce(node, method, path, headers, timeoutMs)
    } catch (err) {
      if ((err as { retryable?: boolean }).retryable) return this.sendOnce(node, method, path, headers, timeoutMs)
      throw err
    }
  }

  private async sendOnce(node: BackendNode, method: string, path: string, headers: OutgoingHttpHeaders, timeoutMs: number): Promise<IncomingMessage> {
    const req = this.start(node, method, path, headers)
    const responded = this.waitResponse(node, req, timeoutMs)
    req.end()
    return markRetryable(req, responded)
  }

  /**
   * A whole request: sends `body`, reads the whole response. Rejects with BackendError on
   * connection failures and timeouts (a keep-alive socket the server closed meanwhile is
   * retried once on a fresh one); answers any HTTP status.
   */
  async request(node: BackendNode, options: BackendRequestOptions): Promise<BackendResponse> {
    try {
      return await this.requestOnce(node, options)
    } catch (err) {
      if ((err as { retryable?: boolean }).retryable) return this.requestOnce(node, options)
      throw err
    }
  }

  private async requestOnce(node: BackendNode, options: BackendRequestOptions): Promise<BackendResponse> {
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? Buffer.from(options.body) : options.body
    const headers: OutgoingHttpHeaders = { ...options.headers }
    if (body) headers['Content-Length'] = body.length
    else if (options.method !== 'GET' && options.method !== 'HEAD' && headers['Content-Length'] === undefined && headers['content-length'] === undefined) headers['Content-Length'] = 0
    const req = this.start(node, options.method, options.path, headers)
    const timeoutMs = (options.timeout ?? this.nodeTimeoutMs / 1000) * 1000
    const responded = this.waitResponse(node, req, timeoutMs)
    req.end(body)
    const res = await markRetryable(req, responded)
    const chunks = await readAll(node, res, timeoutMs)
    return { node, status: res.statusCode ?? 500, headers: res.headers, body: chunks }
  }

  /** Closes every idle socket (the server is shutting down). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }
}

/**
 * Bytes a socket queues before write() asks the writer to wait (Node's default is 16 KiB), for
 * backend sockets and for the servers' client sockets (proxy/server.ts, storage-server.ts): a
 * streamed object body (64 KiB chunks fanned out to every replica, or relayed to a client) then
 * waits for 'drain' once per MiB instead of after nearly every chunk whenever the peer's kernel
 * buffer is full. Only a streaming writer ever queues this much, so small requests are unaffected.
 */
export const SOCKET_HIGH_WATER_MARK = 1024 * 1024

function noop(): void {}

/** A failure on a reused keep-alive socket before any answer is marked safe to retry on a new one. */
async function markRetryable(req: http.ClientRequest, responded: Promise<IncomingMessage>): Promise<IncomingMessage> {
  try {
    return await responded
  } catch (err) {
    if (req.reusedSocket && (err as BackendError).code === 'ERR_BACKEND_SOCKET') Object.assign(err as object, { retryable: true })
    throw err
  }
}

function toBackendError(node: BackendNode, err: Error, code: BackendErrorCode): BackendError {
  if (err instanceof BackendError) return err
  const sys = (err as NodeJS.ErrnoException).code
  const connectFailed = sys === 'ECONNREFUSED' || sys === 'EHOSTUNREACH' || sys === 'ENETUNREACH' || sys === 'EADDRNOTAVAIL'
  return new BackendError(connectFailed ? 'ERR_BACKEND_CONNECT' : code, node, `${connectFailed ? 'connect' : 'request'} failed: ${err.message}`, err)
}

/** Reads a response body with node_timeout between chunks. */
export function readAll(node: BackendNode, res: IncomingMessage, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let timer = setTimeout(onTimeout, idleMs)
    function onTimeout() {
      res.destroy()
      reject(new BackendError('ERR_BACKEND_TIMEOUT', node, 'body read timed out'))
    }
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      timer.refresh()
    })
    res.once('end', () => {
      clearTimeout(timer)
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks))
    })
    res.once('error', (err) => {
      clearTimeout(timer)
      reject(new BackendError('ERR_BACKEND_SOCKET', node, `body read failed: ${err.message}`, err))
    })
    res.once('aborted', () => {
      clearTimeout(timer)
      reject(new BackendError('ERR_BACKEND_SOCKET', node, 'body read aborted'))
    })
  })
}

/**
 * Destroys `stream` with a BackendError when it stays silent for `idleMs` while someone is
 * reading it; time spent paused because the reader is slow does not count. Progress is read
 * off the socket's byte count: a 'data' listener would switch the stream to flowing mode.
 */
export function watchIdle(node: BackendNode, stream: IncomingMessage, idleMs: number): () => void {
  const bytesRead = () => stream.socket?.bytesRead ?? 0
  let last = bytesRead()
  let timer: NodeJS.Timeout | undefined = setTimeout(check, idleMs)
  timer.unref()
  function check() {
    const now = bytesRead()
    const backpressured = stream.readableFlowing !== true || stream.readableLength >= stream.readableHighWaterMark
    if (now !== last || backpressured) {
      last = now
      timer?.refresh()
      return
    }
    stream.destroy(new BackendError('ERR_BACKEND_TIMEOUT', node, 'body read timed out'))
  }
  const stop = () => {
    if (timer) clearTimeout(timer)
    timer = undefined
  }
  stream.once('close', stop)
  stream.once('end', stop)
  return stop
}
