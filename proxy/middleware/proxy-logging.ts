// One structured access-log line per client request (Swift's proxy_logging): method, path,
// status, bytes in and out, duration, transaction id, client address, user agent, auth user.
//
// Like Swift, the pipeline may list proxy-logging twice (once near the front to catch
// requests answered by middleware such as tempauth's /auth, once just before the app); the
// instance nearest the app that saw the request writes the line, the others stay silent.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import type { Logger } from '../../common/logger.ts'

const OWNER = Symbol('proxy-logging owner')
const COUNTERS = Symbol('proxy-logging counters')

interface Counters {
  bytesIn: number
  bytesOut: number
}

type Counted = { [COUNTERS]?: Counters }

/**
 * Counts request body bytes as the HTTP parser delivers them and response body bytes as they
 * are written, without consuming or pausing either stream.
 */
function countBytes(req: IncomingMessage, res: ServerResponse): Counters {
  const existing = (req as Counted)[COUNTERS]
  if (existing) return existing
  const counters: Counters = { bytesIn: 0, bytesOut: 0 }
  ;(req as Counted)[COUNTERS] = counters
  const push = req.push.bind(req)
  req.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk && typeof (chunk as { length?: unknown }).length === 'number') counters.bytesIn += (chunk as Buffer).length
    return push(chunk, encoding)
  }
  const chunkLength = (chunk: unknown, encoding?: unknown): number =>
    typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk instanceof Uint8Array ? chunk.byteLength : 0
  const write = res.write.bind(res) as (...args: unknown[]) => boolean
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    counters.bytesOut += chunkLength(chunk, rest[0])
    return write(chunk, ...rest)
  }) as ServerResponse['write']
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk !== undefined && typeof chunk !== 'function') counters.bytesOut += chunkLength(chunk, rest[0])
    return end(chunk, ...rest)
  }) as ServerResponse['end']
  return counters
}

/** Swift's get_remote_client: X-Forwarded-For's first address, X-Cluster-Client-Ip, else the peer. */
export function clientIp(ctx: ProxyContext): string | undefined {
  const forwarded = ctx.get('X-Forwarded-For')
  if (forwarded) return forwarded.split(',')[0]!.trim()
  return ctx.get('X-Cluster-Client-Ip') || ctx.req.socket.remoteAddress
}

export interface AccessLogRecord {
  method: string
  path: string
  status: number
  bytesIn: number
  bytesOut: number
  ms: number
  txn: string | undefined
  clientIp: string | undefined
  remoteAddr: string | undefined
  userAgent: string | undefined
  referer: string | undefined
  user: string | undefined
  source: string | undefined
}

export function proxyLogging(options: { logger: Logger }): ProxyMiddleware {
  const log = options.logger
  return async (ctx, next) => {
    const started = process.hrtime.bigint()
    const me = {}
    const state = ctx.state as unknown as Record<symbol, unknown>
    state[OWNER] = me
    const counters = countBytes(ctx.req, ctx.res)
    ctx.res.once('close', () => {
      if (state[OWNER] !== me) return
      // A response that never finished means the client went away: Swift logs 499.
      const status = ctx.res.writableFinished ? ctx.res.statusCode : 499
      const record: AccessLogRecord = {
        method: ctx.method,
        path: ctx.originalUrl,
        status,
        bytesIn: counters.bytesIn,
        bytesOut: ctx.method === 'HEAD' ? 0 : counters.bytesOut,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        txn: ctx.state.txnId,
        clientIp: clientIp(ctx),
        remoteAddr: ctx.req.socket.remoteAddress,
        userAgent: ctx.get('User-Agent') || undefined,
        referer: ctx.get('Referer') || undefined,
        user: ctx.state.identity?.user,
        source: ctx.state.source,
      }
      log.info('access', { ...record })
    })
    await next()
  }
}

export const proxyLoggingFactory: MiddlewareFactory = {
  name: 'proxy-logging',
  create: (_conf, deps) => proxyLogging({ logger: deps.logger.child({ log_route: 'proxy-access' }) }),
}
