// One benchmark session: measures the machine's limits, starts the targets, fills the listing
// container, then runs every scenario group at every concurrency, round after round, visiting
// the targets alternately (A B A B ...), and returns the result record. Progress goes to `log`.
import type http from 'node:http'
import { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import type { ApiName, BenchOptions, TargetName } from './args.ts'
import { fillSwiftListing, fillTernListing, listingContainer, listingName, LISTING_ACCOUNT } from './listing-fill.ts'
import { runLoad } from './load.ts'
import type { NextOp } from './load.ts'
import { measureDisk } from './machine.ts'
import { ClusterMeter, allProcesses, processTree } from './proc-stats.ts'
import type { BenchResult, RunRecord } from './result.ts'
import { RESULT_FORMAT, RESULT_VERSION, summarise } from './result.ts'
import type { Scenario, ScenarioGroup } from './scenarios.ts'
import { concurrencyFor, selectGroups } from './scenarios.ts'
import { summariseRun } from './stats.ts'
import { S3ApiClient, SwiftApiClient, httpRequest } from './store-client.ts'
import type { StoreClient } from './store-client.ts'
import type { RunningTarget, TargetSettings } from './targets.ts'
import { defaultTargetSettings, peerRoot, preparePeerStorage, startSink, startTarget, ternHome } from './targets.ts'

type Log = (line: string) => void

interface Live {
  target: RunningTarget
  clients: Partial<Record<ApiName, StoreClient>>
  meter: ClusterMeter
}

const bodies = new Map<number, Buffer>()
function body(size: number): Buffer {
  let b = bodies.get(size)
  if (!b) bodies.set(size, (b = randomBytes(size)))
  return b
}

/** S3 gets buckets of its own: with s3_acl a container made through the Swift API has no owner ACL. */
function containerFor(g: ScenarioGroup, listingObjects: number, api: ApiName): string {
  if (g.scenarios.some((s) => s.op === 'list')) return listingContainer(listingObjects)
  return api === 's3' ? `bench-s3-${g.name}` : `bench-${g.name}`
}

interface RunContext {
  opts: BenchOptions
  records: RunRecord[]
  log: Log
}

/** Runs one group (PUT → GET → HEAD → DELETE) on one target/API at one concurrency. */
async function runGroup(ctx: RunContext, live: Live, api: ApiName, g: ScenarioGroup, c: number, round: number): Promise<void> {
  const client = live.clients[api]!
  const container = containerFor(g, ctx.opts.listingObjects, api)
  const pool: string[] = []
  const prefix = `${live.target.name}-r${round}-c${c}-${Date.now().toString(36)}`
  const agent = new Agent({ keepAlive: true, maxSockets: c })
  body(g.size) // generated before the clock starts
  try {
    for (const s of g.scenarios) {
      const next = nextOp(ctx, client, agent, container, s, pool, prefix)
      const load1 = loadavg()[0]!
      live.meter.start()
      const load = await runLoad(c, ctx.opts.durationSec, next)
      const m = live.meter.stop()
      if (s.op === 'put') pool.splice(0, pool.length, ...pool.filter(Boolean))
      const summary = summariseRun({ ops: load.ops, errors: load.errors, bytes: load.bytes, seconds: load.seconds, serverCpuSeconds: m.cpuSeconds, clientCpuSeconds: load.clientCpuSeconds, peakRssBytes: m.peakRssBytes, peakProcessRssBytes: m.peakProcessRssBytes }, load.latencies)
      ctx.records.push({ target: live.target.name, api, scenario: s.name, op: s.op, size: s.size, concurrency: c, round, summary, errorSamples: load.errorSamples, load1 })
      ctx.log(
        `${live.target.name.padEnd(5)} ${api.padEnd(5)} ${s.name.padEnd(10)} c=${String(c).padEnd(3)} ${round > 0 ? `r${round}` : 'warm-up'}: ${summary.opsPerSec.toFixed(1)} ops/s ${summary.mbPerSec.toFixed(1)} MB/s p50 ${summary.p50Ms.toFixed(1)} p99 ${summary.p99Ms.toFixed(1)} ms cpu ${summary.cpuMsPerOp?.toFixed(2)} ms/op rss ${Math.round(m.peakRssBytes / 1e6)} MB, largest ${Math.round(m.peakProcessRssBytes / 1e6)} MB (${m.largestProcess})` +
          (summary.errors ? ` ERRORS ${summary.errors}: ${load.errorSamples.join('; ')}` : ''),
      )
    }
    // Untimed: large objects would fill the disk over the rounds.
    if (pool.length && g.size >= 1024 * 1024) await runLoad(8, 3600, () => {
      const name = pool.pop()
      return name === undefined ? undefined : () => client.delete(agent, container, name)
    })
  } finally {
    agent.destroy()
  }
}

function nextOp(ctx: RunContext, client: StoreClient, agent: http.Agent, container: string, s: Scenario, pool: string[], prefix: string): NextOp {
  let i = 0
  switch (s.op) {
    case 'put':
      return (w) => {
        const name = `${prefix}-${w}-${i++}`
        return async () => {
          const r = await client.put(agent, container, name, body(s.size))
          if (r.ok) pool.push(name)
          return r
        }
      }
    case 'get':
    case 'head':
      return () => {
        if (pool.length === 0) return undefined
        const name = pool[i++ % pool.length]!
        return s.op === 'get' ? () => client.get(agent, container, name, s.size) : () => client.head(agent, container, name)
      }
    case 'delete':
      return () => {
        const name = pool.pop()
        return name === undefined ? undefined : () => client.delete(agent, container, name)
      }
    case 'list': {
      const rows = ctx.opts.listingObjects
      let seed = 12345
      return () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        const k = Math.floor((seed / 2 ** 31) * Math.max(1, rows - s.size - 1))
        return () => client.list(agent, container, k === 0 ? '' : listingName(k - 1), s.size)
      }
    }
  }
}

