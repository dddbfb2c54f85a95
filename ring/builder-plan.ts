// The failure-domain tree (region > zone > server ip > device) and the replica plan of
// Swift's RingBuilder: how many replicas (in "replicanths", fractions of one replica per
// partition) each tier should hold. Three views, as in Swift:
//   weighted — by weight alone, each device capped at one replica per partition;
//   wanted   — as dispersed as the device counts allow (unique-as-possible), then by weight;
//   target   — weighted moved toward wanted by at most `overload` (Swift's overload factor).
// The plan's min/max per tier (floor/ceil of target) bound how many replicas of one partition
// a tier may hold; rebalance.ts places and gathers against them. All per-tier, never per-part.
import { BuilderError } from './builder-errors.ts'

export interface PlanDevice {
  id: number
  region: number
  zone: number
  ip: string
  weight: number
}

export interface TierTree {
  count: number
  /** 0 root, 1 region, 2 zone, 3 server, 4 device. */
  depth: Uint8Array
  parent: Int32Array
  /** Tuple naming the tier, as Swift's: [region, zone, ip, devId] truncated to depth. */
  key: (number | string)[][]
  /** Children of every tier, all devices counted (zero-weight ones too). */
  children: number[][]
  /** Children holding some weight: the tree Swift plans over. */
  weightedChildren: number[][]
  weight: Float64Array
  /** Devices with weight under each tier. */
  numDevices: Int32Array
  /** devTier[devId * 4 + depth - 1]: the device's tier at that depth, -1 for a missing device. */
  devTier: Int32Array
  /** For device tiers, the device id; -1 otherwise. */
  leafDev: Int32Array
}

function compareKeys(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as number | string
    const y = b[i] as number | string
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    return String(x) < String(y) ? -1 : 1
  }
  return a.length - b.length
}

/** Builds the tree over every present device; `devs` is indexed by id, holes null. */
export function buildTierTree(devs: readonly (PlanDevice | null)[]): TierTree {
  const index = new Map<string, number>()
  const key: (number | string)[][] = [[]]
  const parentList: number[] = [-1]
  const devTier = new Int32Array(devs.length * 4).fill(-1)
  const sorted = devs.filter((d): d is PlanDevice => d !== null)
    .sort((a, b) => compareKeys([a.region, a.zone, a.ip, a.id], [b.region, b.zone, b.ip, b.id]))
  for (const dev of sorted) {
    const path: (number | string)[] = [dev.region, dev.zone, dev.ip, dev.id]
    let parent = 0
    for (let d = 1; d <= 4; d++) {
      const k = path.slice(0, d)
      const s = JSON.stringify(k)
      let t = index.get(s)
      if (t === undefined) {
        t = key.length
        index.set(s, t)
        key.push(k)
        parentList.push(parent)
      }
      devTier[dev.id * 4 + d - 1] = t
      parent = t
    }
  }
  const count = key.length
  const depth = new Uint8Array(count)
  const parent = Int32Array.from(parentList)
  const children: number[][] = Array.from({ length: count }, () => [])
  const leafDev = new Int32Array(count).fill(-1)
  for (let t = 1; t < count; t++) {
    depth[t] = (key[t] as unknown[]).length
    ;(children[parent[t] as number] as number[]).push(t)
    if (depth[t] === 4) leafDev[t] = (key[t] as number[])[3] as number
  }
  const weight = new Float64Array(count)
  const numDevices = new Int32Array(count)
  for (const dev of sorted) {
    if (!(dev.weight > 0)) continue
    numDevices[0] = (numDevices[0] as number) + 1
    weight[0] = (weight[0] as number) + dev.weight
    for (let d = 0; d < 4; d++) {
      const t = devTier[dev.id * 4 + d] as number
      weight[t] = (weight[t] as number) + dev.weight
      numDevices[t] = (numDevices[t] as number) + 1
    }
  }
  const weightedChildren = children.map((cs) => cs.filter((c) => (numDevices[c] as number) > 0))
  return { count, depth, parent, key, children, weightedChildren, weight, numDevices, devTier, leafDev }
}

