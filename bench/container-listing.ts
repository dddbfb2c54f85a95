// Container listing pages of 10,000 rows per second from a 1,000,000-row container: Tern's
// container server (RocksDB) side by side with Debian's Swift container server (SQLite), both
// as separate processes on loopback, both filled through their broker APIs in bulk. Each run
// reads PAGES pages at random markers (JSON); the figure is the median of RUNS runs.
// Usage: node --import=tsx bench/container-listing.ts [rows] (default 1000000)
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import http from 'node:http'
import { loadavg } from 'node:os'
import { KvStore } from '../common/db/kv-store.ts'
import { ContainerBroker } from '../container/broker.ts'
import type { ObjectItem } from '../container/broker.ts'
import { hashPathDigest } from '../common/hash-path.ts'
import { Timestamp } from '../common/timestamp.ts'

const ROWS = Number(process.argv[2] ?? 1_000_000)
const PAGE = 10_000
const PAGES = 20
const RUNS = 3
const name = (i: number) => `obj-${String(i).padStart(7, '0')}`

const agent = new http.Agent({ keepAlive: true })
function get(port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let bytes = 0
        res.on('data', (c: Buffer) => (bytes += c.length))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
      })
      .on('error', reject)
  })
}

async function waitUp(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await get(port, '/healthcheck')
      return
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`server on ${port} did not start`)
}

/** Pages per second over PAGES pages at seeded random markers; median of RUNS. */
async function measure(port: number, path: string): Promise<{ pagesPerSecond: number; runs: number[]; bytesPerPage: number }> {
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const first = await get(port, `${path}?format=json&limit=${PAGE}`)
  if (first.status !== 200) throw new Error(`listing answered ${first.status}`)
  const runs: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const started = process.hrtime.bigint()
    for (let p = 0; p < PAGES; p++) {
      const marker = name(Math.floor(rand() * (ROWS - PAGE)))
      const res = await get(port, `${path}?format=json&limit=${PAGE}&marker=${marker}`)
      if (res.status !== 200) throw new Error(`page answered ${res.status}`)
    }
    runs.push(PAGES / (Number(process.hrtime.bigint() - started) / 1e9))
  }
  const sorted = [...runs].sort((a, b) => a - b)
  return { pagesPerSecond: sorted[Math.floor(sorted.length / 2)]!, runs, bytesPerPage: first.bytes }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

async function benchTern(root: string): Promise<ReturnType<typeof measure> extends Promise<infer T> ? T & { loadSeconds: number } : never> {
  await mkdir(join(root, 'sda'), { recursive: true })
  const loadStart = Date.now()
  const store = await KvStore.open(join(root, 'sda', 'containers.db'))
  const broker = new ContainerBroker(store, hashPathDigest({ prefix: '', suffix: '' }, 'a', 'c'))
  broker.initialize('a', 'c', 0, Timestamp.fromSeconds(1_700_000_000).internal, 0)
  for (let start = 0; start < ROWS; start += 25_000) {
    const items: ObjectItem[] = []
    for (let i = start; i < Math.min(ROWS, start + 25_000); i++) {
      items.push({ name: name(i), createdAt: Timestamp.fromSeconds(1_700_000_000 + i / 1000).internal, size: i % 4096, contentType: 'application/octet-stream', etag: 'd41d8cd98f00b204e9800998ecf8427e', deleted: 0, storagePolicyIndex: 0 })
    }
    broker.mergeItems(items)
  }
  await store.close()
  const loadSeconds = (Date.now() - loadStart) / 1000
  const port = 16301
  const conf = join(root, 'container-server.conf')
  await writeFile(conf, `[DEFAULT]\ndevices = ${root}\nmount_check = false\nbind_ip = 127.0.0.1\nbind_port = ${port}\nlog_level = error\n[app:container-server]\n`)
  const child = spawn(process.execPath, ['--import=tsx', 'bin/tern.ts', 'container-server', conf], { stdio: 'ignore' })
  try {
    await waitUp(port)
    return { ...(await measure(port, '/sda/0/a/c')), loadSeconds }
  } finally {
    await stop(child)
  }
}

async function benchSwift(root: string): Promise<(Awaited<ReturnType<typeof measure>> & { loadSeconds: number }) | { skipped: string }> {
  if (!existsSync('/usr/bin/swift-container-server')) return { skipped: 'swift-container-server not installed (Debian package swift-container)' }
  await mkdir(join(root, 'sda'), { recursive: true })
  const loadStart = Date.now()
  const fill = spawnSync('/usr/bin/python3', ['bench/swift-fill-container.py', root, 'sda', '0', 'a', 'c', String(ROWS)], { encoding: 'utf8' })
  if (fill.status !== 0) throw new Error(`filling the Swift database failed: ${fill.stderr}`)
  const loadSeconds = (Date.now() - loadStart) / 1000
  const port = 16302
  const conf = join(root, 'container-server.conf')
  await writeFile(
    conf,
    `[DEFAULT]\ndevices = ${root}\nmount_check = false\nbind_ip = 127.0.0.1\nbind_port = ${port}\nworkers = 0\nlog_level = ERROR\n` +
      `[pipeline:main]\npipeline = healthcheck container-server\n[app:container-server]\nuse = egg:swift#container\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n`,
  )
  const child = spawn('/usr/bin/swift-container-server', [conf], { stdio: 'ignore' })
  try {
    await waitUp(port)
    return { ...(await measure(port, '/sda/0/a/c')), loadSeconds }
  } finally {
    await stop(child)
  }
}

const loadBefore = loadavg()[0]!
const root = await mkdtemp(join(tmpdir(), 'tern-bench-listing-'))
try {
  const tern = await benchTern(join(root, 'tern'))
  const swift = await benchSwift(join(root, 'swift'))
  // Other work on the machine skews both sides; the 1-minute load average is recorded with the figures.
  const machineLoad = { before: loadBefore, after: loadavg()[0]! }
  const result = { rows: ROWS, pageSize: PAGE, pagesPerRun: PAGES, runs: RUNS, format: 'json', tern, swift, machineLoad, date: new Date().toISOString() }
  await mkdir('bench/results', { recursive: true })
  await writeFile('bench/results/container-listing.json', JSON.stringify(result, null, 2) + '\n')
  const fmt = (r: typeof swift) => ('skipped' in r ? `skipped: ${r.skipped}` : `${r.pagesPerSecond.toFixed(1)} pages/s (runs: ${r.runs.map((x) => x.toFixed(1)).join(', ')}; ${r.bytesPerPage} bytes/page; load ${r.loadSeconds.toFixed(0)} s)`)
  const ratio = 'skipped' in swift ? '' : `\nTern / Swift: ${(tern.pagesPerSecond / swift.pagesPerSecond).toFixed(2)}x\n`
  const md = `# Container listing: pages of ${PAGE} from a ${ROWS}-row container\n\nJSON pages at random markers, ${PAGES} pages per run, median of ${RUNS} runs; one server process each (Swift: workers = 0, serving in its one process), client on loopback. 1-minute load average ${machineLoad.before.toFixed(1)} before, ${machineLoad.after.toFixed(1)} after.\n\n| server | result |\n|---|---|\n| Tern (RocksDB) | ${fmt(tern)} |\n| Swift 2.30 (SQLite) | ${fmt(swift)} |\n${ratio}`
  await writeFile('bench/results/container-listing.md', md)
  process.stdout.write(md)
} finally {
  await rm(root, { recursive: true, force: true })
}
