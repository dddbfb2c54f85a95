// Latency and throughput arithmetic for the load generator: percentiles by the nearest-rank
// method (a p99 is a latency some request really had, never an interpolation), medians over
// rounds, and the per-run summary the reports are built from.

/** Collects latencies (ms) without per-sample allocation; grows by doubling. */
export class LatencyRecorder {
  #values = new Float64Array(1024)
  #count = 0

  add(ms: number): void {
    if (this.#count === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2)
      bigger.set(this.#values)
      this.#values = bigger
    }
    this.#values[this.#count++] = ms
  }

  get count(): number {
    return this.#count
  }

  /** The recorded latencies, ascending (a copy). */
  sorted(): Float64Array {
    return this.#values.slice(0, this.#count).sort()
  }
}

/** Nearest-rank percentile (p in 0..100) of ascending values; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  if (p <= 0) return sorted[0]!
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, rank) - 1]!
}

/** Median of any values (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (v.length === 0) return Number.NaN
  const mid = v.length >> 1
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

export interface RunCounters {
  ops: number
  errors: number
  /** Payload bytes moved (request bodies for PUT, response bodies for GET). */
  bytes: number
  seconds: number
  /** utime+stime of the servers under test over the run; undefined when not measured. */
  serverCpuSeconds?: number | undefined
  /** CPU seconds of the load generator itself over the run. */
  clientCpuSeconds?: number | undefined
  /** Peak of the summed resident set of the servers under test, bytes. */
  peakRssBytes?: number | undefined
  /** Peak resident set of the largest single process among them, bytes. */
  peakProcessRssBytes?: number | undefined
}

export interface RunSummary {
  ops: number
  errors: number
  seconds: number
  opsPerSec: number
  mbPerSec: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  cpuMsPerOp: number | null
  clientCpuMsPerOp: number | null
  peakRssMb: number | null
  maxProcessRssMb: number | null
  /** A run with any error is invalid: its figures are shown but never compared. */
  valid: boolean
}

const MB = 1_000_000

export function summariseRun(c: RunCounters, latencies: LatencyRecorder | Float64Array): RunSummary {
  const sorted = latencies instanceof LatencyRecorder ? latencies.sorted() : latencies
  const perOp = (cpu: number | undefined) => (cpu === undefined || c.ops === 0 ? null : (cpu * 1000) / c.ops)
  return {
    ops: c.ops,
    errors: c.errors,
    seconds: c.seconds,
    opsPerSec: c.seconds > 0 ? c.ops / c.seconds : 0,
    mbPerSec: c.seconds > 0 ? c.bytes / MB / c.seconds : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    cpuMsPerOp: perOp(c.serverCpuSeconds),
    clientCpuMsPerOp: perOp(c.clientCpuSeconds),
    peakRssMb: c.peakRssBytes === undefined ? null : c.peakRssBytes / MB,
    maxProcessRssMb: c.peakProcessRssBytes === undefined ? null : c.peakProcessRssBytes / MB,
    valid: c.errors === 0 && c.ops > 0,
  }
}

/** The fields compared across targets; each is reduced to its median over the valid rounds. */
export const METRICS = ['opsPerSec', 'mbPerSec', 'p50Ms', 'p99Ms', 'maxMs', 'cpuMsPerOp', 'clientCpuMsPerOp', 'peakRssMb', 'maxProcessRssMb'] as const
export type Metric = (typeof METRICS)[number]

export interface RoundsSummary {
  rounds: number
  validRounds: number
  errors: number
  medians: Record<Metric, number | null>
}

export function summariseRounds(runs: readonly RunSummary[]): RoundsSummary {
  const valid = runs.filter((r) => r.valid)
  const medians = {} as Record<Metric, number | null>
  for (const m of METRICS) {
    const values = valid.map((r) => r[m]).filter((v): v is number => v !== null && !Number.isNaN(v))
    medians[m] = values.length ? median(values) : null
  }
  return { rounds: runs.length, validRounds: valid.length, errors: runs.reduce((n, r) => n + r.errors, 0), medians }
}

/** a / b, or null when either is missing or b is zero. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0 || Number.isNaN(a) || Number.isNaN(b)) return null
  return a / b
}
