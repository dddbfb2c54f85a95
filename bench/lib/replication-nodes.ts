// Stopping and bringing back one storage node of the replication bench's clusters: Tern's
// all-in-one node process (object, container and account servers in one), and the peer
// Swift's three servers of one node (pid files "pid starttime" under run/, each the leader of
// its own session, so the whole group goes: Swift's servers fork their workers). The peer's
// rsync daemon, which `peer-swift start` runs only with --all (and then with every daemon),
// is started here on its own.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Layout, NodeLayout } from '../../all-in-one/layout.ts'
import { nodeSpec } from '../../all-in-one/start.ts'
import { Supervisor } from '../../all-in-one/supervisor.ts'
import { PEER_DIR } from './targets.ts'
import type { TargetSettings } from './targets.ts'

export interface NodeHandle {
  /** The node's object server port (to find its device in the ring). */
  readonly port: number
  stop(): Promise<void>
  start(): Promise<void>
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`)
    await sleep(50)
  }
}

export async function stopTernNode(layout: Layout, node: NodeLayout): Promise<void> {
  const pid = Number(readFileSync(join(layout.home, 'run', `${node.name}-server.pid`), 'utf8'))
  process.kill(pid, 'SIGKILL')
  await waitGone(pid, 10_000)
}

/** Starts the node's process again; resolves, once it listens, to a function that stops it. */
export async function restartTernNode(layout: Layout, node: NodeLayout): Promise<() => Promise<void>> {
  const supervisor = new Supervisor(join(layout.home, 'log'), join(layout.home, 'run'))
  await supervisor.start(nodeSpec(node))
  return () => supervisor.stopAll()
}

/** Kills node `n`'s object, container and account servers of the peer (process groups). */
export async function killPeerNode(root: string, n: number): Promise<void> {
  for (const kind of ['object', 'container', 'account']) {
    const [pid] = readFileSync(join(root, 'run', `${kind}-server-${n}.pid`), 'utf8').trim().split(/\s+/).map(Number)
    if (!pid || !alive(pid)) continue
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      process.kill(pid, 'SIGKILL')
    }
    await waitGone(pid, 10_000)
  }
}

/** `peer-swift start` relaunches whatever is not running and waits for every server's health. */
export async function restartPeerNode(root: string, s: TargetSettings): Promise<void> {
  const env = { ...process.env, PEER_SWIFT_ROOT: root, PEER_SWIFT_PORT: String(s.peerPort), PEER_SWIFT_PORT_BASE: String(s.peerPortBase), PEER_SWIFT_WORKERS: String(s.workers), PEER_SWIFT_STORAGE_WORKERS: String(s.workers), PEER_SWIFT_FS: s.fs }
  const r = spawnSync(join(PEER_DIR, 'start'), [], { env, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`peer-swift start failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`)
}

/** The peer's rsync daemon (its rsyncd.conf, port base + 2), as `peer-swift start --all` runs it. */
export async function startPeerRsyncd(root: string): Promise<ChildProcess> {
  const settings = readFileSync(join(root, 'settings.env'), 'utf8')
  const base = Number(/^PORT_BASE=(\d+)/m.exec(settings)?.[1])
  if (!base) throw new Error(`no PORT_BASE in ${root}/settings.env`)
  const child = spawn('/usr/bin/rsync', ['--daemon', '--no-detach', `--config=${join(root, 'etc', 'rsyncd.conf')}`, `--port=${base + 2}`, '--address=127.0.0.1'], { stdio: 'ignore' })
  await sleep(500)
  if (child.exitCode !== null) throw new Error(`rsync daemon exited (${child.exitCode})`)
  return child
}
