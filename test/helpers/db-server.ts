// Starts a container or account server on loopback (port 0) over devices in a temp folder,
// and gives tests a small HTTP client for the backend API.
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import http from 'node:http'
import { dbServerConfig } from '../../common/config/db-server-config.ts'
import type { DbServerConfig } from '../../common/config/db-server-config.ts'
import { silentLogger } from '../../common/logger.ts'
import type { Logger } from '../../common/logger.ts'
import { createContainerServer } from '../../container/server.ts'
import type { DbServer } from '../../common/db/db-server-shell.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export interface TestNode {
  root: string
  port: number
  server: DbServer
  config: DbServerConfig
  request(method: string, path: string, headers?: Record<string, string | number>): Promise<Reply>
}

export async function tempDevices(t: Teardown, devices: string[] = ['sda']): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tern-db-'))
  for (const d of devices) await mkdir(join(root, d))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  return root
}

export async function startNode(
  t: Teardown,
  create: (config: DbServerConfig, logger: Logger) => DbServer = createContainerServer,
  type: 'container' | 'account' = 'container',
  options: { root?: string; logger?: Logger; overrides?: Partial<DbServerConfig> } = {},
): Promise<TestNode> {
  const root = options.root ?? (await tempDevices(t))
  const config = dbServerConfig(type, { devices: root, mountCheck: false, bindIp: '127.0.0.1', bindPort: 0, ...options.overrides })
  const server = create(config, options.logger ?? silentLogger)
  const port = await server.listen()
  t.teardown(() => server.close())
  return { root, port, server, config, request: (method, path, headers = {}) => request(port, method, path, headers) }
}

const agent = new http.Agent({ keepAlive: true })

export function request(port: number, method: string, path: string, headers: Record<string, string | number> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Percent-encodes each segment of a backend path. */
export function backendPath(...segments: string[]): string {
  return '/' + segments.map((s) => encodeURIComponent(s)).join('/')
}

let clock = 1_700_000_000
/** Increasing normalized timestamps. */
export function nextTs(): string {
  clock += 1.5
  return clock.toFixed(5).padStart(16, '0')
}
