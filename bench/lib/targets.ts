// The systems under test, started and stopped by the bench: Tern's all-in-one cluster (`tern
// start` as a child process, its config written first so the worker count can be set), the
// OpenStack Swift peer (/work/shared/peer-swift scripts, in a root of its own so it never
// disturbs anyone else's peer), and the do-nothing HTTP sink. Each exposes the same handles:
// how to authenticate, where S3 is, and the root pids whose process trees are the cluster.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureConfigFiles } from '../../all-in-one/config-files.ts'
import { makeLayout } from '../../all-in-one/layout.ts'
import { READY_PREFIX } from '../../all-in-one/banner.ts'
import type { TargetName } from './args.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const PEER_DIR = process.env.PEER_SWIFT_DIR ?? '/work/shared/peer-swift'

export interface RunningTarget {
  readonly name: TargetName
  readonly authUrl: string
  readonly user: string
  readonly key: string
  /** Path-style S3 endpoint with the credentials; the API may still be absent (probed later). */
  readonly s3: { endpoint: string; accessKey: string; secretKey: string }
  /** Where the data lives (for the report). */
  readonly dataDir: string
  rootPids(): number[]
  stop(): Promise<void>
}

export interface TargetSettings {
  workers: number
  fs: 'xfs' | 'dir'
  /** Root of the bench's own state (peer root, Tern home when fs=dir). */
  stateDir: string
  ternProxyPort: number
  ternPortBase: number
  peerPort: number
  peerPortBase: number
  log: (line: string) => void
}

export function defaultTargetSettings(workers: number, fs: 'xfs' | 'dir', log: (line: string) => void): TargetSettings {
  return {
    workers,
    fs,
    stateDir: process.env.TERN_BENCH_STATE ?? '/tmp/tern-bench',
    ternProxyPort: Number(process.env.TERN_BENCH_PROXY_PORT ?? 18080),
    ternPortBase: Number(process.env.TERN_BENCH_PORT_BASE ?? 18200),
    peerPort: Number(process.env.TERN_BENCH_PEER_PORT ?? 38080),
    peerPortBase: Number(process.env.TERN_BENCH_PEER_PORT_BASE ?? 38200),
    log,
  }
}

export function peerRoot(s: TargetSettings): string {
  return join(s.stateDir, s.fs === 'xfs' ? 'peer-swift' : 'peer-swift-dir')
}

/** Tern's home: on the peer's data file system, so both write to the same disk the same way. */
export function ternHome(s: TargetSettings): string {
  return s.fs === 'xfs' ? join(peerRoot(s), 'srv', 'tern') : join(s.stateDir, 'tern')
}

function peerEnv(s: TargetSettings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PEER_SWIFT_ROOT: peerRoot(s),
    PEER_SWIFT_PORT: String(s.peerPort),
    PEER_SWIFT_PORT_BASE: String(s.peerPortBase),
    PEER_SWIFT_WORKERS: String(s.workers),
    PEER_SWIFT_STORAGE_WORKERS: String(s.workers),
    PEER_SWIFT_FS: s.fs,
  }
}

