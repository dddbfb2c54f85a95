// Probe-test tools over a running all-in-one (test/helpers/all-in-one.ts): stop and restart a
// storage node's process, run a daemon pass on every node (`tern daemon <name> <conf> --once`,
// real processes), find an object's files on every node's disk, and auth as test:tester.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseIni } from '../../common/config/ini.ts'
import { hashPath } from '../../common/hash-path.ts'
import type { HashPathSecrets } from '../../common/hash-path.ts'
import { nodeSpec } from '../../all-in-one/start.ts'
import { Supervisor } from '../../all-in-one/supervisor.ts'
import type { NodeLayout } from '../../all-in-one/layout.ts'
import { Ring } from '../../ring/ring.ts'
import type { RunningAllInOne } from './all-in-one.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

interface Teardown {
  teardown(fn: () => unknown): void
}

export function clusterSecrets(aio: RunningAllInOne): HashPathSecrets {
  const h = parseIni(readFileSync(aio.layout.swiftConfPath, 'utf8'))['swift-hash']!
  return { prefix: h.swift_hash_path_prefix ?? '', suffix: h.swift_hash_path_suffix ?? '' }
}

export function loadClusterRing(aio: RunningAllInOne, type: 'object' | 'container' | 'account'): Ring {
  return Ring.load(join(aio.layout.etcDir, `${type}.ring.gz`), { secrets: clusterSecrets(aio) })
}

/** Resolves once `pid` no longer exists (polled: a foreign process gives no exit event). */
async function waitGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, delay))
  }
}

/** Kills a storage node's process (object, container and account servers at once). */
export async function stopNode(aio: RunningAllInOne, node: NodeLayout): Promise<void> {
  const pid = Number(readFileSync(join(aio.home, 'run', `${node.name}-server.pid`), 'utf8'))
  process.kill(pid, 'SIGKILL')
  await waitGone(pid, 10_000)
}

/** Starts a node's process again (as an operator would); resolves once it listens. */
export async function startNode(t: Teardown, aio: RunningAllInOne, node: NodeLayout): Promise<void> {
  const supervisor = new Supervisor(join(aio.home, 'log'), join(aio.home, 'run'))
  t.teardown(() => supervisor.stopAll())
  await supervisor.start(nodeSpec(node))
}

export interface DaemonRun {
  readonly node: string
  readonly code: number | null
  readonly output: string
}

/** `tern daemon <name> <node conf> --once [args]` on every node at once; resolves when all exited. */
export async function runDaemonEverywhere(aio: RunningAllInOne, name: string, args: string[] = [], nodes = aio.layout.nodes): Promise<DaemonRun[]> {
  return Promise.all(
    nodes.map(
      (node) =>
        new Promise<DaemonRun>((resolve) => {
          const child = spawn(process.execPath, ['--import=tsx', 'bin/tern.ts', 'daemon', name, node.configPath, '--once', ...args], {
            cwd: REPO,
            stdio: ['ignore', 'pipe', 'pipe'],
          })
          let output = ''
          child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
          child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
          child.once('exit', (code) => resolve({ node: node.name, code, output }))
        }),
    ),
  )
}

/** The summary figures of a daemon's pass line ("... pass: 1.2s, a=1 b=2"). */
export function passFigures(run: DaemonRun): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of run.output.split('\n')) {
    if (!line.startsWith('{')) continue
    const rec = JSON.parse(line) as Record<string, unknown>
    if (typeof rec.msg !== 'string' || !rec.msg.includes(' pass: ')) continue
    for (const [k, v] of Object.entries(rec)) if (typeof v === 'number' && k !== 'pid') out[k] = v
  }
  return out
}

export interface ObjectPlacement {
  readonly partition: number
  readonly hash: string
  /** Node names of the primaries. */
  readonly primaries: string[]
  /** node name → current file names in the object's hash directory ([] when none). */
  readonly files: Record<string, string[]>
}

/** Where an object's files are on every node's device. */
export async function placement(aio: RunningAllInOne, ring: Ring, account: string, container: string, obj: string): Promise<ObjectPlacement> {
  const secrets = clusterSecrets(aio)
  const { partition, nodes } = ring.getNodes(account, container, obj)
  const hash = hashPath(secrets, account, container, obj)
  const files: Record<string, string[]> = {}
  for (const node of aio.layout.nodes) {
    const dir = join(node.devicesDir, node.device, 'objects', String(partition), hash.slice(-3), hash)
    files[node.name] = (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.(data|meta|ts)$/.test(f)).sort()
  }
  const primaries = aio.layout.nodes.filter((n) => nodes.some((d) => d.port === n.ports.object && d.device === n.device)).map((n) => n.name)
  return { partition, hash, primaries, files }
}

export async function testerToken(aio: RunningAllInOne): Promise<{ token: string; url: string }> {
  const r = await fetch(aio.authUrl, { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  if (r.status !== 200) throw new Error(`auth: ${r.status}`)
  return { token: r.headers.get('x-auth-token')!, url: r.headers.get('x-storage-url')! }
}
