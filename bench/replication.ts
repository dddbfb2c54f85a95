// Replication convergence benchmark (issue 5): a storage node is stopped, objects are written
// through the proxy (the node's copies land on handoffs), the node comes back, and one object
// replicator pass runs on every node at once (`--once`, real processes), again until the node
// holds every object it is a primary for and no handoff copy is left. Timed: the passes, from
// the first start to the last exit. Side by side: Tern with rsync, Tern with its HTTP sync, and
// Swift 2.30's swift-object-replicator (Debian) with rsync, each on its own 4-node cluster of 3
// replicas on the same XFS image (bench/lib/targets.ts), the same object count and size.
//
//   node --import=tsx bench/replication.ts [--objects 10000] [--runs 3] [--size 4096]
//        [--systems tern-rsync,tern-http,swift] [--concurrency 32] [--out bench/results]
//        [--previous bench/results/replication.json]   (its runs count with the new ones)
//
// The object count is how many objects the stopped node misses (names are picked so that the
// node is a primary for each). Results: <out>/replication.json and replication.md.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseIni } from '../common/config/ini.ts'
import { makeLayout } from '../all-in-one/layout.ts'
import { PEER_DIR, peerRoot, startSwift, startTern } from './lib/targets.ts'
import type { RunningTarget, TargetSettings } from './lib/targets.ts'
import { httpRequest } from './lib/store-client.ts'
import { Ring } from '../ring/ring.ts'
import { median } from './lib/stats.ts'
import { killPeerNode, restartPeerNode, startPeerRsyncd, stopTernNode, restartTernNode } from './lib/replication-nodes.ts'
import type { NodeHandle } from './lib/replication-nodes.ts'
import { countPlacement } from './lib/replication-placement.ts'
import type { ClusterDisk } from './lib/replication-placement.ts'

const REPO = fileURLToPath(new URL('../', import.meta.url))
/** Run numbers continue after those of --previous. */
let runOffset = 0
type System = 'tern-rsync' | 'tern-http' | 'swift'
const SYSTEMS: readonly System[] = ['tern-rsync', 'tern-http', 'swift']

