// Where the all-in-one cluster lives and which ports it uses. Everything sits under one home
// folder (./var, or $TERN_HOME): etc/ (swift.conf, proxy-server.conf, one config per storage
// node, the rings), nodes/ (each node's devices), log/ (each process's output), run/ (pids).
//
// Ports follow Swift's SAIO (development "Swift All In One"): storage node N serves objects
// on <base>+10N, containers on <base>+10N+1, accounts on <base>+10N+2; with the default base
// 6200 that is 6210/6211/6212 for node 1 ... 6240/6241/6242 for node 4. The proxy listens on
// 8080. TERN_PORT_BASE and TERN_PROXY_PORT move them (tests run clusters on free ports).
import { isAbsolute, join, resolve } from 'node:path'

export const NODE_COUNT = 4
export const REPLICAS = 3
export const PART_POWER = 10
export const DEFAULT_PORT_BASE = 6200
export const DEFAULT_PROXY_PORT = 8080
export const DEFAULT_BIND_IP = '127.0.0.1'
/** Storage nodes always listen on loopback: only the proxy faces clients. */
export const STORAGE_IP = '127.0.0.1'

export type ServerType = 'object' | 'container' | 'account'
export const SERVER_TYPES: readonly ServerType[] = ['object', 'container', 'account']
const TYPE_OFFSET: Record<ServerType, number> = { object: 0, container: 1, account: 2 }

export class LayoutError extends Error {
  readonly code = 'ERR_ALL_IN_ONE_LAYOUT'
  constructor(message: string) {
    super(message)
    this.name = 'LayoutError'
  }
}

export interface NodeLayout {
  /** 1-based, as SAIO numbers its nodes. */
  readonly index: number
  readonly name: string
  /** The "devices" folder of the node; its one device is `device` inside it. */
  readonly devicesDir: string
  readonly device: string
  readonly configPath: string
  readonly ports: Readonly<Record<ServerType, number>>
}

export interface Layout {
  readonly home: string
  readonly etcDir: string
  readonly logDir: string
  readonly runDir: string
  readonly swiftConfPath: string
  readonly proxyConfPath: string
  readonly statePath: string
  readonly bindIp: string
  readonly proxyPort: number
  readonly portBase: number
  readonly nodes: readonly NodeLayout[]
}

export interface LayoutOptions {
  home?: string | undefined
  bindIp?: string | undefined
  proxyPort?: number | undefined
  portBase?: number | undefined
}

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new LayoutError(`${name} must be a port number (1-65535), got "${value}"`)
  return n
}

/** The layout options the environment asks for (TERN_HOME, TERN_BIND_IP, TERN_PROXY_PORT, TERN_PORT_BASE). */
export function layoutOptionsFromEnv(env: NodeJS.ProcessEnv, cwd: string): LayoutOptions {
  return {
    home: env.TERN_HOME ? resolve(cwd, env.TERN_HOME) : resolve(cwd, 'var'),
    bindIp: env.TERN_BIND_IP || undefined,
    proxyPort: port(env.TERN_PROXY_PORT, 'TERN_PROXY_PORT'),
    portBase: port(env.TERN_PORT_BASE, 'TERN_PORT_BASE'),
  }
}

export function nodePorts(portBase: number, index: number): Record<ServerType, number> {
  const out = {} as Record<ServerType, number>
  for (const type of SERVER_TYPES) out[type] = portBase + 10 * index + TYPE_OFFSET[type]
  return out
}

export function makeLayout(options: LayoutOptions = {}): Layout {
  const home = options.home ?? resolve('var')
  if (!isAbsolute(home)) throw new LayoutError(`the all-in-one home must be an absolute path, got "${home}"`)
  const portBase = options.portBase ?? DEFAULT_PORT_BASE
  if (portBase + 10 * NODE_COUNT + 2 > 65_535) throw new LayoutError(`TERN_PORT_BASE ${portBase} leaves no room for ${NODE_COUNT} nodes`)
  const etcDir = join(home, 'etc')
  const nodes: NodeLayout[] = []
  for (let i = 1; i <= NODE_COUNT; i++) {
    nodes.push({
      index: i,
      name: `node${i}`,
      devicesDir: join(home, 'nodes', `node${i}`),
      device: `sdb${i}`,
      configPath: join(etcDir, `node${i}.conf`),
      ports: Object.freeze(nodePorts(portBase, i)),
    })
  }
  return Object.freeze({
    home,
    etcDir,
    logDir: join(home, 'log'),
    runDir: join(home, 'run'),
    swiftConfPath: join(etcDir, 'swift.conf'),
    proxyConfPath: join(etcDir, 'proxy-server.conf'),
    statePath: join(etcDir, 'all-in-one.json'),
    bindIp: options.bindIp ?? DEFAULT_BIND_IP,
    proxyPort: options.proxyPort ?? DEFAULT_PROXY_PORT,
    portBase,
    nodes: Object.freeze(nodes),
  })
}

/** Loopback addresses: the only ones the well-known development passwords may listen on. */
export function isLoopback(ip: string): boolean {
  return ip === 'localhost' || ip === '::1' || /^127\.\d+\.\d+\.\d+$/.test(ip)
}
