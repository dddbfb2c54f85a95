// Rate limiting (Swift's ratelimit middleware): container PUT/DELETE per account
// (account_ratelimit), object writes per container by the container's object count
// (container_ratelimit_<size>, rates interpolated between sizes) and container listings
// (container_listing_ratelimit_<size>), in requests per second. A request over its rate waits
// for its turn; when the wait would pass max_sleep_time_seconds it is answered 498 "Slow
// down". Accounts in account_blacklist get 497 "Your account has been blacklisted", those in
// account_whitelist are never limited. Swift keeps the running times in memcache; here they
// live in this proxy process, so each proxy worker limits on its own.
import { setTimeout as sleep } from 'node:timers/promises'
import type { IniSection } from '../../common/config/ini.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyContext, ProxyMiddleware } from '../context.ts'
import { swiftPathOf } from '../request-path.ts'

/** One point of a size-dependent rate; between points the rate is linear (Swift's interpret_conf_limits). */
export interface RatePoint {
  size: number
  rate: number
}

export interface RateLimitConfig {
  accountRatelimit: number
  maxSleepTimeSeconds: number
  logSleepTimeSeconds: number
  clockAccuracy: number
  rateBufferSeconds: number
  whitelist: string[]
  blacklist: string[]
  containerRatelimits: RatePoint[]
  containerListingRatelimits: RatePoint[]
}

const num = (conf: IniSection, key: string, fallback: number) => {
  const n = Number(conf[key] ?? '')
  return conf[key] !== undefined && Number.isFinite(n) ? n : fallback
}
const names = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)

function ratePoints(conf: IniSection, prefix: string): RatePoint[] {
  const points: RatePoint[] = []
  for (const [key, value] of Object.entries(conf)) {
    if (!key.startsWith(prefix)) continue
    const size = Number.parseInt(key.slice(prefix.length), 10)
    const rate = Number(value)
    if (Number.isFinite(size) && Number.isFinite(rate)) points.push({ size, rate })
  }
  return points.sort((a, b) => a.size - b.size || a.rate - b.rate)
}

export function parseRateLimitConfig(conf: IniSection): RateLimitConfig {
  return {
    accountRatelimit: num(conf, 'account_ratelimit', 0),
    maxSleepTimeSeconds: num(conf, 'max_sleep_time_seconds', 60),
    logSleepTimeSeconds: num(conf, 'log_sleep_time_seconds', 0),
    clockAccuracy: Math.trunc(num(conf, 'clock_accuracy', 1000)),
    rateBufferSeconds: Math.trunc(num(conf, 'rate_buffer_seconds', 5)),
    whitelist: names(conf.account_whitelist),
    blacklist: names(conf.account_blacklist),
    containerRatelimits: ratePoints(conf, 'container_ratelimit_'),
    containerListingRatelimits: ratePoints(conf, 'container_listing_ratelimit_'),
  }
}

/** Swift's get_maxrate: the rate for a container of `size` objects, undefined when unlimited. */
export function maxRate(points: readonly RatePoint[], size: number): number | undefined {
  if (!size) return undefined
  let found: number | undefined
  for (const [i, point] of points.entries()) {
    if (size < point.size) break
    const nextPoint = points[i + 1]
    found = nextPoint ? (size - point.size) * ((nextPoint.rate - point.rate) / (nextPoint.size - point.size)) + point.rate : point.rate
  }
  return found
}

class MaxSleepTimeHit extends Error {
  readonly code = 'ERR_RATELIMIT_MAX_SLEEP'
}

/** The running "next free slot" per key, in clock_accuracy units (memcache's role in Swift). */
export class RateLimiter {
  private readonly slots = new Map<string, number>()
  constructor(private readonly config: RateLimitConfig) {}

