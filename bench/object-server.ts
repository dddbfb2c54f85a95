// Object server, side by side with Swift's: direct backend PUT and GET of 4 KiB objects on
// one device at concurrency 16, each server with the same number of worker processes, both
// over the same file system. Runs alternate (tern, swift, tern, swift, ...) and the medians
// are reported. Writes bench/results/object-server.{json,md}.
//
//   node --import=tsx bench/object-server.ts            (BENCH_RUNS=3 BENCH_SECONDS=5 BENCH_WORKERS=1)
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir, cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Timestamp } from '../common/timestamp.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1)
const CONCURRENCY = 16
const SIZE = 4096
const SWIFT = '/usr/bin/swift-object-server'
const SWIFT_RUN = '/work/shared/peer-swift/swift-run.py'

interface Phase {
  readonly ops: number
  readonly perSecond: number
  readonly p50ms: number
  readonly p99ms: number
  readonly errors: number
  /** Server CPU (user + system, all its processes) per request: robust to a busy machine. */
  readonly cpuUsPerOp: number
}
interface Run { readonly server: 'tern' | 'swift'; readonly put: Phase; readonly get: Phase }

/** CPU seconds used so far by `pid` and its child processes (Linux /proc; clock ticks of 10 ms). */
function treeCpuSeconds(pid: number): number {
  const stat = (p: string) => {
    try {
      const text = readFileSync(`/proc/${p}/stat`, 'utf8')
      return text.slice(text.lastIndexOf(')') + 2).split(' ')
    } catch {
      return undefined
    }
  }
  let ticks = 0
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    const f = stat(p)
    // Fields after the command: state(0) ppid(1) ... utime(11) stime(12).
    if (f && (Number(p) === pid || Number(f[1]) === pid)) ticks += Number(f[11]) + Number(f[12])
  }
  return ticks / 100
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

async function waitUp(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'HEAD', path: '/sda/0/a/c/probe', agent: false }, (res) => {
        res.resume()
        resolve(true)
      })
      req.on('error', () => resolve(false))
      req.end()
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('server did not come up')
}

async function startServer(kind: 'tern' | 'swift', work: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort()
  const devices = join(work, `${kind}-devices`)
  await rm(devices, { recursive: true, force: true })
  await mkdir(join(devices, 'sda'), { recursive: true })
  const common = `[DEFAULT]\ndevices = ${devices}\nmount_check = false\nbind_ip = 127.0.0.1\nbind_port = ${port}\nworkers = ${WORKERS}\nlog_level = WARNING\n`
  let child: ChildProcess
  if (kind === 'tern') {
    const conf = join(work, 'tern-object-server.conf')
    await writeFile(conf, `${common}[app:object-server]\nlog_requests = false\n[swift-hash]\nswift_hash_path_prefix = bench\nswift_hash_path_suffix = bench\n`)
    child = spawn(process.execPath, ['--import=tsx', join(ROOT, 'bin/tern.ts'), 'object-server', conf], {
      stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, UV_THREADPOOL_SIZE: '16' },
    })
  } else {
    const conf = join(work, 'swift-object-server.conf')
    const swiftConf = join(work, 'swift.conf')
    await writeFile(swiftConf, '[swift-hash]\nswift_hash_path_prefix = bench\nswift_hash_path_suffix = bench\n[storage-policy:0]\nname = gold\ndefault = yes\n')
    await writeFile(conf, `${common}user = root\nlog_requests = false\n[pipeline:main]\npipeline = object-server\n[app:object-server]\nuse = egg:swift#object\n`)
    child = spawn('/usr/bin/python3', [SWIFT_RUN, SWIFT, conf], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, PEER_SWIFT_CONF_FILE: swiftConf } })
  }
  await waitUp(port, child)
  return { port, child }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

async function phase(port: number, pid: number, method: 'PUT' | 'GET', names: string[], body: Buffer): Promise<Phase> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const latencies: number[] = []
  let errors = 0
  let next = 0
  const end = performance.now() + SECONDS * 1000
  const one = (name: string) =>
    new Promise<number>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = method === 'PUT'
        ? { 'X-Timestamp': Timestamp.now().internal, 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }
        : {}
      const req = http.request({ host: '127.0.0.1', port, method, path: `/sda/0/AUTH_bench/c/${name}`, headers, agent }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end(method === 'PUT' ? body : undefined)
    })
  const started = performance.now()
  const cpuBefore = treeCpuSeconds(pid)
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const i = next++
      const name = method === 'PUT' ? `o-${i}` : names[i % names.length]!
      const t0 = performance.now()
      const status = await one(name).catch(() => 0)
      latencies.push(performance.now() - t0)
      if (status >= 200 && status < 300) {
        if (method === 'PUT') names.push(name)
      } else errors++
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  const cpu = treeCpuSeconds(pid) - cpuBefore
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0
  return { ops: latencies.length, perSecond: latencies.length / elapsed, p50ms: pct(0.5), p99ms: pct(0.99), errors, cpuUsPerOp: (cpu / latencies.length) * 1e6 }
}