/**
 * Most replicas of one partition each tier may hold if spread evenly over the weighted tree:
 * `bound(parent / siblings)`, a device never more than one. With Math.ceil this is what the
 * dispersion figures call "max"; without a bound it is the even share.
 */
export function maxReplicasByTier(tree: TierTree, replicas: number, bound: (x: number) => number = Math.ceil): Float64Array {
  const out = new Float64Array(tree.count)
  const walk = (t: number, r: number): void => {
    out[t] = tree.depth[t] === 4 ? Math.min(1, r) : r
    const cs = tree.weightedChildren[t] as number[]
    for (const c of cs) walk(c, bound((out[t] as number) / cs.length))
  }
  walk(0, replicas)
  return out
}

/** Replicanths by weight alone: each device weight-proportional, capped at 1, excess spread on. */
export function weightedReplicasByTier(tree: TierTree, devs: readonly (PlanDevice | null)[], replicas: number): Float64Array {
  const total = tree.weight[0] as number
  if (!(total > 0)) throw new BuilderError('EEMPTYRING', 'There are no devices in this ring, or all devices have been deleted')
  const share = new Map<number, number>()
  let room: number[] = []
  for (const dev of devs) {
    if (!dev || !(dev.weight > 0)) continue
    const r = (dev.weight * replicas) / total
    share.set(dev.id, Math.min(1, r))
    if (r < 1) room.push(dev.id)
  }
  for (let guard = 0; guard < 1000; guard++) {
    let sum = 0
    for (const v of share.values()) sum += v
    const remaining = replicas - sum
    if (remaining < 1e-10) break
    room = room.filter((id) => (share.get(id) as number) < 1)
    let roomSum = 0
    for (const id of room) roomSum += share.get(id) as number
    if (roomSum <= 0) break
    const rel = remaining / roomSum
    for (const id of room) share.set(id, Math.min(1, (share.get(id) as number) * (rel + 1)))
  }
  const out = new Float64Array(tree.count)
  for (const [id, r] of share) {
    out[0] = (out[0] as number) + r
    for (let d = 0; d < 4; d++) {
      const t = tree.devTier[id * 4 + d] as number
      out[t] = (out[t] as number) + r
    }
  }
  return out
}

/**
 * Replicanths for the most even dispersion: each tier's share of its parent, bounded below and
 * above by floor/ceil of the even share (so no zone takes two replicas while another zone
 * could take one), distributed by weight inside those bounds; tiers too small in devices get
 * only what they can hold.
 */
export function wantedReplicasByTier(tree: TierTree, weighted: Float64Array, replicas: number): Float64Array {
  const even = maxReplicasByTier(tree, replicas, (x) => x)
  const wanted = new Float64Array(tree.count)
  const place = (tier: number, replicanths: number): void => {
    const nd = tree.numDevices[tier] as number
    if (replicanths > nd + 1e-10) {
      throw new BuilderError('EVALIDATION', `More replicanths (${replicanths}) than devices (${nd}) in tier (${tree.key[tier]?.join(', ')})`)
    }
    wanted[tier] = replicanths
    const subs = tree.weightedChildren[tier] as number[]
    if (subs.length === 0) return
    const toPlace = new Map<number, number>(subs.map((t) => [t, 0]))
    const dmin = (t: number): number => Math.floor(even[t] as number)
    const dmax = (t: number): number => Math.ceil(even[t] as number)
    let remaining = replicanths
    let spread = subs
    let deviceLimited = false
    for (let guard = 0; guard < 10000 && spread.length > 0; guard++) {
      let wsum = 0
      for (const t of spread) wsum += weighted[t] as number
      const rel = wsum > 0 ? remaining / wsum : 0
      for (const t of spread) {
        let r = (toPlace.get(t) as number) + (weighted[t] as number) * rel
        if (r < dmin(t)) r = dmin(t)
        else if (r > dmax(t) && !deviceLimited) r = dmax(t)
        if (r > (tree.numDevices[t] as number)) r = tree.numDevices[t] as number
        toPlace.set(t, r)
      }
      let placed = 0
      for (const v of toPlace.values()) placed += v
      remaining = replicanths - placed
      if (remaining < -1e-10) {
        spread = subs.filter((t) => (toPlace.get(t) as number) > dmin(t))
      } else if (remaining > 1e-10) {
        spread = subs.filter((t) => (tree.numDevices[t] as number) > (toPlace.get(t) as number) && (toPlace.get(t) as number) < dmax(t))
        if (spread.length === 0) {
          deviceLimited = true
          spread = subs.filter((t) => (toPlace.get(t) as number) < (tree.numDevices[t] as number))
        }
      } else {
        break
      }
    }
    for (const t of subs) place(t, toPlace.get(t) as number)
  }
  place(0, replicas)
  return wanted
}

