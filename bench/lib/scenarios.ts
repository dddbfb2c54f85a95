// The benchmark's scenarios. Objects come in groups by size: a group runs its operations in
// order (PUT creates the objects GET and HEAD read and DELETE removes), so every group is
// self-contained and leaves the store as it found it. Listing reads pages from a container
// filled beforehand.
import type { ApiName, BenchOptions } from './args.ts'

export type OpKind = 'put' | 'get' | 'head' | 'delete' | 'list'

export interface Scenario {
  /** e.g. "put-4k", "list-10k". */
  name: string
  op: OpKind
  /** Object size in bytes (page size in rows for a listing). */
  size: number
}

export interface ScenarioGroup {
  name: string
  size: number
  scenarios: Scenario[]
  /** Highest concurrency run (64 MiB objects at 64 in flight would only measure queueing). */
  maxConcurrency: number
  apis: readonly ApiName[]
}

const KiB = 1024
const MiB = 1024 * KiB

function group(label: string, size: number, ops: OpKind[], maxConcurrency: number, apis: readonly ApiName[]): ScenarioGroup {
  return { name: label, size, maxConcurrency, apis, scenarios: ops.map((op) => ({ name: `${op}-${label}`, op, size })) }
}

export const GROUPS: readonly ScenarioGroup[] = [
  group('4k', 4 * KiB, ['put', 'get', 'head', 'delete'], Infinity, ['swift', 's3']),
  group('1m', MiB, ['put', 'get'], Infinity, ['swift', 's3']),
  group('64m', 64 * MiB, ['put', 'get'], 16, ['swift', 's3']),
  // S3 caps pages at 1000 keys: the 10,000-row page is a Swift API scenario.
  group('10k', 10_000, ['list'], 16, ['swift']),
]

/** The quick subset: one scenario of each kind that matters, small enough for two minutes. */
export const QUICK_SCENARIOS = ['put-4k', 'get-4k', 'put-64m', 'get-64m', 'list-10k']

export function selectGroups(opts: Pick<BenchOptions, 'scenarios' | 'quick'>): ScenarioGroup[] {
  const wanted = (name: string) => {
    if (opts.scenarios.length) return opts.scenarios.some((s) => name.includes(s))
    return opts.quick ? QUICK_SCENARIOS.includes(name) : true
  }
  const out: ScenarioGroup[] = []
  for (const g of GROUPS) {
    const scenarios = g.scenarios.filter((s) => wanted(s.name))
    if (scenarios.length === 0) continue
    // GET/HEAD/DELETE need the objects a PUT makes: a selected reader brings its group's PUT.
    const needsPut = scenarios.some((s) => s.op === 'get' || s.op === 'head' || s.op === 'delete')
    const put = g.scenarios.find((s) => s.op === 'put')
    if (needsPut && put && !scenarios.includes(put)) scenarios.unshift(put)
    out.push({ ...g, scenarios })
  }
  return out
}

export function concurrencyFor(g: ScenarioGroup, levels: readonly number[]): number[] {
  const within = levels.filter((c) => c <= g.maxConcurrency)
  return within.length ? within : [Math.min(...levels)]
}

export function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`
}