  /** Seconds to wait before the request may go, reserving its slot; throws when over max sleep. */
  sleepTime(key: string, rate: number, nowMs: number = Date.now()): number {
    const acc = this.config.clockAccuracy
    const now = Math.round((nowMs / 1000) * acc)
    const perRequest = Math.round(acc / rate)
    const running = (this.slots.get(key) ?? 0) + perRequest
    this.slots.set(key, running)
    let need = 0
    if (now - running > this.config.rateBufferSeconds * acc) this.slots.set(key, now + perRequest)
    else need = Math.max(running - now - perRequest, 0)
    if (this.config.maxSleepTimeSeconds * acc - need <= acc * 0.01) {
      this.slots.set(key, (this.slots.get(key) ?? 0) - perRequest)
      throw new MaxSleepTimeHit(`Max Sleep Time Exceeded: ${(need / acc).toFixed(2)}`)
    }
    return need / acc
  }
}

/** Swift's answers carry their own reason phrases ("498 Rate Limited"), unknown to Node. */
function answer(ctx: ProxyContext, status: number, reason: string, body: string): void {
  ctx.status = status
  ctx.message = reason
  ctx.type = 'text/html; charset=UTF-8'
  ctx.body = body
}

export function rateLimit(config: RateLimitConfig, deps: MiddlewareDeps): ProxyMiddleware {
  const limiter = new RateLimiter(config)
  const containerSize = async (ctx: ProxyContext, account: string, container: string) => (await deps.getContainerInfo?.(ctx, account, container))?.objectCount ?? 0
  return async (ctx, next) => {
    const p = swiftPathOf(ctx)
    if (!p) return next()
    const { account, container, object } = p
    if (config.whitelist.includes(account)) return next()
    if (config.blacklist.includes(account)) {
      ctx.state.log.error('Returning 497 because of blacklisting', { account })
      await sleep(1000)
      return answer(ctx, 497, 'Blacklisted', 'Your account has been blacklisted')
    }
    const write = ['PUT', 'DELETE', 'POST', 'COPY'].includes(ctx.method)
    const keys: [string, number][] = []
    if (config.accountRatelimit && container !== undefined && object === undefined && (ctx.method === 'PUT' || ctx.method === 'DELETE')) {
      keys.push([`ratelimit/${account}`, config.accountRatelimit])
    }
    if (container !== undefined && object !== undefined && write && config.containerRatelimits.length) {
      const rate = maxRate(config.containerRatelimits, await containerSize(ctx, account, container))
      if (rate) keys.push([`ratelimit/${account}/${container}`, rate])
    }
    if (container !== undefined && object === undefined && ctx.method === 'GET' && config.containerListingRatelimits.length) {
      const rate = maxRate(config.containerListingRatelimits, await containerSize(ctx, account, container))
      if (rate) keys.push([`ratelimit_listing/${account}/${container}`, rate])
    }
    for (const [key, rate] of keys) {
      let wait: number
      try {
        wait = limiter.sleepTime(key, rate)
      } catch (err) {
        if (!(err instanceof MaxSleepTimeHit)) throw err
        const path = [account, container, object].filter((s) => s !== undefined).join('/')
        ctx.state.log.error(`Returning 498 for ${ctx.method} to ${path}. Ratelimit (Max Sleep) ${err.message}`)
        return answer(ctx, 498, 'Rate Limited', 'Slow down')
      }
      if (config.logSleepTimeSeconds && wait > config.logSleepTimeSeconds) ctx.state.log.warn('Ratelimit sleep log', { sleep: wait, account, container, object })
      if (wait > 0) await sleep(wait * 1000)
    }
    return next()
  }
}

export const rateLimitFactory: MiddlewareFactory = {
  name: 'ratelimit',
  create(conf, deps) {
    const config = parseRateLimitConfig(conf)
    const info = (points: RatePoint[]) => points.map((pt) => [pt.size, pt.rate])
    deps.registerInfo?.('ratelimit', {
      account_ratelimit: config.accountRatelimit,
      max_sleep_time_seconds: config.maxSleepTimeSeconds,
      container_ratelimits: info(config.containerRatelimits),
      container_listing_ratelimits: info(config.containerListingRatelimits),
    })
    return rateLimit(config, deps)
  },
}
