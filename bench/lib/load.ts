// The closed-loop load generator: `concurrency` workers, each issuing its next request as soon
// as the previous one answered, until the run's time is up (or the work runs out, as for
// DELETE of the objects a PUT run created). Latency is measured per request, wall time from the
// first request to the last answer, so requests still in flight at the deadline are counted.
import { performance } from 'node:perf_hooks'
import { LatencyRecorder } from './stats.ts'
import type { OpResult } from './store-client.ts'

export interface LoadResult {
  latencies: LatencyRecorder
  ops: number
  errors: number
  bytes: number
  seconds: number
  /** The first few distinct errors, for the report. */
  errorSamples: string[]
  clientCpuSeconds: number
}

/** Returns the next operation of worker `w`, or undefined when there is no more work. */
export type NextOp = (worker: number) => (() => Promise<OpResult>) | undefined

export async function runLoad(concurrency: number, durationSec: number, next: NextOp): Promise<LoadResult> {
  const latencies = new LatencyRecorder()
  const errorSamples = new Set<string>()
  let ops = 0
  let errors = 0
  let bytes = 0
  const cpu0 = process.cpuUsage()
  const started = performance.now()
  const deadline = started + durationSec * 1000
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      const op = next(w)
      if (!op) return
      const t0 = performance.now()
      const res = await op()
      latencies.add(performance.now() - t0)
      ops++
      bytes += res.bytes
      if (!res.ok) {
        errors++
        if (errorSamples.size < 5 && res.error) errorSamples.add(res.error)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)))
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { latencies, ops, errors, bytes, seconds, errorSamples: [...errorSamples], clientCpuSeconds: (cpu.user + cpu.system) / 1e6 }
}
