// What each process of the all-in-one holds in memory under the benchmark's load: starts Tern
// as `npm run bench` does (bench/lib/targets.ts, daemons off), drives 4 KiB PUT, GET, HEAD and
// DELETE at --concurrency, then 64 MiB PUT and GET one at a time, and after each phase prints,
// per process: peak VmRSS (sampled every 100 ms), VmHWM, anonymous and file-backed resident
// memory, threads, CPU seconds in the phase, and the maxima of its V8 heap (total, new and
// old space), external memory and ArrayBuffers (a preloaded sampler, bench/lib/memory-preload.cjs).
// File-backed pages are mostly the node binary and the RocksDB addon, shared between processes.
//
//   node --import=tsx bench/memory-breakdown.ts [--concurrency 64] [--duration 6] [--no-large]
//   (TERN_BENCH_STATE / TERN_BENCH_PROXY_PORT / TERN_BENCH_PORT_BASE as for the bench;
//    TERN_RUN_TS=1 runs the servers through tsx for a comparison)
import { Agent } from 'node:http'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startTern, defaultTargetSettings } from './lib/targets.ts'
import { SwiftApiClient } from './lib/store-client.ts'
import type { OpResult } from './lib/store-client.ts'
import { runLoad } from './lib/load.ts'
import { allProcesses, processLabel, processTree, statusKb } from './lib/proc-stats.ts'
import type { ProcSample } from './lib/proc-stats.ts'

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '64' },
    duration: { type: 'string', default: '6' },
    'no-large': { type: 'boolean', default: false },
    fs: { type: 'string', default: 'dir' },
  },
})
const concurrency = Number(values.concurrency)
const duration = Number(values.duration)
const MB = 1_000_000

const memoryDir = mkdtempSync(join(tmpdir(), 'tern-memory-'))
process.env.TERN_MEMORY_DIR = memoryDir
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require=${fileURLToPath(new URL('./lib/memory-preload.cjs', import.meta.url))}`.trim()
const target = await startTern(defaultTargetSettings(1, values.fs === 'xfs' ? 'xfs' : 'dir', (l) => process.stderr.write(`${l}\n`)))

const tree = (): ProcSample[] => processTree(allProcesses(), target.rootPids())
const labels = new Map<number, string>()
const peaks = new Map<number, number>()
const read = (pid: number, file: string): string => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return ''
  }
}
const sample = () => {
  for (const p of tree()) {
    if (!labels.has(p.pid)) labels.set(p.pid, processLabel(read(p.pid, 'cmdline').split('\0')))
    peaks.set(p.pid, Math.max(peaks.get(p.pid) ?? 0, statusKb(read(p.pid, 'status'), 'VmRSS') ?? 0))
  }
}

async function v8Maxima(pids: number[]): Promise<Map<number, Record<string, number>>> {
  for (const pid of pids) rmSync(join(memoryDir, `${pid}.json`), { force: true })
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGUSR2')
    } catch {
      // exited
    }
  }
  const out = new Map<number, Record<string, number>>()
  const deadline = Date.now() + 5_000
  while (out.size < pids.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    for (const pid of pids) {
      const f = join(memoryDir, `${pid}.json`)
      if (!out.has(pid) && existsSync(f)) out.set(pid, JSON.parse(readFileSync(f, 'utf8')) as Record<string, number>)
    }
  }
  return out
}

async function phase(name: string, run: () => Promise<{ ops: number; errors: number }>): Promise<void> {
  const before = new Map(tree().map((p) => [p.pid, p.cpuSeconds]))
  peaks.clear()
  const timer = setInterval(sample, 100)
  const r = await run()
  clearInterval(timer)
  sample()
  const procs = tree().filter((p) => labels.get(p.pid)?.startsWith('tern'))
  const v8 = await v8Maxima(procs.map((p) => p.pid))
  let cpu = 0
  const rows = procs.map((p) => {
    const status = read(p.pid, 'status')
    const mb = (field: string) => Math.round((statusKb(status, field) ?? 0) / MB)
    const m = v8.get(p.pid) ?? {}
    const v = (k: string) => (m[k] === undefined ? '-' : String(Math.round(m[k] / MB)))
    const used = p.cpuSeconds - (before.get(p.pid) ?? 0)
    cpu += used
    return [labels.get(p.pid)!.replace(/^tern /, ''), Math.round((peaks.get(p.pid) ?? 0) / MB), mb('VmHWM'), mb('RssAnon'), mb('RssFile'), /Threads:\s+(\d+)/.exec(status)?.[1] ?? '?', used.toFixed(2), v('heapTotal'), v('newSpace'), v('oldSpace'), v('heapUsed'), v('external'), v('arrayBuffers')]
  })
  const perOp = r.ops ? ((cpu * 1000) / r.ops).toFixed(2) : '-'
  process.stdout.write(`\n## ${name}: ${r.ops} ops, ${r.errors} errors, ${perOp} ms CPU per op (these processes)\n\n`)
  process.stdout.write('| process | peak RSS | VmHWM | anon | file | threads | CPU s | heap total | new space | old space | heap used | external | array buffers |\n')
  process.stdout.write(`|${' --- |'.repeat(13)}\n`)
  for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`)
}

try {
  const client = new SwiftApiClient(target.authUrl, target.user, target.key)
  await client.prepare('memory')
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const small = Buffer.alloc(4096, 1)
  const names: string[] = []
  let next = 0
  const load = (c: number, op: () => (() => Promise<OpResult>) | undefined) => runLoad(c, duration, () => op())
  await phase('idle', async () => ({ ops: 0, errors: 0 }))
  await phase(`put-4k c=${concurrency}`, () => load(concurrency, () => () => client.put(agent, 'memory', `o${names.push(`o${names.length}`) - 1}`, small)))
  await phase(`get-4k c=${concurrency}`, () => load(concurrency, () => () => client.get(agent, 'memory', names[next++ % names.length]!, small.length)))
  await phase(`head-4k c=${concurrency}`, () => load(concurrency, () => () => client.head(agent, 'memory', names[next++ % names.length]!)))
  let gone = 0
  await phase(`delete-4k c=${concurrency}`, () => load(concurrency, () => (gone < names.length ? () => client.delete(agent, 'memory', names[gone++]!) : undefined)))
  if (!values['no-large']) {
    const large = Buffer.alloc(64 * 1024 * 1024, 2)
    let put = 0
    let got = 0
    await phase('put-64m c=1', () => load(1, () => (put < 3 ? () => client.put(agent, 'memory', `large${put++}`, large) : undefined)))
    await phase('get-64m c=1', () => load(1, () => (got < 3 ? () => client.get(agent, 'memory', `large${got++}`, large.length) : undefined)))
    for (let i = 0; i < put; i++) await client.delete(agent, 'memory', `large${i}`)
  }
  agent.destroy()
} finally {
  await target.stop()
  rmSync(memoryDir, { recursive: true, force: true })
}
