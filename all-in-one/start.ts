// `tern start`: an all-in-one Swift-compatible cluster with no configuration. Creates (once)
// the config files and rings under the home folder, then runs every storage node's object,
// container and account servers and the proxy as child processes, and prints how to use it.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureConfigFiles, checkExposure, readProxySettings } from './config-files.ts'
import type { ProxySettings } from './config-files.ts'
import type { Layout, NodeLayout, ServerType } from './layout.ts'
import { SERVER_TYPES, STORAGE_IP, makeLayout } from './layout.ts'
import type { LayoutOptions } from './layout.ts'
import { ensureRings } from './rings.ts'
import { Supervisor } from './supervisor.ts'
import type { ProcessSpec, RunningProcess } from './supervisor.ts'
import { assertPortFree } from './supervisor.ts'
import { bannerText } from './banner.ts'
import { rsyncdSpec } from './rsyncd.ts'
import { daemonSpec, daemonsEnabled } from './daemons.ts'
import { withIoThreads } from '../common/io-threads.ts'
import { STORAGE_NODE_MALLOC_TUNABLES, withMallocTunables } from '../common/malloc-tunables.ts'
import { compiledTree } from './compiled-tree.ts'

const TERN_BIN = fileURLToPath(new URL('../bin/tern.ts', import.meta.url))
const COMMANDS_DIR = fileURLToPath(new URL('../bin/commands/', import.meta.url))
/** .ts when this module runs from the sources, .js from a compiled tree. */
const OWN_EXTENSION = import.meta.url.slice(import.meta.url.lastIndexOf('.'))

export interface AllInOne {
  readonly layout: Layout
  readonly proxyUrl: string
  readonly authUrl: string
  readonly settings: ProxySettings
  readonly created: boolean
  readonly supervisor: Supervisor
  /** Human-readable summary: URLs, users, examples. */
  readonly banner: string
  stop(): Promise<void>
}

export interface StartOptions extends LayoutOptions {
  /** Called with one line per notable event (a child exiting...). */
  onEvent?: (line: string) => void
}

/** Whether `tern <name>` exists in this checkout (other parts of Tern add their servers' commands). */
export function hasCommand(name: string): boolean {
  return existsSync(`${COMMANDS_DIR}${name}${OWN_EXTENSION}`)
}

let entry: { args: string[]; fallback?: string } | undefined

/**
 * How a child runs `tern`: the compiled JavaScript tree (see compiled-tree.ts: ~30 MB less
 * resident memory per process than tsx's loader thread), or the TypeScript sources through
 * tsx when TERN_RUN_TS=1 or the compile failed (`fallback` then says why).
 */
export function ternEntry(): { args: string[]; fallback?: string } {
  if (entry) return entry
  const viaTsx = [`--import=${import.meta.resolve('tsx')}`, TERN_BIN]
  if (process.env.TERN_RUN_TS === '1') return (entry = { args: viaTsx })
  try {
    entry = { args: [join(compiledTree(), 'bin', 'tern.js')] }
  } catch (err) {
    entry = { args: viaTsx, fallback: `servers run through tsx: compiling them failed (${(err as Error).message.split('\n')[0]})` }
  }
  return entry
}

/**
 * V8 flags of every child. Young-generation semispaces of 8 MiB instead of 16: V8 kept 34 MB
 * of new space per process under load, most of a server's heap; with 8 MiB the storage nodes
 * ended a listing, 64 MiB and 4 KiB GET sequence 13-30 MB smaller, at the same CPU per 4 KiB
 * GET and listing page (A B A B) and ~5% more per 64 MiB PUT.
 *
 * An interrupt budget of 4 KiB of bytecode instead of V8's 66 KiB: a function is optimized after
 * about a sixteenth of the runs it would otherwise wait for. Most of a request's code runs once
 * per request, so with V8's default a server ran its PUT path in baseline code for its first
 * ~2,000-3,000 PUTs: on the all-in-one, 4 KiB PUTs at c=16 in rounds of 800 cost 15.4, 11.1,
 * 9.0 and then ~7.7 ms of cluster CPU each; with 4 KiB, 16.2, 7.1 and then ~7.0 ms. Benchmark
 * rounds of a few seconds were measuring the warm-up.
 */
export const CHILD_V8_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--interrupt-budget=4096']

/**
 * V8 flags of the storage nodes that keep their memory down (the last --max-semi-space-size
 * given wins). Semispaces of 4 MiB: in bench/memory-breakdown.ts at c=64 the nodes ended the
 * 4 KiB phases 105-108 MB instead of 112-114, at no more CPU per request. gc() exposed for
 * common/young-gc.ts, which collects the young generation every 8 MiB of body bytes: a node's
 * live Buffers under a 64 MiB PUT or GET went from 32-36 MB to 14-26 and its peak RSS from
 * 140-147 MB to 118-126; on the all-in-one (two runs) a 64 MiB PUT took ~790 instead of ~880
 * ms of cluster CPU and a GET ~220 instead of ~250.
 */
const LEAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--expose-gc']

/**
 * V8 flags of the storage nodes' processes too: GC on the main thread only. Every 64 MB of
 * request or response bodies (Buffers, external memory to V8) sets off a full mark of the
 * node's 10-30 MB heap; run by V8's helper threads that was 20-27% of an object server's CPU
 * on a 64 MiB PUT (perf), the hand-offs between threads costing more than the marking. In
 * three A B pairs on the all-in-one, single-threaded, a 64 MiB PUT took 760-920 ms of cluster
 * CPU instead of 960-1,150 and 0.56 s instead of 0.71; 4 KiB requests showed no difference
 * beyond the noise. Not the proxy: there the listing pages' large strings then outran the
 * marking and its RSS rose from ~155 to ~230 MB.
 */
