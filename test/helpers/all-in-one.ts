// Runs the all-in-one exactly as `npm start` does (`node --import=tsx bin/tern.ts start`) in
// a temporary TERN_HOME on free ports, waits for its ready line, and stops it with SIGINT.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { READY_PREFIX } from '../../all-in-one/banner.ts'
import { NODE_COUNT, makeLayout } from '../../all-in-one/layout.ts'
import type { Layout } from '../../all-in-one/layout.ts'
import { assertPortFree } from '../../all-in-one/supervisor.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface RunningAllInOne {
  home: string
  layout: Layout
  proxyUrl: string
  authUrl: string
  child: ChildProcess
  /** Everything the process printed so far. */
  output(): string
  /** SIGINT, then resolves with the exit code once every server stopped. */
  stop(): Promise<number | null>
}

/**
 * The proxy's port beside a base: bases are multiples of 10 whose clusters use base+3 (rsync)
 * and base+10n+0..2 (nodes), so base+5 is never another test cluster's.
 */
const PROXY_OFFSET = 5

/** A port base whose 4 nodes x 3 ports (and the proxy's) are all free right now. */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    // Below Linux's ephemeral range (32768-60999): a port there can be taken by any outgoing
    // connection between this check and the servers' bind (seen as EADDRINUSE under load).
    const base = 20_000 + Math.floor(Math.random() * 1_200) * 10
    try {
      for (let n = 1; n <= NODE_COUNT; n++) for (let k = 0; k < 3; k++) await assertPortFree('127.0.0.1', base + 10 * n + k, 'probe')
      await assertPortFree('127.0.0.1', base + PROXY_OFFSET, 'probe')
      return base
    } catch {
      // taken: try another base
    }
  }
  throw new Error('no free port range found')
}

export async function startAllInOneProcess(t: Teardown, options: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunningAllInOne> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'tern-e2e-')))
  if (!options.home) t.teardown(() => rm(home, { recursive: true, force: true }))
  const portBase = Number(options.env?.TERN_PORT_BASE ?? (await freePortBase()))
  const proxyPort = Number(options.env?.TERN_PROXY_PORT ?? portBase + PROXY_OFFSET)
  const child = spawn(process.execPath, ['--import=tsx', 'bin/tern.ts', 'start'], {
    cwd: REPO,
    // The background daemons stay off unless a test asks for them: probes run passes with --once.
    env: { ...process.env, TERN_DAEMONS: '0', TERN_HOME: home, TERN_PORT_BASE: String(portBase), TERN_PROXY_PORT: String(proxyPort), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stopped = false
  const stop = async () => {
    if (!stopped && child.exitCode === null) child.kill('SIGINT')
    stopped = true
    return exited
  }
  t.teardown(stop)
  await new Promise<void>((resolve, reject) => {
    const onData = (d: string) => {
      out += d
      if (out.includes(READY_PREFIX)) {
        child.stdout!.off('data', onData)
        child.stdout!.on('data', (more: string) => (out += more))
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`tern start exited (${code}) before it was ready:\n${out}`)))
  })
  const proxyUrl = `http://127.0.0.1:${proxyPort}`
  return { home, layout: makeLayout({ home, portBase, proxyPort }), proxyUrl, authUrl: `${proxyUrl}/auth/v1.0`, child, output: () => out, stop }
}
