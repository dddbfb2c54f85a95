// Dispersion as Swift's builder reports it (RingBuilder._build_dispersion_graph and
// ring/utils.py dispersion_report): for every tier, how many partitions have 0, 1, 2...
// replicas in it; a part-replica is "at risk" when its tier holds more replicas of the
// partition than an even spread allows (ceil(replicas / siblings) down the tree, a device
// never more than one). The ring's dispersion is the percentage of part-replicas at risk,
// each partition counted once at its worst depth.
import { NONE_DEV } from './rebalance.ts'
import { maxReplicasByTier } from './builder-plan.ts'
import type { TierTree } from './builder-plan.ts'

export interface DispersionGraph {
  /** graph[tier][n] = partitions with n replicas in that tier; null for tiers holding none. */
  graph: (Int32Array | null)[]
  /** Allowed replicas per tier (0 for tiers without weight). */
  maxAllowed: Float64Array
  dispersion: number
  /** Replica slots that differ from `previous` (when given). */
  changedParts: number
}

export function buildDispersionGraph(tree: TierTree, r2p2d: readonly Uint16Array[], parts: number,
  replicas: number, previous?: readonly Uint16Array[] | null): DispersionGraph {
  const maxAllowed = maxReplicasByTier(tree, replicas)
  const width = Math.ceil(replicas) + 1
  const graph: (Int32Array | null)[] = new Array(tree.count).fill(null)
  const atTier = new Int32Array(tree.count)
  const touched: number[] = []
  const riskAtDepth = new Float64Array(5)
  let atRisk = 0
  let changedParts = 0
  for (let part = 0; part < parts; part++) {
    touched.length = 0
    for (let replica = 0; replica < r2p2d.length; replica++) {
      const p2d = r2p2d[replica] as Uint16Array
      if (part >= p2d.length) continue
      const dev = p2d[part] as number
      if (previous) {
        const old = previous[replica]
        if (!old || part >= old.length || old[part] !== dev) changedParts++
      }
      if (dev === NONE_DEV) continue
      for (let d = 0; d < 4; d++) {
        const t = tree.devTier[dev * 4 + d] as number
        if (t < 0) continue
        if (atTier[t] === 0) touched.push(t)
        atTier[t] = (atTier[t] as number) + 1
      }
    }
    riskAtDepth.fill(0)
    for (const t of touched) {
      const n = atTier[t] as number
      atTier[t] = 0
      let row = graph[t]
      if (!row) {
        row = new Int32Array(width)
        row[0] = parts
        graph[t] = row
      }
      row[0] = (row[0] as number) - 1
      row[n] = (row[n] as number) + 1
      const allowed = maxAllowed[t] as number
      if (n > allowed) {
        const d = tree.depth[t] as number
        riskAtDepth[d] = (riskAtDepth[d] as number) + n - allowed
      }
    }
    let worst = 0
    for (let d = 1; d <= 4; d++) if ((riskAtDepth[d] as number) > worst) worst = riskAtDepth[d] as number
    atRisk += worst
  }
  return { graph, maxAllowed, dispersion: (100 * atRisk) / (parts * replicas), changedParts }
}

export interface TierReport {
  name: string
  maxReplicas: number
  placedParts: number
  dispersion: number
  replicas: number[]
}

export interface DispersionReport {
  maxDispersion: number
  worstTier: string | null
  rows: TierReport[]
}

/** Swift's tier names: r1, r1z2, r1z2-10.0.0.1, r1z2-10.0.0.1/sdb1. */
export function tierName(key: readonly (number | string)[], deviceName: (id: number) => string): string {
  const [r, z, ip, id] = key
  if (key.length === 1) return `r${r}`
  if (key.length === 2) return `r${r}z${z}`
  if (key.length === 3) return `r${r}z${z}-${ip}`
  return `r${r}z${z}-${ip}/${deviceName(id as number)}`
}

/** Per-tier rows (sorted as Swift sorts tier tuples), optionally filtered by a regex anchored at the start. */
export function dispersionReport(tree: TierTree, g: DispersionGraph, deviceName: (id: number) => string,
  filter?: string): DispersionReport {
  const re = filter === undefined ? undefined : new RegExp(`^(?:${filter})`)
  const tiers: number[] = []
  for (let t = 1; t < tree.count; t++) if (g.graph[t]) tiers.push(t)
  // tree ids follow sorted device order per depth; sort by key tuple, shallower first on ties.
  tiers.sort((a, b) => compareTuple(tree.key[a] as (number | string)[], tree.key[b] as (number | string)[]))
  let maxDispersion = 0
  let worstTier: string | null = null
  const rows: TierReport[] = []
  for (const t of tiers) {
    const name = tierName(tree.key[t] as (number | string)[], deviceName)
    if (re && !re.test(name)) continue
    const counts = Array.from(g.graph[t] as Int32Array)
    const maxReplicas = Math.trunc(g.maxAllowed[t] as number)
    let risk = 0
    let placed = 0
    for (let i = 1; i < counts.length; i++) {
      placed += (counts[i] as number) * i
      if (i > maxReplicas) risk += (counts[i] as number) * (i - maxReplicas)
    }
    const dispersion = placed > 0 ? (100 * risk) / placed : 0
    if (dispersion > maxDispersion) {
      maxDispersion = dispersion
      worstTier = name
    }
    rows.push({ name, maxReplicas, placedParts: placed, dispersion, replicas: counts })
  }
  return { maxDispersion, worstTier, rows }
}

function compareTuple(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as number | string
    const y = b[i] as number | string
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    return String(x) < String(y) ? -1 : 1
  }
  return a.length - b.length
}