function levelsFor(g: ScenarioGroup, opts: BenchOptions): number[] {
  return g.size >= 64 * 1024 * 1024 && opts.largeConcurrency ? opts.largeConcurrency : concurrencyFor(g, opts.concurrency)
}

async function objectCount(t: RunningTarget, container: string): Promise<number> {
  // A cluster just started may answer 503 for a while: a filled container must not look empty
  // (a refill of a million rows takes many minutes), so a server error is asked again.
  for (let attempt = 0; ; attempt++) {
    const auth = await httpRequest({ method: 'GET', url: new URL(t.authUrl), headers: { 'x-auth-user': t.user, 'x-auth-key': t.key } })
    const res = await httpRequest({ method: 'HEAD', url: new URL(`${String(auth.headers['x-storage-url'])}/${container}`), headers: { 'x-auth-token': String(auth.headers['x-auth-token']) } })
    if (res.status === 204 || res.status === 200) return Number(res.headers['x-container-object-count'] ?? 0)
    if (res.status < 500 || attempt >= 30) return -1
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/** Starts a target and makes sure its listing container holds `rows` rows. */
async function startWithListing(name: TargetName, s: TargetSettings, rows: number, log: Log): Promise<RunningTarget> {
  let t = await startTarget(name, s)
  if (rows <= 0 || name === 'sink') return t
  const container = listingContainer(rows)
  const swift = new SwiftApiClient(t.authUrl, t.user, t.key)
  const ok = await swift.prepare(container)
  if (!ok.available) throw new Error(`${name}: cannot create ${container}: ${ok.reason}`)
  const count = await objectCount(t, container)
  if (count >= rows) return t
  const t0 = Date.now()
  log(`${name}: filling ${LISTING_ACCOUNT}/${container} with ${rows} rows on each replica (has ${count})...`)
  if (name === 'tern') {
    await t.stop() // one process owns a RocksDB: fill with the cluster stopped
    await fillTernListing(ternHome(s), s.ternPortBase, s.ternProxyPort, container, rows)
    t = await startTarget(name, s)
  } else {
    fillSwiftListing(peerRoot(s), container, rows)
  }
  log(`${name}: filled in ${((Date.now() - t0) / 1000).toFixed(0)} s; container reports ${await objectCount(t, container)} objects`)
  return t
}

async function liveTarget(t: RunningTarget, groups: readonly ScenarioGroup[], opts: BenchOptions, unavailable: BenchResult['unavailable'], log: Log): Promise<Live> {
  const clients: Partial<Record<ApiName, StoreClient>> = {}
  for (const api of opts.apis) {
    if (api === 's3' && t.name === 'sink') {
      unavailable.push({ target: t.name, api, reason: 'the sink speaks only the Swift API' })
      continue
    }
    const client: StoreClient = api === 'swift' ? new SwiftApiClient(t.authUrl, t.user, t.key) : new S3ApiClient(t.s3.endpoint, t.s3.accessKey, t.s3.secretKey)
    let ok = true
    for (const g of groups) {
      if (!g.apis.includes(api)) continue
      const p = await client.prepare(containerFor(g, opts.listingObjects, api))
      if (!p.available) {
        unavailable.push({ target: t.name, api, reason: p.reason })
        log(`${t.name} ${api}: not available: ${p.reason}`)
        ok = false
        break
      }
    }
    if (ok) clients[api] = client
  }
  return { target: t, clients, meter: new ClusterMeter(() => t.rootPids()) }
}

export async function measureSink(opts: BenchOptions, log: Log): Promise<RunRecord[]> {
  const sink = await startSink()
  try {
    const records: RunRecord[] = []
    const ctx: RunContext = { opts, records, log }
    const sinkGroups = selectGroups({ scenarios: ['put-4k', 'get-4k', 'put-64m', 'get-64m'], quick: false })
    const live = await liveTarget(sink, sinkGroups, { ...opts, apis: ['swift'] }, [], log)
    for (const g of sinkGroups) for (const c of levelsFor(g, opts)) await runGroup(ctx, live, 'swift', g, c, 1)
    return records
  } finally {
    await sink.stop()
  }
}

/** One round: every group at every concurrency and API, visiting the targets in turn. */
async function runRound(ctx: RunContext, lives: readonly Live[], groups: readonly ScenarioGroup[], round: number): Promise<void> {
  for (const g of groups) {
    for (const c of levelsFor(g, ctx.opts)) {
      for (const api of ctx.opts.apis) {
        if (!g.apis.includes(api)) continue
        for (const live of lives) {
          if (!live.clients[api]) continue
          if (live.target.name === 'sink' && g.scenarios.some((x) => x.op === 'list')) continue
          await withOthersPaused(lives, live, () => runGroup(ctx, live, api, g, c, round))
        }
      }
    }
  }
}

/**
 * Runs `work` with every other target's processes stopped (SIGSTOP), resumed after. Idle is
 * not free: the peer Swift's 13 eventlet processes took 130-170 ms/s of CPU between runs, and
 * in a --vs run of 4 KiB GETs at c=16 both targets went faster with the other paused (Tern
 * 553-881 -> 1,520-1,756/s, Swift 143-167 -> 219-260/s).
 */
async function withOthersPaused<T>(lives: readonly Live[], live: Live, work: () => Promise<T>): Promise<T> {
  const procs = allProcesses()
  const paused = lives.filter((l) => l !== live).flatMap((l) => processTree(procs, l.target.rootPids()).map((p) => p.pid))
  signalEach(paused, 'SIGSTOP')
  try {
    return await work()
  } finally {
    signalEach(paused, 'SIGCONT')
  }
}

function signalEach(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal)
    } catch {
      // exited meanwhile
    }
  }
}

