// Rebalance speed and quality side by side with Swift's builder: part power 18, 3 replicas,
// 3 regions x 4 zones x 10 servers x 4 devices with mixed weights. Swift runs through its own
// Python API (/usr/bin/python3, python3-swift) on the same device list. Also measures getNodes
// lookups per second on the ring Tern built. Results: bench/results/ring-rebalance.{json,md}.
// Run: node --import=tsx bench/ring-rebalance.ts [--runs N] [--swift-runs N] [--part-power P]
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { RingBuilder } from '../ring/builder.ts'
import { Ring } from '../ring/ring.ts'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}
const PART_POWER = arg('part-power', 18)
const RUNS = arg('runs', 3)
const SWIFT_RUNS = arg('swift-runs', 1)
const REPLICAS = 3
const WEIGHTS = [100, 200, 150, 100, 300]

interface Dev { region: number; zone: number; ip: string; port: number; device: string; weight: number }
const devices: Dev[] = []
for (let r = 1; r <= 3; r++) for (let z = 1; z <= 4; z++) for (let s = 1; s <= 10; s++) for (let d = 1; d <= 4; d++) {
  devices.push({ region: r, zone: z, ip: `10.${r}.${z}.${s}`, port: 6200, device: `sd${'abcd'[d - 1]}`, weight: WEIGHTS[devices.length % WEIGHTS.length] as number })
}

interface RunResult { initialMs: number; initialBalance: number; initialDispersion: number; addMs: number; addBalance: number; addDispersion: number; addMoved: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
}

// The second step: add one more server (4 devices) to region 1 zone 1, as an operator would.
const extra: Dev[] = [1, 2, 3, 4].map((d) => ({ region: 1, zone: 1, ip: '10.1.1.99', port: 6200, device: `sd${'abcd'[d - 1]}`, weight: 200 }))

function runTern(seed: number): { result: RunResult; builder: RingBuilder } {
  const b = new RingBuilder(PART_POWER, REPLICAS, 1)
  const add = (d: Dev): number => b.addDev({ ...d, replication_ip: d.ip, replication_port: d.port, meta: '' })
  devices.forEach(add)
  let t = performance.now()
  const first = b.rebalance(seed)
  const initialMs = performance.now() - t
  const initialDispersion = b.dispersion ?? 0
  b.pretendMinPartHoursPassed()
  extra.forEach(add)
  t = performance.now()
  const second = b.rebalance(seed + 1)
  const addMs = performance.now() - t
  b.validate()
  return {
    result: { initialMs, initialBalance: first.balance, initialDispersion, addMs, addBalance: second.balance, addDispersion: b.dispersion ?? 0, addMoved: second.changedParts },
    builder: b,
  }
}

const SWIFT_SCRIPT = `
import json, sys, time
from swift.common.ring import RingBuilder
cfg = json.load(open(sys.argv[1]))
b = RingBuilder(cfg['part_power'], cfg['replicas'], 1)
for d in cfg['devices']:
    b.add_dev(dict(d, replication_ip=d['ip'], replication_port=d['port'], meta=''))
t = time.time()
moved, balance, _ = b.rebalance(seed=cfg['seed'])
initial_ms = (time.time() - t) * 1000
initial_dispersion = b.dispersion
b.pretend_min_part_hours_passed()
for d in cfg['extra']:
    b.add_dev(dict(d, replication_ip=d['ip'], replication_port=d['port'], meta=''))
t = time.time()
moved2, balance2, _ = b.rebalance(seed=cfg['seed'] + 1)
add_ms = (time.time() - t) * 1000
b.validate()
print(json.dumps(dict(initialMs=initial_ms, initialBalance=balance, initialDispersion=initial_dispersion,
                      addMs=add_ms, addBalance=balance2, addDispersion=b.dispersion, addMoved=moved2)))
`

