// A Koa app on 127.0.0.1:0 running a list of proxy middleware, for middleware unit tests
// that need real HTTP (headers, HEAD, streaming) without the whole proxy.
import Koa from 'koa'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { ProxyMiddleware, ProxyState } from '../../proxy/context.ts'
import { silentLogger } from '../../common/logger.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function serveMiddleware(t: Teardown, middleware: ProxyMiddleware[]): Promise<{ url: string; server: Server }> {
  const app = new Koa<ProxyState>()
  app.silent = true
  app.use(async (ctx, next) => {
    ctx.state.txnId ??= '-'
    ctx.state.log ??= silentLogger
    await next()
  })
  for (const m of middleware) app.use(m)
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  t.teardown(() => server.closeAllConnections())
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, server }
}
