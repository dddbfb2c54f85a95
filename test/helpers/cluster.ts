// An in-process Swift-style cluster for functional tests: 4 storage nodes, each one device
// with its own object, container and account server on 127.0.0.1 port 0, rings of 3
// replicas over them (hand-made: replica r of partition p lives on node (p + r) % 4, so
// every partition has exactly one handoff node), and a proxy on port 0 in front. Nodes can
// be stopped and started again on the same ports to play failures.
import http from 'node:http'
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { OutgoingHttpHeaders, IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { parseIni } from '../../common/config/ini.ts'
import { dbServerConfig } from '../../common/config/db-server-config.ts'
import type { HashPathSecrets } from '../../common/hash-path.ts'
import { silentLogger } from '../../common/logger.ts'
import type { Logger } from '../../common/logger.ts'
import { createAccountServer } from '../../account/server.ts'
import { createContainerServer } from '../../container/server.ts'
import type { DbServer } from '../../container/server.ts'
import { parseObjectServerConfig } from '../../object/config.ts'
import { createObjectServer } from '../../object/server.ts'
import { Ring } from '../../ring/ring.ts'
import type { RingData, RingDevice } from '../../ring/types.ts'
import { parseProxyConfigText } from '../../proxy/config.ts'
import type { MiddlewareFactory } from '../../proxy/context.ts'
import { createProxyServer } from '../../proxy/server.ts'
import type { ProxyServer } from '../../proxy/server.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export type ServerKind = 'object' | 'container' | 'account'
const KINDS: readonly ServerKind[] = ['object', 'container', 'account']

export const CLUSTER_SECRETS: HashPathSecrets = Object.freeze({ prefix: 'tern-test-prefix', suffix: 'tern-test-suffix' })

export interface ClusterNode {
  readonly index: number
  readonly device: string
  /** The folder holding this node's device folder (the servers' `devices`). */
  readonly devices: string
  readonly ports: Record<ServerKind, number>
  stop(kinds?: readonly ServerKind[]): Promise<void>
  start(kinds?: readonly ServerKind[]): Promise<void>
}

export interface ClusterResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface RequestOptions {
  headers?: OutgoingHttpHeaders
  body?: Buffer | string | Readable
}

export interface Cluster {
  readonly url: string
  readonly proxy: ProxyServer
  readonly nodes: readonly ClusterNode[]
  readonly rings: { readonly account: Ring; readonly container: Ring; readonly object: Ring }
  readonly root: string
  request(method: string, path: string, options?: RequestOptions): Promise<ClusterResponse>
  close(): Promise<void>
}

export interface ClusterOptions {
  /** Extra `key = value` lines for [app:proxy-server]. */
  proxySettings?: Record<string, string | number | boolean>
  /** The [pipeline:main] line (default: just proxy-server). */
  pipeline?: string
  /** More ini text (filter sections...). */
  extraIni?: string
  registry?: readonly MiddlewareFactory[]
  partPower?: number
  logger?: Logger
}

const NODE_COUNT = 4
const REPLICAS = 3

function ringData(kind: ServerKind, nodes: readonly { ports: Record<ServerKind, number>; device: string }[], partPower: number): RingData {
  const devs: RingDevice[] = nodes.map((n, i) => ({
    id: i, region: 1, zone: i + 1, ip: '127.0.0.1', port: n.ports[kind], replication_ip: '127.0.0.1', replication_port: n.ports[kind],
    device: n.device, weight: 1, meta: '',
  }))
  const parts = 2 ** partPower
  const replica2part2dev = Array.from({ length: REPLICAS }, (_v, r) => {
    const a = new Uint16Array(parts)
    for (let p = 0; p < parts; p++) a[p] = (p + r) % NODE_COUNT
    return a
  })
  return { devs, replica2part2dev, partShift: 32 - partPower, version: 1 }
}

type Running = { close(): Promise<void>; port: number }

async function startServer(kind: ServerKind, devices: string, port: number, logger: Logger): Promise<Running> {
  if (kind === 'object') {
    const config = parseObjectServerConfig(parseIni(`[DEFAULT]\ndevices = ${devices}\nmount_check = false\nbind_ip = 127.0.0.1\nbind_port = ${port}\nworkers = 1\n`), CLUSTER_SECRETS)
    const server = createObjectServer(config, logger)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    return {
      port: (server.address() as AddressInfo).port,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    }
  }
  const config = dbServerConfig(kind, { devices, mountCheck: false, bindIp: '127.0.0.1', bindPort: port, hashPath: CLUSTER_SECRETS })
  const server: DbServer = kind === 'container' ? createContainerServer(config, logger) : createAccountServer(config, logger)
  const bound = await server.listen()
  return { port: bound, close: () => server.close() }
}

export async function startCluster(t: Teardown, options: ClusterOptions = {}): Promise<Cluster> {
  const logger = options.logger ?? silentLogger
  const root = await mkdtemp(join(tmpdir(), 'tern-cluster-'))
  const nodes: ClusterNode[] = []
  const running = new Map<string, Running>()
  for (let i = 0; i < NODE_COUNT; i++) {
    const device = `d${i}`
    const devices = join(root, `node${i}`)
    await mkdir(join(devices, device), { recursive: true })
    const ports = { object: 0, container: 0, account: 0 }
    const node: ClusterNode = {
      index: i,
      device,
      devices,
      ports,
      async stop(kinds = KINDS) {
        for (const kind of kinds) {
          const r = running.get(`${i}/${kind}`)
          running.delete(`${i}/${kind}`)
          await r?.close()
        }
      },
      async start(kinds = KINDS) {
        for (const kind of kinds) {
          if (running.has(`${i}/${kind}`)) continue
          const r = await startServer(kind, devices, ports[kind], logger)
          ports[kind] = r.port
          running.set(`${i}/${kind}`, r)
        }
      },
    }
    await node.start()
    nodes.push(node)
  }
  const partPower = options.partPower ?? 6
  const rings = {
    account: Ring.fromData(ringData('account', nodes, partPower), { secrets: CLUSTER_SECRETS }),
    container: Ring.fromData(ringData('container', nodes, partPower), { secrets: CLUSTER_SECRETS }),
    object: Ring.fromData(ringData('object', nodes, partPower), { secrets: CLUSTER_SECRETS }),
  }
  const settings: Record<string, string | number | boolean> = {
    bind_ip: '127.0.0.1',
    bind_port: 0,
    account_autocreate: true,
    conn_timeout: 0.5,
    node_timeout: 5,
    swift_dir: root,
    ...options.proxySettings,
  }
  const ini = [
    '[pipeline:main]',
    `pipeline = ${options.pipeline ?? 'proxy-server'}`,
    '[app:proxy-server]',
    ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`),
    '[swift-hash]',
    `swift_hash_path_prefix = ${CLUSTER_SECRETS.prefix}`,
    `swift_hash_path_suffix = ${CLUSTER_SECRETS.suffix}`,
    options.extraIni ?? '',
  ].join('\n')
  const proxy = createProxyServer(parseProxyConfigText(ini), logger, { rings, ...(options.registry ? { registry: options.registry } : {}) })
  const address = await proxy.listen(0, '127.0.0.1')
  const url = `http://127.0.0.1:${address.port}`
  const agent = new http.Agent({ keepAlive: true })

  const cluster: Cluster = {
    url,
    proxy,
    nodes,
    rings,
    root,
    request: (method, path, opts = {}) => clusterRequest(agent, url, method, path, opts),
    async close() {
      agent.destroy()
      await proxy.close()
      for (const node of nodes) await node.stop()
      await rm(root, { recursive: true, force: true })
    },
  }
  t.teardown(() => cluster.close())
  return cluster
}

export function clusterRequest(agent: http.Agent, base: string, method: string, path: string, opts: RequestOptions = {}): Promise<ClusterResponse> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...opts.headers }
    const body = opts.body
    if ((typeof body === 'string' || Buffer.isBuffer(body)) && headers['content-length'] === undefined && headers['Content-Length'] === undefined) {
      headers['Content-Length'] = Buffer.byteLength(body)
    }
    const req = http.request(`${base}${path}`, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body)
    else body.pipe(req)
  })
}