async function runOnce(kind: 'tern' | 'swift', work: string): Promise<Run> {
  const { port, child } = await startServer(kind, work)
  try {
    const body = randomBytes(SIZE)
    const names: string[] = []
    const put = await phase(port, child.pid!, 'PUT', names, body)
    const get = await phase(port, child.pid!, 'GET', names, body)
    return { server: kind, put, get }
  } finally {
    await stopServer(child)
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

async function main(): Promise<void> {
  const haveSwift = existsSync(SWIFT) && existsSync(SWIFT_RUN)
  if (!haveSwift) process.stderr.write(`${SWIFT} not found (Debian package swift-object): measuring tern only\n`)
  const work = await mkdtemp(join(tmpdir(), 'tern-bench-obj-'))
  const runs: Run[] = []
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const kind of haveSwift ? (['tern', 'swift'] as const) : (['tern'] as const)) {
        const r = await runOnce(kind, work)
        runs.push(r)
        process.stderr.write(`run ${i + 1} ${kind}: PUT ${r.put.perSecond.toFixed(0)}/s (p99 ${r.put.p99ms.toFixed(1)} ms, ${r.put.errors} errors), GET ${r.get.perSecond.toFixed(0)}/s (p99 ${r.get.p99ms.toFixed(1)} ms, ${r.get.errors} errors)\n`)
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  const summary = (kind: 'tern' | 'swift') => {
    const rs = runs.filter((r) => r.server === kind)
    if (!rs.length) return undefined
    return {
      putPerSecond: median(rs.map((r) => r.put.perSecond)),
      getPerSecond: median(rs.map((r) => r.get.perSecond)),
      putP99ms: median(rs.map((r) => r.put.p99ms)),
      getP99ms: median(rs.map((r) => r.get.p99ms)),
      putCpuUsPerOp: median(rs.map((r) => r.put.cpuUsPerOp)),
      getCpuUsPerOp: median(rs.map((r) => r.get.cpuUsPerOp)),
    }
  }
  const tern = summary('tern')!
  const swift = summary('swift')
  const result = {
    bench: 'object-server', date: new Date().toISOString(), objectSize: SIZE, concurrency: CONCURRENCY, seconds: SECONDS,
    workers: WORKERS, runs: RUNS, cpus: cpus().length, node: process.version, tern, swift,
    ratio: swift
      ? {
          put: tern.putPerSecond / swift.putPerSecond,
          get: tern.getPerSecond / swift.getPerSecond,
          putCpu: swift.putCpuUsPerOp / tern.putCpuUsPerOp,
          getCpu: swift.getCpuUsPerOp / tern.getCpuUsPerOp,
        }
      : undefined,
    loadAverage: loadavg(),
    raw: runs,
  }
  await mkdir(join(ROOT, 'bench/results'), { recursive: true })
  await writeFile(join(ROOT, 'bench/results/object-server.json'), JSON.stringify(result, null, 2) + '\n')
  const row = (name: string, s: typeof tern | undefined) =>
    s
      ? `| ${name} | ${s.putPerSecond.toFixed(0)} | ${s.getPerSecond.toFixed(0)} | ${s.putP99ms.toFixed(1)} | ${s.getP99ms.toFixed(1)} | ${s.putCpuUsPerOp.toFixed(0)} | ${s.getCpuUsPerOp.toFixed(0)} |`
      : `| ${name} | - | - | - | - | - | - |`
  const md = [
    '# Object server: direct backend PUT/GET of 4 KiB objects',
    '',
    `One device on the same file system, concurrency ${CONCURRENCY}, ${SECONDS} s per phase, ${WORKERS} worker(s) each,`,
    `median of ${RUNS} alternating runs; ${cpus().length} CPUs shared by the servers and the load generator. ${result.date}`,
    '',
    '| server | PUT/s | GET/s | PUT p99 ms | GET p99 ms | PUT server CPU µs/op | GET server CPU µs/op |',
    '|---|---|---|---|---|---|---|',
    row('tern', tern),
    row('swift 2.30 (Debian)', swift),
    '',
    result.ratio
      ? `tern / swift throughput: PUT ${result.ratio.put.toFixed(2)}x, GET ${result.ratio.get.toFixed(2)}x; ` +
        `server CPU per request, swift / tern: PUT ${result.ratio.putCpu.toFixed(2)}x, GET ${result.ratio.getCpu.toFixed(2)}x`
      : 'swift not measured',
    `Load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine skews throughput; CPU per request much less).`,
    '',
    'Run: `node --import=tsx bench/object-server.ts` (BENCH_RUNS, BENCH_SECONDS, BENCH_WORKERS).',
    '',
  ].join('\n')
  await writeFile(join(ROOT, 'bench/results/object-server.md'), md)
  process.stdout.write(md)
}

await main()