/** The overload needed for full dispersion: the largest relative excess of wanted over weighted. */
export function requiredOverload(tree: TierTree, weighted: Float64Array, wanted: Float64Array): number {
  let max = 0
  for (let t = 1; t < tree.count; t++) {
    if (tree.depth[t] !== 4 || !((tree.numDevices[t] as number) > 0)) continue
    const w = weighted[t] as number
    const required = ((wanted[t] as number) - w) / w
    if (required > max) max = required
  }
  return max
}

export interface ReplicaPlan {
  target: Float64Array
  min: Int32Array
  max: Int32Array
}

/** Target replicanths per tier with overload applied, and their floor/ceil bounds. */
export function buildReplicaPlan(tree: TierTree, devs: readonly (PlanDevice | null)[], replicas: number, overload: number): ReplicaPlan {
  const weighted = weightedReplicasByTier(tree, devs, replicas)
  const wanted = wantedReplicasByTier(tree, weighted, replicas)
  const required = requiredOverload(tree, weighted, wanted)
  let target = wanted
  if (required > 0) {
    const effective = Math.min(overload, required)
    target = new Float64Array(tree.count)
    for (let t = 0; t < tree.count; t++) {
      const w = weighted[t] as number
      target[t] = (((wanted[t] as number) - w) / required) * effective + w
    }
  }
  const min = new Int32Array(tree.count)
  const max = new Int32Array(tree.count)
  for (let t = 0; t < tree.count; t++) {
    if (!((tree.numDevices[t] as number) > 0)) continue
    min[t] = Math.floor((target[t] as number) + 1e-10)
    max[t] = Math.ceil((target[t] as number) - 1e-10)
  }
  return { target, min, max }
}

/**
 * Part-replicas each weighted tier should end up with: `floor(target * parts)` per child of each
 * tier, the remainder handed out one at a time by largest fractional share.
 */
export function partsByTier(tree: TierTree, plan: ReplicaPlan, parts: number, totalSlots: number): Float64Array {
  const out = new Float64Array(tree.count)
  const place = (tier: number, n: number): void => {
    out[tier] = n
    const subs = tree.weightedChildren[tier] as number[]
    if (subs.length === 0) return
    let left = n
    const give = new Map<number, number>()
    for (const t of subs) {
      const g = Math.min(left, Math.floor((plan.target[t] as number) * parts))
      give.set(t, g)
      left -= g
    }
    const order = [...subs].sort((a, b) => {
      const fa = (plan.target[a] as number) * parts - Math.floor((plan.target[a] as number) * parts)
      const fb = (plan.target[b] as number) * parts - Math.floor((plan.target[b] as number) * parts)
      return fb - fa
    })
    for (let i = 0; left > 0; i++, left--) {
      const t = order[i % order.length] as number
      give.set(t, (give.get(t) as number) + 1)
    }
    for (const t of subs) place(t, give.get(t) as number)
  }
  place(0, totalSlots)
  return out
}
