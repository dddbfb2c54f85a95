// GET /healthcheck answers 200 "OK" for load balancers, or 503 "DISABLED BY FILE" while the
// file named by disable_path exists (an operator draining this proxy). Swift's healthcheck.
import { access } from 'node:fs/promises'
import type { MiddlewareFactory, ProxyMiddleware } from '../context.ts'

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

export function healthcheck(options: { disablePath?: string | undefined } = {}): ProxyMiddleware {
  const disablePath = options.disablePath ?? ''
  return async (ctx, next) => {
    if (ctx.path !== '/healthcheck') return next()
    ctx.state.source = 'healthcheck'
    const disabled = disablePath !== '' && (await exists(disablePath))
    ctx.status = disabled ? 503 : 200
    ctx.type = 'text/plain'
    ctx.body = disabled ? 'DISABLED BY FILE' : 'OK'
  }
}

export const healthcheckFactory: MiddlewareFactory = {
  name: 'healthcheck',
  create: (conf) => healthcheck({ disablePath: conf.disable_path }),
}
