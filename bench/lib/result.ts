// The benchmark's result record: every run's figures, their medians over rounds per target,
// and the machine's limits. Saved as JSON (format version 1) beside its markdown and SVG views.
import type { ApiName, TargetName } from './args.ts'
import type { DiskLimits } from './machine.ts'
import type { OpKind } from './scenarios.ts'
import type { RoundsSummary, RunSummary } from './stats.ts'
import { ratio, summariseRounds } from './stats.ts'

export const RESULT_FORMAT = 'tern-bench'
export const RESULT_VERSION = 1

export interface RunRecord {
  target: TargetName
  api: ApiName
  scenario: string
  op: OpKind
  size: number
  concurrency: number
  round: number
  summary: RunSummary
  errorSamples: string[]
  /** Load average (1 min) when the run started: the machine is shared. */
  load1: number
}

export interface Unavailable {
  unavailable: string
}

export interface SummaryRow {
  scenario: string
  op: OpKind
  size: number
  api: ApiName
  concurrency: number
  byTarget: Partial<Record<TargetName, RoundsSummary | Unavailable>>
  /** Tern / Swift of the medians, when both have valid rounds. */
  ratios?: { opsPerSec: number | null; mbPerSec: number | null; p99Ms: number | null; cpuMsPerOp: number | null }
}

export interface BenchResult {
  format: typeof RESULT_FORMAT
  version: typeof RESULT_VERSION
  startedAt: string
  finishedAt: string
  command: string
  host: { cpus: number; cpuModel: string; memoryGb: number; node: string; loadAvgStart: number[]; loadAvgEnd: number[] }
  setup: { workers: number; replicas: number; fs: string; durability: string; dataDirs: Partial<Record<TargetName, string>>; notes: string[] }
  options: { rounds: number; durationSec: number; concurrency: number[]; apis: ApiName[]; targets: TargetName[]; listingObjects: number }
  runs: RunRecord[]
  unavailable: { target: TargetName; api: ApiName; scenario?: string; reason: string }[]
  summary: SummaryRow[]
  machine?: { disk?: DiskLimits; sink?: SummaryRow[] }
}

export function isUnavailable(x: RoundsSummary | Unavailable | undefined): x is Unavailable {
  return x !== undefined && 'unavailable' in x
}

const key = (r: { scenario: string; api: string; concurrency: number }) => `${r.scenario}|${r.api}|${r.concurrency}`

/** Groups runs by scenario/api/concurrency (in first-seen order) and reduces each target's rounds to medians. */
export function summarise(runs: readonly RunRecord[], unavailable: BenchResult['unavailable'], targets: readonly TargetName[]): SummaryRow[] {
  const rows = new Map<string, SummaryRow>()
  const perTarget = new Map<string, RunSummary[]>()
  for (const r of runs) {
    const k = key(r)
    if (!rows.has(k)) rows.set(k, { scenario: r.scenario, op: r.op, size: r.size, api: r.api, concurrency: r.concurrency, byTarget: {} })
    const tk = `${k}|${r.target}`
    const list = perTarget.get(tk)
    if (list) list.push(r.summary)
    else perTarget.set(tk, [r.summary])
  }
  for (const row of rows.values()) {
    for (const t of targets) {
      const list = perTarget.get(`${key(row)}|${t}`)
      if (list) row.byTarget[t] = summariseRounds(list)
      else {
        const why = unavailable.find((u) => u.target === t && u.api === row.api && (u.scenario === undefined || u.scenario === row.scenario))
        if (why) row.byTarget[t] = { unavailable: why.reason }
      }
    }
    const a = row.byTarget.tern
    const b = row.byTarget.swift
    if (a && b && !isUnavailable(a) && !isUnavailable(b)) {
      row.ratios = {
        opsPerSec: ratio(a.medians.opsPerSec, b.medians.opsPerSec),
        mbPerSec: ratio(a.medians.mbPerSec, b.medians.mbPerSec),
        p99Ms: ratio(a.medians.p99Ms, b.medians.p99Ms),
        cpuMsPerOp: ratio(a.medians.cpuMsPerOp, b.medians.cpuMsPerOp),
      }
    }
  }
  return [...rows.values()]
}
