// Builds the proxy's Koa app from `[pipeline:main] pipeline = ...` (Swift's paste pipeline):
// each name is a filter from the registry, configured by its [filter:<name>] section, and the
// last one is the proxy-server app itself. As Swift's required_filters, catch_errors is put
// first when the line leaves it out. Before any filter, every request gets a transaction id
// and its log, and a last-resort error boundary renders HttpErrors even without catch_errors.
import Koa from 'koa'
import { randomUUID } from 'node:crypto'
import { HttpError } from '../common/http/errors.ts'
import type { IniSection } from '../common/config/ini.ts'
import type { ProxyConfig } from './config.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware, ProxyState } from './context.ts'
import { MIDDLEWARE_REGISTRY } from './middleware/registry.ts'

export class PipelineError extends Error {
  readonly code = 'ERR_PROXY_PIPELINE'
}

/** Swift's required_filters: inserted when missing, if the registry has them. */
const REQUIRED_FILTERS: readonly { name: string; position: (pipeline: readonly string[]) => number }[] = [{ name: 'catch_errors', position: () => 0 }]

/** Swift's generate_trans_id: "tx" + 21 hex digits + "-" + 10 hex digits of epoch seconds + suffix. */
export function generateTransId(suffix = '', nowMs: number = Date.now()): string {
  const random = randomUUID().replace(/-/g, '').slice(0, 21)
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(10, '0')
  return `tx${random}-${seconds}${encodeURIComponent(suffix)}`
}

/** The names the pipeline runs, required filters inserted. */
export function resolvePipeline(names: readonly string[], registry: readonly MiddlewareFactory[] = MIDDLEWARE_REGISTRY): string[] {
  const out = [...names]
  for (const required of REQUIRED_FILTERS) {
    if (out.includes(required.name) || !registry.some((f) => f.name === required.name)) continue
    out.splice(required.position(out), 0, required.name)
  }
  return out
}

/** The factory a filter name designates: `use = egg:swift#<entry>` picks the entry, else the name. */
function factoryFor(name: string, conf: IniSection, registry: readonly MiddlewareFactory[]): MiddlewareFactory {
  const use = conf.use
  const entry = use ? (/#(.+)$/.exec(use)?.[1] ?? name) : name
  const factory = registry.find((f) => f.name === entry) ?? registry.find((f) => f.name === entry.replace(/_/g, '-')) ?? registry.find((f) => f.name === entry.replace(/-/g, '_'))
  if (!factory) throw new PipelineError(`unknown filter "${name}" in the proxy pipeline`)
  return factory
}

function headerWithTxn(ctx: ProxyContext): void {
  if (ctx.res.headersSent) return
  ctx.set('X-Trans-Id', ctx.state.txnId)
  ctx.set('X-Openstack-Request-Id', ctx.state.txnId)
}

/** Gatekeeper's inbound rule: clients may not set backend or system-metadata headers. */
function stripReservedHeaders(ctx: ProxyContext): void {
  const headers = ctx.req.headers
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-') && (name.startsWith('x-backend-') || /^x-(account|container|object)-(transient-)?sysmeta-/.test(name))) delete headers[name]
  }
}

/** The first middleware: transaction id, log, reserved headers, last-resort error rendering. */
function requestBase(config: ProxyConfig, deps: MiddlewareDeps): ProxyMiddleware {
  return async (ctx, next) => {
    const extra = ctx.get('X-Trans-Id-Extra')
    ctx.state.txnId = generateTransId(extra ? `${config.transIdSuffix}-${extra.slice(0, 32)}` : config.transIdSuffix)
    ctx.state.log = deps.logger.child({ txn: ctx.state.txnId })
    stripReservedHeaders(ctx)
    headerWithTxn(ctx)
    try {
      await next()
    } catch (err) {
      if (ctx.res.headersSent) {
        ctx.res.destroy(err instanceof Error ? err : undefined)
        return
      }
      for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name)
      if (err instanceof HttpError) {
        ctx.status = err.status
        for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v)
        const body = err.renderBody()
        if (!ctx.response.get('Content-Type') && body) ctx.type = 'text/html; charset=UTF-8'
        ctx.body = body
      } else {
        ctx.state.log.error('unhandled error', { err, method: ctx.method, path: ctx.url })
        ctx.status = 500
        ctx.type = 'text/plain'
        ctx.body = 'An error occurred'
      }
    }
    // The filters above may have replaced the id (catch_errors makes its own).
    headerWithTxn(ctx)
  }
}

export interface BuildPipelineOptions {
  config: ProxyConfig
  deps: MiddlewareDeps
  /** The proxy-server app: routes to the controllers. */
  app: ProxyMiddleware
  registry?: readonly MiddlewareFactory[]
}

export function buildPipeline(options: BuildPipelineOptions): Koa<ProxyState> {
  const registry = options.registry ?? MIDDLEWARE_REGISTRY
  const koa = new Koa<ProxyState>()
  // Errors are answered by the middleware; Koa's own handler would only log to stderr.
  koa.silent = true
  koa.on('error', (err: unknown) => options.deps.logger.debug('koa error', { err }))
  koa.use(requestBase(options.config, options.deps))
  const names = resolvePipeline(options.config.pipeline, registry)
  const deps: MiddlewareDeps = { ...options.deps, pipeline: names }
  for (const name of names) {
    if (name === 'proxy-server') break
    const conf = options.config.filters[name] ?? options.config.ini.DEFAULT ?? {}
    koa.use(factoryFor(name, conf, registry).create(conf, deps))
  }
  koa.use(options.app)
  return koa
}