export const STORAGE_NODE_V8_FLAGS: readonly string[] = [...CHILD_V8_FLAGS, '--single-threaded-gc', ...LEAN_NODE_FLAGS]

/**
 * V8 flags of the proxy's process too: old space grows to 1.5x what the last full collection
 * kept, not to V8's own factor (up to 4x when collections are quick). Under the c=64 4 KiB runs
 * the proxy's requests live long enough to be promoted, and its RSS climbed to 202-217 MB,
 * most of it V8 heap (66-78 MB total, 35 MB live). With the flag, in two A B pairs of the
 * 4 KiB c=64 runs and two of listings + 4 KiB GETs, the largest process stayed at 129-151 MB
 * against 143-181 (the proxy, in the listing pairs); 4 KiB ops/s showed no difference beyond
 * the noise; listings cost ~10% more CPU per page (25.0-28.2 ms against 22.5-24.0), a target
 * with a wide margin. gc() exposed for common/young-gc.ts, as in the nodes: the proxy's live
 * Buffers under a 64 MiB PUT went from 35 to 13 MB and its peak RSS from 133 to 119 MB, and a
 * 64 MiB GET cost it ~70-130 ms of CPU instead of ~140-200 (two runs each on the all-in-one).
 */
export const PROXY_V8_FLAGS: readonly string[] = [...CHILD_V8_FLAGS, '--heap-growing-percent=50', '--expose-gc']

/** The child process command line for `tern <command> <args...>`. */
export function ternCommand(command: string, args: string[], v8Flags: readonly string[] = CHILD_V8_FLAGS): { command: string; args: string[] } {
  return { command: process.execPath, args: [...v8Flags, ...ternEntry().args, command, ...args] }
}

/** `tern <type>-server <conf>` when this checkout has it, else the all-in-one's own runner. */
export function serverCommand(type: ServerType | 'proxy', conf: string): { command: string; args: string[] } {
  const dedicated = `${type}-server`
  const flags = type === 'proxy' ? PROXY_V8_FLAGS : CHILD_V8_FLAGS
  return hasCommand(dedicated) ? ternCommand(dedicated, [conf], flags) : ternCommand('all-in-one-server', [type, conf], flags)
}

/**
 * One process per storage node serving its object, container and account servers: each Node
 * process with TypeScript loading costs a second or two of CPU to start, and 13 of them on a
 * small machine took half a minute; 5 start in a few seconds. Killing a node's process is
 * killing the node.
 */
export function nodeSpec(node: NodeLayout): ProcessSpec {
  return {
    name: `${node.name}-server`,
    ...ternCommand('all-in-one-server', ['node', node.configPath], STORAGE_NODE_V8_FLAGS),
    env: withMallocTunables(withIoThreads(process.env), STORAGE_NODE_MALLOC_TUNABLES),
    host: STORAGE_IP,
    ports: SERVER_TYPES.map((t) => node.ports[t]),
  }
}

function connectHost(bindIp: string): string {
  return bindIp === '0.0.0.0' || bindIp === '::' ? '127.0.0.1' : bindIp
}

export async function startAllInOne(options: StartOptions = {}): Promise<AllInOne> {
  const layout = makeLayout(options)
  const created = ensureConfigFiles(layout)
  ensureRings(layout)
  const settings = readProxySettings(layout.proxyConfPath)
  checkExposure(settings, layout.proxyConfPath)

  const fallback = ternEntry().fallback
  if (fallback) options.onEvent?.(fallback)
  const specs = layout.nodes.map(nodeSpec)
  const rsyncd = rsyncdSpec(layout)
  if (rsyncd) specs.push(rsyncd)
  if (daemonsEnabled(process.env)) specs.push(...layout.nodes.map(daemonSpec))
  const host = connectHost(settings.bindIp)
  const proxySpec: ProcessSpec = { name: 'proxy-server', ...serverCommand('proxy', layout.proxyConfPath), env: withMallocTunables(process.env), host, ports: [settings.bindPort] }
  // Every port before any process: a clash is reported before anything starts.
  for (const s of specs) for (const port of s.ports) await assertPortFree(s.host, port, s.name)
  await assertPortFree(settings.bindIp, settings.bindPort, 'proxy-server')

  const supervisor = new Supervisor(layout.logDir, layout.runDir)
  supervisor.on('exit', (p: RunningProcess, code, signal) => {
    if (!supervisor.stopping) options.onEvent?.(`${p.spec.name} exited (${signal ?? `code ${code}`}); see ${p.logPath}`)
  })
  try {
    // The proxy needs no storage node to start: everything starts at once.
    await Promise.all([...specs, proxySpec].map((s) => supervisor.start(s)))
  } catch (err) {
    await supervisor.stopAll(2_000)
    throw err
  }
  const proxyUrl = `http://${host.includes(':') ? `[${host}]` : host}:${settings.bindPort}`
  const authUrl = `${proxyUrl}/auth/v1.0`
  return {
    layout,
    proxyUrl,
    authUrl,
    settings,
    created,
    supervisor,
    banner: bannerText({ layout, proxyUrl, authUrl, settings, created }),
    stop: () => supervisor.stopAll(),
  }
}
