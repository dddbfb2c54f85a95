import t from 'tap'
import { XMLValidator } from 'fast-xml-parser'
import type { BenchResult, RunRecord } from '../../../bench/lib/result.ts'
import { summarise } from '../../../bench/lib/result.ts'
import { checkTargets, fmtRatio, renderMarkdown, renderSvg } from '../../../bench/lib/render.ts'
import { LatencyRecorder, summariseRun } from '../../../bench/lib/stats.ts'

function record(target: 'tern' | 'swift', scenario: string, op: RunRecord['op'], size: number, round: number, opsPerSec: number, p99: number, cpuSeconds: number, errors = 0): RunRecord {
  const lat = new LatencyRecorder()
  for (let i = 0; i < 99; i++) lat.add(p99 / 2)
  lat.add(p99)
  const ops = opsPerSec * 10
  return { target, api: 'swift', scenario, op, size, concurrency: 16, round, summary: summariseRun({ ops, errors, bytes: ops * size, seconds: 10, serverCpuSeconds: cpuSeconds }, lat), errorSamples: errors ? ['PUT 503'] : [], load1: 1 }
}

function result(runs: RunRecord[]): BenchResult {
  const r: BenchResult = {
    format: 'tern-bench',
    version: 1,
    startedAt: '2024-01-02T03:04:05.000Z',
    finishedAt: '2024-01-02T03:14:05.000Z',
    command: 'npm run bench -- --vs swift',
    host: { cpus: 2, cpuModel: 'test cpu', memoryGb: 8, node: 'v20', loadAvgStart: [1, 1, 1], loadAvgEnd: [2, 2, 2] },
    setup: { workers: 1, replicas: 3, fs: 'xfs <image>', durability: 'fsync', dataDirs: { tern: '/a', swift: '/b' }, notes: [] },
    options: { rounds: 3, durationSec: 10, concurrency: [16], apis: ['swift'], targets: ['tern', 'swift'], listingObjects: 100 },
    runs,
    unavailable: [{ target: 'tern', api: 's3', reason: 'no S3 API' }],
    summary: [],
    machine: { disk: { dir: '/d', fileBytes: 2 ** 30, writeMBps: 300, readMBps: 500, readMethod: 'dropped', creates: [{ concurrency: 1, perSec: 200, seconds: 3 }] } },
  }
  r.summary = summarise(r.runs, r.unavailable, r.options.targets)
  return r
}

const MiB64 = 64 * 1024 * 1024
const runs = [
  // put-4k: Tern 100/300/200 ops/s (median 200), Swift 60/40/50 (median 50): 4x, missing the 5x target.
  record('tern', 'put-4k', 'put', 4096, 1, 100, 20, 1), record('swift', 'put-4k', 'put', 4096, 1, 60, 90, 6),
  record('tern', 'put-4k', 'put', 4096, 2, 300, 20, 3), record('swift', 'put-4k', 'put', 4096, 2, 40, 90, 4),
  record('tern', 'put-4k', 'put', 4096, 3, 200, 20, 2), record('swift', 'put-4k', 'put', 4096, 3, 50, 90, 5),
  // put-64m: one invalid Tern round (errors) is left out of the median.
  record('tern', 'put-64m', 'put', MiB64, 1, 1, 900, 5), record('swift', 'put-64m', 'put', MiB64, 1, 1, 900, 5),
  record('tern', 'put-64m', 'put', MiB64, 2, 50, 900, 5, 2), record('swift', 'put-64m', 'put', MiB64, 2, 1, 900, 5),
]

t.test('medians over rounds and Tern/Swift ratios', async (t) => {
  const r = result(runs)
  const put = r.summary.find((s) => s.scenario === 'put-4k')!
  const tern = put.byTarget.tern as { medians: Record<string, number> }
  const swift = put.byTarget.swift as { medians: Record<string, number> }
  t.equal(tern.medians.opsPerSec, 200)
  t.equal(swift.medians.opsPerSec, 50)
  t.equal(put.ratios?.opsPerSec, 4)
  t.equal(put.ratios?.p99Ms, 20 / 90)
  // CPU per op: Tern 2 s / 2000 ops = 1 ms, Swift 5 s / 500 ops = 10 ms (medians of the per-run figures).
  t.equal(tern.medians.cpuMsPerOp, 1)
  t.equal(swift.medians.cpuMsPerOp, 10)
  const big = r.summary.find((s) => s.scenario === 'put-64m')!
  t.match(big.byTarget.tern, { rounds: 2, validRounds: 1, errors: 2 })
  t.equal(big.ratios?.opsPerSec, 1, 'the invalid round does not count')
})

t.test('targets are judged on the medians', async (t) => {
  const checks = checkTargets(result(runs))
  const ops = checks.find((c) => c.goal.startsWith('ops/s'))!
  t.equal(ops.met, false)
  t.equal(ops.value, fmtRatio(4))
  t.equal(checks.find((c) => c.goal.startsWith('CPU/op'))?.met, true, '1 ms vs 10 ms is 1/10')
  t.equal(checks.find((c) => c.goal.startsWith('p99'))?.met, true)
  // 64 MiB PUT: 1 op/s = 67.1 MB/s against a 300/3 = 100 MB/s limit: 67%, missed.
  const put = checks.find((c) => c.goal.includes('machine limit'))!
  t.equal(put.met, false)
  t.match(put.value, /^67% of 100 MB\/s/)
})

t.test('markdown: header, rows, unavailable APIs, invalid runs, targets', async (t) => {
  const md = renderMarkdown(result(runs))
  t.match(md, /^# Tern benchmark — 2024-01-02 03:04 UTC/)
  t.match(md, /\| put-4k \| swift \| 16 \| 200 \|/)
  t.match(md, /\| 4\.00× \|/)
  t.match(md, /tern s3: no S3 API/)
  t.match(md, /tern put-64m swift c=16 round 2: 2\/500 errors: PUT 503/)
  t.match(md, /\| ops\/s ≥ 5× Swift \| put-4k swift c=16 \| 4\.00× \| \*\*no\*\* \|/)
  t.match(md, /sequential write of 1024 MiB/)
  t.match(md, /put-64m c=16: 67\.1 MB\/s = 67% of the disk's sequential write/)
})

t.test('the chart is valid SVG with one bar per compared row', async (t) => {
  const svg = renderSvg(result(runs))
  t.equal(XMLValidator.validate(svg), true)
  t.equal(svg.match(/<rect /g)?.length, 1 + 2, 'background plus two bars')
  t.match(svg, /4\.00×/)
  const empty = renderSvg(result([]))
  t.equal(XMLValidator.validate(empty), true)
  t.match(empty, /No scenario was measured on both/)
})