export async function runBench(opts: BenchOptions, command: string, log: Log): Promise<BenchResult> {
  const startedAt = new Date().toISOString()
  const loadAvgStart = loadavg()
  const settings = defaultTargetSettings(opts.workers, opts.fs, log)
  const groups = selectGroups(opts)
  const listingRows = groups.some((g) => g.scenarios.some((s) => s.op === 'list')) ? opts.listingObjects : 0
  const result: BenchResult = {
    format: RESULT_FORMAT,
    version: RESULT_VERSION,
    startedAt,
    finishedAt: '',
    command,
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAvgStart, loadAvgEnd: [] },
    setup: {
      workers: opts.workers,
      replicas: 3,
      fs: opts.fs === 'xfs' ? `one XFS image loop-mounted at ${join(peerRoot(settings), 'srv')} (both clusters)` : `plain directories under ${settings.stateDir} (both clusters)`,
      durability: 'every object write fsynced before it is acknowledged (Swift: fsync in its diskfile; Tern: fdatasync + directory fsync)',
      dataDirs: {},
      notes: [],
    },
    options: { rounds: opts.rounds, durationSec: opts.durationSec, concurrency: opts.concurrency, apis: opts.apis, targets: opts.targets, listingObjects: opts.listingObjects },
    runs: [],
    unavailable: [],
    summary: [],
  }
  if (opts.machine) {
    const dir = opts.fs === 'xfs' ? (preparePeerStorage(settings), join(peerRoot(settings), 'srv', 'bench-disk')) : join(settings.stateDir, 'bench-disk')
    const fileBytes = opts.quick ? 256 * 2 ** 20 : 2 ** 30
    log(`machine: disk limits in ${dir} (${fileBytes / 2 ** 20} MiB file)...`)
    result.machine = { disk: await measureDisk(dir, fileBytes, opts.quick ? 1 : 3) }
    log(`machine: write ${result.machine.disk!.writeMBps.toFixed(0)} MB/s, read ${result.machine.disk!.readMBps.toFixed(0)} MB/s, creates ${result.machine.disk!.creates.map((c) => `${c.perSec.toFixed(0)}/s@${c.concurrency}`).join(' ')}`)
    log('machine: HTTP sink...')
    const sinkRuns = await measureSink(opts, log)
    result.machine.sink = summarise(sinkRuns, [], ['sink'])
  }
  const lives: Live[] = []
  try {
    for (const name of opts.targets) {
      log(`${name}: starting...`)
      try {
        const t = await startWithListing(name, settings, listingRows, log)
        result.setup.dataDirs[name] = t.dataDir
        lives.push(await liveTarget(t, groups, opts, result.unavailable, log))
      } catch (err) {
        log(`${name}: not available: ${(err as Error).message}`)
        for (const api of opts.apis) result.unavailable.push({ target: name, api, reason: `could not start: ${(err as Error).message}` })
      }
    }
    if (settings.workers > 1 && lives.some((l) => l.target.name === 'tern')) {
      result.setup.notes.push(`Tern: object servers fork ${settings.workers} workers; its container/account servers stay one process each (one RocksDB owner per device) and the all-in-one proxy runs as one process`)
    }
    if (lives.length > 1) result.setup.notes.push('each run has the other target paused (SIGSTOP on its processes): an idle Swift kept taking CPU from the target measured')
    if (process.env.GLIBC_TUNABLES) result.setup.notes.push(`the load generator, and every process it starts (Swift's too), run with GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}: with glibc's defaults the client's own page faults capped 64 MiB GETs near 200 MB/s`)
    if (opts.warmupRounds > 0) result.setup.notes.push(`${opts.warmupRounds} unrecorded warm-up round(s) of ${opts.warmupSec} s of every scenario first, on every target: V8 optimizes Tern's request paths over its first few thousand requests of each kind`)
    // Warm-up rounds are numbered 0, -1, ... and their records dropped.
    const warmup: RunContext = { opts: { ...opts, durationSec: opts.warmupSec }, records: [], log }
    for (let round = 1 - opts.warmupRounds; round <= 0; round++) await runRound(warmup, lives, groups, round)
    const ctx: RunContext = { opts, records: result.runs, log }
    for (let round = 1; round <= opts.rounds; round++) await runRound(ctx, lives, groups, round)
  } finally {
    if (!opts.keep) for (const l of lives) await l.target.stop().catch((err: Error) => log(`${l.target.name}: stop failed: ${err.message}`))
  }
  result.summary = summarise(result.runs, result.unavailable, opts.targets)
  result.host.loadAvgEnd = loadavg()
  result.finishedAt = new Date().toISOString()
  return result
}