function runSwift(dir: string, seed: number): RunResult | null {
  const script = join(dir, 'swift-rebalance.py')
  const cfg = join(dir, 'cfg.json')
  writeFileSync(script, SWIFT_SCRIPT)
  writeFileSync(cfg, JSON.stringify({ part_power: PART_POWER, replicas: REPLICAS, devices, extra, seed }))
  const r = spawnSync('/usr/bin/python3', [script, cfg], { encoding: 'utf8', maxBuffer: 1 << 20 })
  if (r.status !== 0) {
    process.stderr.write(`swift run failed: ${r.stderr || r.error}\n`)
    return null
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as RunResult
}

function lookupsPerSecond(b: RingBuilder): number {
  const ring = Ring.fromData(b.getRing(), { secrets: { prefix: '', suffix: 'bench' } })
  const n = 200_000
  let sum = 0
  for (let i = 0; i < 10_000; i++) sum += ring.getNodes('AUTH_bench', 'c', `warm-${i}`).nodes.length
  const t = performance.now()
  for (let i = 0; i < n; i++) sum += ring.getNodes('AUTH_bench', `c${i & 63}`, `object-${i}`).nodes.length
  const ms = performance.now() - t
  if (sum === 0) throw new Error('no nodes')
  return (n / ms) * 1000
}

const dir = mkdtempSync(join(tmpdir(), 'tern-bench-ring-'))
try {
  const tern: RunResult[] = []
  let last: RingBuilder | undefined
  for (let i = 0; i < RUNS; i++) {
    const { result, builder } = runTern(1000 + i)
    tern.push(result)
    last = builder
    process.stderr.write(`tern run ${i + 1}: ${JSON.stringify(result)}\n`)
  }
  const swift: RunResult[] = []
  for (let i = 0; i < SWIFT_RUNS; i++) {
    const r = runSwift(dir, 1000 + i)
    if (r) swift.push(r)
    process.stderr.write(`swift run ${i + 1}: ${JSON.stringify(r)}\n`)
  }
  const summarize = (rs: RunResult[]): Record<string, number> | null => rs.length === 0 ? null : Object.fromEntries(
    (Object.keys(rs[0] as RunResult) as (keyof RunResult)[]).map((k) => [k, median(rs.map((r) => r[k]))]))
  const t = summarize(tern) as Record<string, number>
  const s = summarize(swift)
  const lps = last ? lookupsPerSecond(last) : 0
  const out = {
    date: new Date().toISOString(),
    layout: { partPower: PART_POWER, replicas: REPLICAS, regions: 3, zonesPerRegion: 4, serversPerZone: 10, devicesPerServer: 4, devices: devices.length, weights: WEIGHTS, addedDevices: extra.length },
    runs: { tern: tern.length, swift: swift.length },
    tern: t, swift: s,
    speedup: s ? { initial: (s.initialMs as number) / (t.initialMs as number), add: (s.addMs as number) / (t.addMs as number) } : null,
    getNodesPerSecond: lps,
    raw: { tern, swift },
  }
  const resultsDir = join(import.meta.dirname, 'results')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, 'ring-rebalance.json'), `${JSON.stringify(out, null, 2)}\n`)
  const f = (n: number | undefined, p = 2): string => (n === undefined ? 'n/a' : n.toFixed(p))
  const md = [
    `# Ring rebalance: Tern vs Swift ${s ? '2.30 (python3-swift)' : '(not run)'}`,
    '',
    `Part power ${PART_POWER}, ${REPLICAS} replicas, 3 regions x 4 zones x 10 servers x 4 devices (${devices.length} devices, weights ${WEIGHTS.join('/')}), ` +
    `then one server of ${extra.length} devices added to r1z1. Medians of ${tern.length} Tern run(s) and ${swift.length} Swift run(s); ${out.date}.`,
    '',
    '| step | measure | Tern | Swift | Swift / Tern |',
    '|---|---|---:|---:|---:|',
    `| initial rebalance | wall time (ms) | ${f(t.initialMs, 0)} | ${f(s?.initialMs, 0)} | ${s ? f(out.speedup?.initial, 1) + 'x' : 'n/a'} |`,
    `| initial rebalance | balance (%) | ${f(t.initialBalance)} | ${f(s?.initialBalance)} | |`,
    `| initial rebalance | dispersion (%) | ${f(t.initialDispersion)} | ${f(s?.initialDispersion)} | |`,
    `| add 4 devices | wall time (ms) | ${f(t.addMs, 0)} | ${f(s?.addMs, 0)} | ${s ? f(out.speedup?.add, 1) + 'x' : 'n/a'} |`,
    `| add 4 devices | balance (%) | ${f(t.addBalance)} | ${f(s?.addBalance)} | |`,
    `| add 4 devices | dispersion (%) | ${f(t.addDispersion)} | ${f(s?.addDispersion)} | |`,
    `| add 4 devices | replicas moved | ${f(t.addMoved, 0)} | ${f(s?.addMoved, 0)} | |`,
    '',
    `getNodes lookups on Tern's ring (ring/ring.ts): ${Math.round(lps).toLocaleString('en-US')} per second.`,
    '',
  ].join('\n')
  writeFileSync(join(resultsDir, 'ring-rebalance.md'), md)
  process.stdout.write(md)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