interface Options {
  objects: number
  runs: number
  size: number
  concurrency: number
  systems: System[]
  out: string
  maxPasses: number
  /** An earlier replication.json whose runs count with this one's (more runs, one at a time). */
  previous?: string
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { objects: 10_000, runs: 3, size: 4096, concurrency: 32, systems: [...SYSTEMS], out: join(REPO, 'bench/results'), maxPasses: 6 }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = argv[i + 1]
    const int = () => {
      const n = Number(value)
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} needs a positive integer`)
      i++
      return n
    }
    if (arg === '--objects') o.objects = int()
    else if (arg === '--runs') o.runs = int()
    else if (arg === '--size') o.size = int()
    else if (arg === '--concurrency') o.concurrency = int()
    else if (arg === '--max-passes') o.maxPasses = int()
    else if (arg === '--out' && value) (o.out = value), i++
    else if (arg === '--previous' && value) (o.previous = value), i++
    else if (arg === '--systems' && value) {
      o.systems = value.split(',').map((s) => {
        if (!SYSTEMS.includes(s as System)) throw new Error(`unknown system ${s} (${SYSTEMS.join(', ')})`)
        return s as System
      })
      i++
    } else throw new Error(`unknown argument ${arg}`)
  }
  return o
}

const log = (line: string) => process.stderr.write(`[replication] ${new Date().toISOString().slice(11, 19)} ${line}\n`)

/** This bench's own state folder and ports: it never shares a cluster with the load bench. */
function settings(): TargetSettings {
  return {
    workers: 1,
    fs: 'xfs',
    stateDir: process.env.TERN_BENCH_REPL_STATE ?? '/tmp/tern-bench-replication',
    ternProxyPort: 19080,
    ternPortBase: 19200,
    peerPort: 39080,
    peerPortBase: 39200,
    log,
  }
}

async function token(t: RunningTarget): Promise<{ token: string; url: string }> {
  const r = await httpRequest({ method: 'GET', url: new URL(t.authUrl), headers: { 'X-Auth-User': t.user, 'X-Auth-Key': t.key } })
  if (r.status !== 200) throw new Error(`auth answered ${r.status}`)
  return { token: String(r.headers['x-auth-token']), url: String(r.headers['x-storage-url']) }
}

/** `count` object names whose partition has `device` among its primaries. */
function namesOn(ring: Ring, account: string, container: string, deviceId: number, count: number): string[] {
  const out: string[] = []
  for (let i = 0; out.length < count; i++) {
    const name = `obj-${i.toString(36).padStart(6, '0')}`
    if (ring.getNodes(account, container, name).nodes.some((n) => n.id === deviceId)) out.push(name)
  }
  return out
}

/** PUTs every name (a few tries each, a loaded cluster answers 503 now and then); resolves with the names written. */
async function putAll(base: string, tok: string, container: string, names: readonly string[], size: number, concurrency: number): Promise<{ seconds: number; failed: number; written: string[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const body = Buffer.alloc(size, 'r')
  const started = performance.now()
  let next = 0
  let failed = 0
  const written: string[] = []
  const put = async (name: string) => {
    for (let attempt = 0; attempt < 6; attempt++) {
      if (attempt > 0) await sleep(200 * attempt)
      const r = await httpRequest({ method: 'PUT', url: new URL(`${base}/${container}/${name}`), headers: { 'X-Auth-Token': tok, 'Content-Type': 'application/octet-stream' }, body, agent }).catch(() => undefined)
      if (r?.status === 201) {
        written.push(name)
        return
      }
    }
    failed++
  }
  try {
    const c = await httpRequest({ method: 'PUT', url: new URL(`${base}/${container}`), headers: { 'X-Auth-Token': tok }, agent })
    if (c.status !== 201 && c.status !== 202) throw new Error(`container PUT answered ${c.status}`)
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < names.length) await put(names[next++]!)
    }))
  } finally {
    agent.destroy()
  }
  return { seconds: (performance.now() - started) / 1000, failed, written }
}

/** Runs `commands` at once; resolves with the wall time once every one has exited 0. */
function runAll(commands: readonly { cmd: string; args: string[]; env?: NodeJS.ProcessEnv }[]): Promise<number> {
  const started = performance.now()
  return Promise.all(
    commands.map(
      ({ cmd, args, env }) =>
        new Promise<void>((resolve, reject) => {
          const child: ChildProcess = spawn(cmd, args, { cwd: REPO, env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] })
          let err = ''
          child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)))
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))))
        }),
    ),
  ).then(() => (performance.now() - started) / 1000)
}

interface RunRecord {
  system: System
  run: number
  objects: number
  putSeconds: number
  putFailed: number
  /** Seconds of replication passes until converged (or until maxPasses). */
  seconds: number
  passes: number
  passSeconds: number[]
  converged: boolean
  /** Objects still missing on the returned node / copies left on handoffs, after the last pass. */
  missing: number
  handoffCopies: number
}

interface Cluster {
  target: RunningTarget
  ring: Ring
  disk: ClusterDisk
  node: NodeHandle
  /** One replicator pass on every node, all at once. */
  pass(system: System): Promise<number>
  close(): Promise<void>
}

function secretsOf(swiftConf: string): { prefix: string; suffix: string } {
  const h = parseIni(readFileSync(swiftConf, 'utf8'))['swift-hash'] ?? {}
  return { prefix: h.swift_hash_path_prefix ?? '', suffix: h.swift_hash_path_suffix ?? '' }
}

async function ternCluster(s: TargetSettings): Promise<Cluster> {
  const target = await startTern(s)
  const layout = makeLayout({ home: join(peerRoot(s), 'srv', 'tern'), proxyPort: s.ternProxyPort, portBase: s.ternPortBase })
  const secrets = secretsOf(layout.swiftConfPath)
  const ring = Ring.load(join(layout.etcDir, 'object.ring.gz'), { secrets })
  const returning = layout.nodes[layout.nodes.length - 1]!
  let restarted: (() => Promise<void>) | undefined
  return {
    target,
    ring,
    disk: { secrets, devices: layout.nodes.map((n) => ({ port: n.ports.object, path: join(n.devicesDir, n.device) })) },
    node: {
      port: returning.ports.object,
      stop: () => stopTernNode(layout, returning),
      start: async () => {
        await restarted?.()
        restarted = await restartTernNode(layout, returning)
      },
    },
    pass: (system) =>
      runAll(
        layout.nodes.map((n) => ({
          cmd: process.execPath,
          args: ['--import=tsx', 'bin/tern.ts', 'daemon', 'object-replicator', n.configPath, '--once', ...(system === 'tern-http' ? ['--set', 'sync_method=ssync'] : [])],
        })),
      ),
    close: async () => {
      await restarted?.()
      await target.stop()
    },
  }
}

async function swiftCluster(s: TargetSettings): Promise<Cluster> {
  const target = await startSwift(s)
  const root = peerRoot(s)
  const etc = join(root, 'etc')
  const secrets = secretsOf(join(etc, 'swift.conf'))
  const ring = Ring.load(join(etc, 'object.ring.gz'), { secrets })
  const rsyncd = await startPeerRsyncd(root)
  const nodes = [1, 2, 3, 4]
  const portOf = (n: number) => s.peerPortBase + 10 * n
  return {
    target,
    ring,
    disk: { secrets, devices: nodes.map((n) => ({ port: portOf(n), path: join(root, 'srv', String(n), 'node', `sdb${n}`) })) },
    node: {
      port: portOf(4),
      stop: () => killPeerNode(root, 4),
      start: () => restartPeerNode(root, s),
    },
    pass: () =>
      runAll(
        nodes.map((n) => ({
          cmd: '/usr/bin/python3',
          args: [join(PEER_DIR, 'swift-run.py'), '/usr/bin/swift-object-replicator', join(etc, 'object-server', `${n}.conf`), '--once'],
          env: { ...process.env, PEER_SWIFT_CONF_FILE: join(etc, 'swift.conf') },
        })),
      ),
    close: async () => {
      rsyncd.kill('SIGTERM')
      await target.stop()
    },
  }
}

async function oneRun(c: Cluster, system: System, run: number, o: Options): Promise<RunRecord> {
  const container = `repl-${system}-${run}-${Date.now()}`
  const auth = await token(c.target)
  const account = decodeURIComponent(new URL(auth.url).pathname.split('/')[2]!)
  const returning = c.ring.devices.find((d) => d && d.port === c.node.port)!
  const names = namesOn(c.ring, account, container, returning.id, o.objects)
  log(`${system} run ${run}: node on port ${c.node.port} stopped, writing ${names.length} objects`)
  await c.node.stop()
  const put = await putAll(auth.url, auth.token, container, names, o.size, o.concurrency)
  log(`${system} run ${run}: written in ${put.seconds.toFixed(1)} s (${put.failed} failed); node back, replicating`)
  await c.node.start()
  const passSeconds: number[] = []
  // Only what the cluster acknowledged has to converge.
  const written = put.written
  let state = await countPlacement(c.disk, c.ring, account, container, written, c.node.port)
  while (passSeconds.length < o.maxPasses && (state.missing > 0 || state.handoffCopies > 0)) {
    passSeconds.push(await c.pass(system))
    state = await countPlacement(c.disk, c.ring, account, container, written, c.node.port)
    log(`${system} run ${run}: pass ${passSeconds.length} took ${passSeconds.at(-1)!.toFixed(1)} s; missing ${state.missing}, handoff copies ${state.handoffCopies}`)
  }
  const seconds = passSeconds.reduce((a, b) => a + b, 0)
  const converged = state.missing === 0 && state.handoffCopies === 0
  return { system, run, objects: written.length, putSeconds: put.seconds, putFailed: put.failed, seconds, passes: passSeconds.length, passSeconds, converged, ...state }
}

function render(result: { date: string; options: Options; machine: Record<string, unknown>; runs: RunRecord[]; summary: Record<string, Record<string, number | null>> }): string {
  const s = result.summary
  const lines = [
    '# Replication convergence: Tern (rsync, HTTP sync) vs Swift 2.30 swift-object-replicator',
    '',
    `${result.date}; ${result.options.objects} objects of ${result.options.size} bytes missed by one of 4 nodes (3 replicas, part power 10),`,
    `written through the proxy while the node was down (its copies on handoffs); then one object replicator pass on every node at once,`,
    `repeated until the node held every object and no handoff copy was left. Time = the passes' wall time (process start to exit,`,
    `all nodes in parallel), median of the runs per system (see the runs table). Machine: ${String(result.machine.cpus)} CPUs, load average at start ${String(result.machine.loadStart)}.`,
    'Each system with its default replicator settings (Tern: concurrency 4; Swift: concurrency 1), one XFS image, same data volume.',
    '',
    '| system | median seconds | passes (median) | runs converged | objects/s | vs Swift |',
    '|---|---:|---:|---:|---:|---:|',
  ]
  for (const system of result.options.systems) {
    const r = s[system]!
    const ratio = r.vsSwift === null || r.vsSwift === undefined ? '–' : `${r.vsSwift.toFixed(2)}x`
    lines.push(`| ${system} | ${r.median?.toFixed(1) ?? '–'} | ${r.passes ?? '–'} | ${r.converged}/${r.runs} | ${r.objectsPerSecond?.toFixed(0) ?? '–'} | ${ratio} |`)
  }
  lines.push('', '"vs Swift" = Swift\'s median time / this system\'s median time (above 1: faster than Swift).', '', '## Runs', '', '| system | run | put s | passes | pass seconds | converged | missing | handoff copies |', '|---|---:|---:|---:|---|---|---:|---:|')
  for (const r of result.runs) {
    lines.push(`| ${r.system} | ${r.run} | ${r.putSeconds.toFixed(1)} | ${r.passes} | ${r.passSeconds.map((x) => x.toFixed(1)).join(', ')} | ${r.converged ? 'yes' : 'NO'} | ${r.missing} | ${r.handoffCopies} |`)
  }
  return lines.join('\n') + '\n'
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2))
  const s = settings()
  const runs: RunRecord[] = []
  if (o.previous) {
    const earlier = JSON.parse(readFileSync(o.previous, 'utf8')) as { format?: string; version?: number; runs?: RunRecord[] }
    if (earlier.format !== 'tern-bench-replication' || earlier.version !== 1) throw new Error(`${o.previous}: not a replication result (format version 1)`)
    const offset = Math.max(0, ...(earlier.runs ?? []).map((r) => r.run))
    runs.push(...(earlier.runs ?? []))
    runOffset = offset
  }
  const loadStart = loadavg()[0]!.toFixed(1)
  const save = () => saveResults(o, runs, loadStart)
  const ternSystems = o.systems.filter((x) => x !== 'swift')
  if (ternSystems.length) {
    const c = await ternCluster(s)
    try {
      // Interleaved, so that both sync methods meet the same machine load.
      for (let run = 1; run <= o.runs; run++) {
        for (const system of ternSystems) {
          runs.push(await oneRun(c, system, runOffset + run, o))
          save()
        }
      }
    } finally {
      await c.close()
    }
  }
  if (o.systems.includes('swift')) {
    const c = await swiftCluster(s)
    try {
      for (let run = 1; run <= o.runs; run++) {
        runs.push(await oneRun(c, 'swift', runOffset + run, o))
        save()
      }
    } finally {
      await c.close()
    }
  }
  process.stdout.write(render(save()))
  return 0
}

