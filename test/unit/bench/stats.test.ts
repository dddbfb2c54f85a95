import t from 'tap'
import { LatencyRecorder, median, percentile, ratio, summariseRounds, summariseRun } from '../../../bench/lib/stats.ts'

t.test('nearest-rank percentiles are values that occurred', async (t) => {
  const values = Float64Array.from({ length: 100 }, (_, i) => i + 1) // 1..100
  t.equal(percentile(values, 50), 50)
  t.equal(percentile(values, 99), 99)
  t.equal(percentile(values, 100), 100)
  t.equal(percentile(values, 0), 1)
  t.equal(percentile([7], 99), 7)
  t.ok(Number.isNaN(percentile([], 50)))
  // 10 values: p99 is the largest (rank ceil(9.9) = 10), p50 the 5th.
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]
  t.equal(percentile(ten, 99), 1000)
  t.equal(percentile(ten, 50), 5)
})

t.test('recorder grows past its initial size and sorts', async (t) => {
  const r = new LatencyRecorder()
  for (let i = 5000; i > 0; i--) r.add(i)
  t.equal(r.count, 5000)
  const s = r.sorted()
  t.equal(s[0], 1)
  t.equal(s[4999], 5000)
  t.ok(s.every((v, i) => i === 0 || s[i - 1]! <= v))
})

t.test('median of odd, even, empty and NaN-holding lists', async (t) => {
  t.equal(median([3, 1, 2]), 2)
  t.equal(median([4, 1, 3, 2]), 2.5)
  t.ok(Number.isNaN(median([])))
  t.equal(median([Number.NaN, 5]), 5)
})

t.test('a run summary: rates, per-op CPU, validity', async (t) => {
  const lat = new LatencyRecorder()
  for (const v of [10, 20, 30, 40]) lat.add(v)
  const s = summariseRun({ ops: 4, errors: 0, bytes: 8_000_000, seconds: 2, serverCpuSeconds: 0.4, clientCpuSeconds: 0.04, peakRssBytes: 50_000_000 }, lat)
  t.equal(s.opsPerSec, 2)
  t.equal(s.mbPerSec, 4)
  t.equal(s.cpuMsPerOp, 100)
  t.equal(s.clientCpuMsPerOp, 10)
  t.equal(s.peakRssMb, 50)
  t.equal(s.p50Ms, 20)
  t.equal(s.maxMs, 40)
  t.equal(s.valid, true)
  const bad = summariseRun({ ops: 4, errors: 1, bytes: 0, seconds: 2 }, lat)
  t.equal(bad.valid, false, 'one error invalidates the run')
  t.equal(bad.cpuMsPerOp, null, 'no CPU measured, no CPU per op')
})

t.test('rounds: medians over valid runs only', async (t) => {
  const run = (ops: number, errors = 0) => {
    const lat = new LatencyRecorder()
    lat.add(ops)
    return summariseRun({ ops, errors, bytes: 0, seconds: 1, serverCpuSeconds: ops / 1000 }, lat)
  }
  const s = summariseRounds([run(100), run(300), run(200), run(10_000, 3)])
  t.equal(s.rounds, 4)
  t.equal(s.validRounds, 3)
  t.equal(s.errors, 3)
  t.equal(s.medians.opsPerSec, 200)
  t.equal(s.medians.cpuMsPerOp, 1)
  t.equal(s.medians.peakRssMb, null)
})

t.test('ratio refuses missing or zero denominators', async (t) => {
  t.equal(ratio(10, 4), 2.5)
  t.equal(ratio(10, 0), null)
  t.equal(ratio(null, 4), null)
  t.equal(ratio(3, undefined), null)
})