function peerScript(s: TargetSettings, script: 'setup' | 'start' | 'stop'): void {
  const r = spawnSync(join(PEER_DIR, script), [], { env: peerEnv(s), encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`peer-swift ${script} failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`)
}

/** Sets up (once) and starts the peer; the data file system is mounted by setup/start. */
export function preparePeerStorage(s: TargetSettings): void {
  peerScript(s, 'setup')
}

export async function startSwift(s: TargetSettings): Promise<RunningTarget> {
  peerScript(s, 'setup')
  peerScript(s, 'stop') // workers apply at start only
  peerScript(s, 'start')
  const root = peerRoot(s)
  const runDir = join(root, 'run')
  return {
    name: 'swift',
    authUrl: `http://127.0.0.1:${s.peerPort}/auth/v1.0`,
    user: 'test:tester',
    key: 'testing',
    s3: { endpoint: `http://127.0.0.1:${s.peerPort}`, accessKey: 'test:tester', secretKey: 'testing' },
    dataDir: join(root, 'srv'),
    rootPids: () =>
      readdirSync(runDir)
        .filter((f) => f.endsWith('.pid'))
        .map((f) => Number(readFileSync(join(runDir, f), 'utf8').trim().split(/\s+/)[0]))
        .filter((pid) => Number.isInteger(pid) && pid > 0),
    stop: async () => peerScript(s, 'stop'),
  }
}

function setWorkers(path: string, workers: number): void {
  const text = readFileSync(path, 'utf8')
  writeFileSync(path, text.replace(/^workers\s*=.*$/m, `workers = ${workers}`))
}

function waitForLine(child: ChildProcess, stream: NodeJS.ReadableStream, prefix: string, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stream })
    const timer = setTimeout(() => reject(new Error(`${what} not ready within ${timeoutMs / 1000}s`)), timeoutMs)
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready`))
    child.once('exit', onExit)
    rl.on('line', (line) => {
      if (!line.startsWith(prefix)) return
      clearTimeout(timer)
      child.off('exit', onExit)
      resolve(line)
    })
  })
}

function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

export async function startTern(s: TargetSettings): Promise<RunningTarget> {
  if (s.fs === 'xfs') preparePeerStorage(s) // mounts the XFS image Tern's home lives on
  const home = ternHome(s)
  const layout = makeLayout({ home, proxyPort: s.ternProxyPort, portBase: s.ternPortBase })
  if (ensureConfigFiles(layout)) s.log(`tern: new cluster in ${home}`)
  for (const node of layout.nodes) setWorkers(node.configPath, s.workers)
  setWorkers(layout.proxyConfPath, s.workers)
  const child = spawn(process.execPath, ['--import=tsx', join(REPO, 'bin/tern.ts'), 'start'], {
    cwd: REPO,
    // The peer Swift runs without its background daemons (peer-swift start without --all):
    // Tern's replicators and auditors stay off too, or their CPU would count against Tern.
    env: { ...process.env, TERN_DAEMONS: '0', TERN_HOME: home, TERN_PROXY_PORT: String(s.ternProxyPort), TERN_PORT_BASE: String(s.ternPortBase) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const errLines: string[] = []
  createInterface({ input: child.stderr! }).on('line', (l) => {
    errLines.push(l)
    if (errLines.length > 20) errLines.shift()
  })
  try {
    await waitForLine(child, child.stdout!, READY_PREFIX, 120_000, 'tern start')
  } catch (err) {
    await stopChild(child)
    throw new Error(`${(err as Error).message}: ${errLines.join(' | ')}`)
  }
  child.stdout!.resume()
  return {
    name: 'tern',
    authUrl: `http://127.0.0.1:${s.ternProxyPort}/auth/v1.0`,
    user: 'test:tester',
    key: 'testing',
    s3: { endpoint: `http://127.0.0.1:${s.ternProxyPort}`, accessKey: 'test:tester', secretKey: 'testing' },
    dataDir: join(home, 'nodes'),
    rootPids: () => (child.pid === undefined || child.exitCode !== null ? [] : [child.pid]),
    stop: () => stopChild(child),
  }
}

export async function startSink(): Promise<RunningTarget> {
  const child = spawn(process.execPath, ['--import=tsx', join(REPO, 'bench/sink-server.ts')], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await waitForLine(child, child.stdout!, 'listening ', 30_000, 'sink')
  const port = Number(line.split(' ')[1])
  return {
    name: 'sink',
    authUrl: `http://127.0.0.1:${port}/auth/v1.0`,
    user: 'sink',
    key: 'sink',
    s3: { endpoint: `http://127.0.0.1:${port}`, accessKey: 'sink', secretKey: 'sink' },
    dataDir: '(memory)',
    rootPids: () => (child.pid === undefined ? [] : [child.pid]),
    stop: () => stopChild(child, 5_000),
  }
}

export function startTarget(name: TargetName, s: TargetSettings): Promise<RunningTarget> {
  return name === 'tern' ? startTern(s) : name === 'swift' ? startSwift(s) : startSink()
}

