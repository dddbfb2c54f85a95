// The proxy server: config + rings + pipeline on a node:http server. Header limits follow
// Swift's: a request whose headers overflow the parser gets 400 as eventlet answers, not
// node's 431.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'
import { SOCKET_HIGH_WATER_MARK } from '../common/backend-client.ts'
import type { Logger } from '../common/logger.ts'
import type { ProxyConfig } from './config.ts'
import type { MiddlewareDeps, MiddlewareFactory, ProxyState } from './context.ts'
import { getAccountInfo, getContainerInfo } from './info-lookup.ts'
import { buildPipeline } from './pipeline.ts'
import type { ProxyRings } from './proxy-app.ts'
import { ProxyApp, loadRings } from './proxy-app.ts'
import { proxyServerApp } from './router.ts'

export interface ProxyServer {
  readonly app: ProxyApp
  readonly koa: Koa<ProxyState>
  readonly server: http.Server
  /** Listens on bind_ip:bind_port (port 0: any); resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>
  close(): Promise<void>
}

export interface ProxyServerOptions {
  /** Rings in memory instead of <swift_dir>/*.ring.gz (tests). */
  rings?: ProxyRings
  registry?: readonly MiddlewareFactory[]
}

export function createProxyServer(config: ProxyConfig, logger: Logger, options: ProxyServerOptions = {}): ProxyServer {
  const app = new ProxyApp(config, options.rings ?? loadRings(config), logger)
  const deps: MiddlewareDeps = {
    logger,
    getContainerInfo: (ctx, account, container) => getContainerInfo(app, ctx, account, container),
    forgetContainerInfo: (account, container) => app.infoCache.invalidateContainer(account, container),
    getAccountInfo: (ctx, account) => getAccountInfo(app, ctx, account),
    registerInfo: (name, data, opts) => app.info.register(name, data, opts),
  }
  const koa = buildPipeline({ config, deps, app: proxyServerApp(app), ...(options.registry ? { registry: options.registry } : {}) })
  const c = config.constraints
  const server = http.createServer(
    {
      keepAlive: true,
      highWaterMark: SOCKET_HIGH_WATER_MARK,
      // Room for every header Swift allows (meta count and size) plus the usual ones.
      maxHeaderSize: Math.max(16384, c.maxHeaderSize + c.maxMetaOverallSize + 8192),
      requestTimeout: 0,
      headersTimeout: config.clientTimeout * 1000,
    },
    koa.callback(),
  )
  server.keepAliveTimeout = 65_000
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy()
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '400 Header Line Too Long' : '400 Bad Request'
    socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
  })
  return {
    app,
    koa,
    server,
    listen(port = config.bindPort, host = config.bindIp) {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      })
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        app.close()
      })
    },
  }
}