/** Writes replication.json and .md from the runs so far (after every run: a cut-off bench keeps what it measured). */
function saveResults(o: Options, runs: readonly RunRecord[], loadStart: string): Parameters<typeof render>[0] {
  // Every system with runs (this invocation's and --previous's), so a run of one system added
  // to earlier ones is summarised with them.
  const systems = SYSTEMS.filter((s) => o.systems.includes(s) || runs.some((r) => r.system === s))
  const summary: Record<string, Record<string, number | null>> = {}
  for (const system of systems) {
    const mine = runs.filter((r) => r.system === system)
    const m = mine.length ? median(mine.map((r) => r.seconds)) : null
    summary[system] = { median: m, passes: mine.length ? median(mine.map((r) => r.passes)) : null, runs: mine.length, converged: mine.filter((r) => r.converged).length, objectsPerSecond: m ? o.objects / m : null }
  }
  const swiftMedian = summary.swift?.median ?? null
  for (const system of systems) summary[system]!.vsSwift = swiftMedian && summary[system]!.median ? swiftMedian / summary[system]!.median! : null
  const result = { format: 'tern-bench-replication', version: 1, date: new Date().toISOString(), options: { ...o, systems }, machine: { cpus: cpus().length, loadStart, loadEnd: loadavg()[0]!.toFixed(1) }, runs: [...runs], summary }
  mkdirSync(o.out, { recursive: true })
  writeFileSync(join(o.out, 'replication.json'), JSON.stringify(result, null, 2) + '\n')
  writeFileSync(join(o.out, 'replication.md'), render(result))
  log(`written ${join(o.out, 'replication.md')}`)
  return result
}

if (process.argv.includes('--render')) {
  // Re-renders <out>/replication.{json,md} from the runs of an existing replication.json.
  const o = parseArgs(process.argv.slice(2).filter((a) => a !== '--render'))
  const saved = JSON.parse(readFileSync(join(o.out, 'replication.json'), 'utf8')) as { runs: RunRecord[]; options: Options; machine: { loadStart: string } }
  saveResults({ ...o, objects: saved.options.objects, systems: [] }, saved.runs, saved.machine.loadStart)
  process.exit(0)
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench/replication: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  },
)
