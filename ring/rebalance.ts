// The partition mover behind RingBuilder.rebalance (Swift's RingBuilder.rebalance and its
// _gather_* / _reassign_parts helpers, reimplemented over typed arrays):
//   1. gather part-replicas that must move: new replica slots, replicas on removed devices,
//      replicas in tiers holding more of a partition than the plan's max (zero-weight devices
//      have max 0, so this also drains them);
//   2. gather replicas from overweight devices, first those whose move keeps or improves
//      dispersion, then (later passes) any;
//   3. place each gathered replica by walking down the tree, at each level into the child with
//      the most part-replicas still wanted among those under their plan max.
// A partition is gathered at most once per rebalance and only if it has not moved within
// min_part_hours, except replicas on removed devices, which must go regardless.
import { BuilderError } from './builder-errors.ts'
import type { ReplicaPlan, TierTree } from './builder-plan.ts'

export const NONE_DEV = 0xffff
const MAX_GATHER_PASSES = 3

export interface RebalanceInput {
  parts: number
  r2p2d: Uint16Array[]
  lastPartMoves: Uint8Array
  minPartHours: number
  tree: TierTree
  plan: ReplicaPlan
  /** Per device id: part-replicas it holds (updated in place). */
  devParts: Int32Array
  /** Per device id: part-replicas it still wants, negative when overweight (updated in place). */
  partsWanted: Float64Array
  /** Device ids marked for removal. */
  removeDevs: readonly number[]
  lastGatherStart: number
  random: () => number
}

/** A growable list of (part, replica) to place. */
class Gathered {
  parts = new Uint32Array(1024)
  replicas = new Uint8Array(1024)
  length = 0

  push(part: number, replica: number): void {
    if (this.length === this.parts.length) {
      const p = new Uint32Array(this.length * 2)
      p.set(this.parts)
      this.parts = p
      const r = new Uint8Array(this.length * 2)
      r.set(this.replicas)
      this.replicas = r
    }
    this.parts[this.length] = part
    this.replicas[this.length] = replica
    this.length++
  }

  /**
   * Random order of partitions, each partition's replicas kept together (as Swift shuffles its
   * part -> replicas map): placing a partition's replicas one after another lets each see the
   * others, which keeps tiers with a whole-replica target from running short at the end.
   */
  shuffleByPart(random: () => number, partCount: number): void {
    const rank = new Uint32Array(partCount)
    for (let i = 0; i < partCount; i++) rank[i] = i
    for (let i = partCount - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const x = rank[i] as number
      rank[i] = rank[j] as number
      rank[j] = x
    }
    const start = new Uint32Array(partCount + 1)
    for (let i = 0; i < this.length; i++) {
      const r = rank[this.parts[i] as number] as number
      start[r + 1] = (start[r + 1] as number) + 1
    }
    for (let r = 0; r < partCount; r++) start[r + 1] = (start[r + 1] as number) + (start[r] as number)
    const parts = new Uint32Array(this.length)
    const replicas = new Uint8Array(this.length)
    for (let i = 0; i < this.length; i++) {
      const part = this.parts[i] as number
      const at = start[rank[part] as number] as number
      start[rank[part] as number] = at + 1
      parts[at] = part
      replicas[at] = this.replicas[i] as number
    }
    this.parts = parts
    this.replicas = replicas
  }
}

export class Rebalancer {
  private readonly s: RebalanceInput
  private readonly moved: Uint8Array
  /** Scratch: replicas of the current partition per tier; always reset to zero after use. */
  private readonly atTier: Int32Array
  private gathered = new Gathered()
  lastGatherStart: number

  constructor(input: RebalanceInput) {
    this.s = input
    this.moved = new Uint8Array(input.parts)
    this.atTier = new Int32Array(input.tree.count)
    this.lastGatherStart = input.lastGatherStart
  }

  private canMove(part: number): boolean {
    return (this.s.lastPartMoves[part] as number) >= this.s.minPartHours && this.moved[part] === 0
  }

  private countTiers(part: number, sign: 1 | -1): void {
    const { r2p2d, tree } = this.s
    for (const p2d of r2p2d) {
      if (part >= p2d.length) continue
      const dev = p2d[part] as number
      if (dev === NONE_DEV) continue
      const base = dev * 4
      for (let d = 0; d < 4; d++) {
        const t = tree.devTier[base + d] as number
        this.atTier[t] = (this.atTier[t] as number) + sign
      }
    }
  }

  private take(part: number, replica: number, dev: number): void {
    const { r2p2d, tree } = this.s
    ;(r2p2d[replica] as Uint16Array)[part] = NONE_DEV
    this.s.devParts[dev] = (this.s.devParts[dev] as number) - 1
    this.s.partsWanted[dev] = (this.s.partsWanted[dev] as number) + 1
    for (let d = 0; d < 4; d++) {
      const t = tree.devTier[dev * 4 + d] as number
      this.atTier[t] = (this.atTier[t] as number) - 1
    }
    this.moved[part] = 1
    this.gathered.push(part, replica)
  }

  /** New slots from a replica-count increase: the caller passes the (part, replica) pairs. */
  gatherNewSlot(part: number, replica: number): void {
    this.gathered.push(part, replica)
  }

  /** Every replica on a device marked for removal; returns how many devices were removed. */
  gatherFromRemovedDevices(): void {
    const removing = new Set(this.s.removeDevs.filter((id) => (this.s.devParts[id] as number) > 0))
    if (removing.size === 0) return
    const { r2p2d } = this.s
    for (let replica = 0; replica < r2p2d.length; replica++) {
      const p2d = r2p2d[replica] as Uint16Array
      for (let part = 0; part < p2d.length; part++) {
        const dev = p2d[part] as number
        if (dev === NONE_DEV || !removing.has(dev)) continue
        p2d[part] = NONE_DEV
        this.moved[part] = 1
        this.gathered.push(part, replica)
      }
    }
    for (const id of removing) {
      this.s.devParts[id] = 0
      this.s.partsWanted[id] = 0
    }
  }

  /** Replicas sitting in a tier that holds more of their partition than the plan allows. */
  gatherForDispersion(): void {
    const { parts, r2p2d, tree, plan, partsWanted } = this.s
    const reps: number[] = []
    for (let part = 0; part < parts; part++) {
      if (!this.canMove(part)) continue
      this.countTiers(part, 1)
      reps.length = 0
      for (let replica = 0; replica < r2p2d.length; replica++) {
        const p2d = r2p2d[replica] as Uint16Array
        if (part >= p2d.length) continue
        const dev = p2d[part] as number
        if (dev === NONE_DEV) continue
        for (let d = 0; d < 4; d++) {
          const t = tree.devTier[dev * 4 + d] as number
          if ((this.atTier[t] as number) > (plan.max[t] as number)) {
            reps.push(replica)
            break
          }
        }
      }
      if (reps.length > 0) {
        // The most overweight holder gives its replica up first.
        reps.sort((a, b) => (partsWanted[(r2p2d[a] as Uint16Array)[part] as number] as number) -
          (partsWanted[(r2p2d[b] as Uint16Array)[part] as number] as number))
        for (const replica of reps) {
          const dev = (r2p2d[replica] as Uint16Array)[part] as number
          const leaf = tree.devTier[dev * 4 + 3] as number
          // After one move the partition is locked, unless two replicas share one device.
          if (!this.canMove(part) && !((this.atTier[leaf] as number) > 1)) continue
          this.take(part, replica, dev)
        }
      }
      this.countTiers(part, -1)
    }
  }

  /** Part-replicas still wanted under each tier (devices' positive parts_wanted summed). */
  private wantedByTier(): Float64Array {
    const { tree, partsWanted } = this.s
    const available = new Float64Array(tree.count)
    for (let dev = 0; dev < partsWanted.length; dev++) {
      const w = partsWanted[dev] as number
      if (!(w > 0) || tree.devTier[dev * 4] === -1) continue
      available[0] = (available[0] as number) + w
      for (let d = 0; d < 4; d++) {
        const t = tree.devTier[dev * 4 + d] as number
        available[t] = (available[t] as number) + w
      }
    }
    return available
  }

  /**
   * Walks down from `from` into the child with the most wanted part-replicas among those under
   * their plan max for this partition (atTier holds its current replicas); returns the device
   * tier reached, or -1. With `needWant`, only children that still want parts are considered.
   */
  private findHome(from: number, available: Float64Array, children: number[][], needWant: boolean): number {
    const { tree, plan } = this.s
    let tier = from
    while (tree.depth[tier] !== 4) {
      let best = -1
      let ties = 0
      for (const c of children[tier] as number[]) {
        if ((this.atTier[c] as number) >= (plan.max[c] as number)) continue
        if (needWant && !((available[c] as number) > 0)) continue
        const a = available[c] as number
        if (best === -1 || a > (available[best] as number)) {
          best = c
          ties = 1
        } else if (a === available[best]) {
          // Equal wants: pick uniformly among them, or placements fall into lockstep
          // patterns (the same devices always skipped together).
          ties++
          if (this.s.random() * ties < 1) best = c
        }
      }
      if (best === -1) return -1
      tier = best
    }
    return tier
  }

  private shuffledChildren(): number[][] {
    // Children in random order: ties in "most wanted" go to a random child, not the first.
    return this.s.tree.weightedChildren.map((cs) => {
      const c = [...cs]
      for (let i = c.length - 1; i > 0; i--) {
        const j = Math.floor(this.s.random() * (i + 1))
        const x = c[i] as number
        c[i] = c[j] as number
        c[j] = x
      }
      return c
    })
  }

  private placeOn(part: number, replica: number, leafTier: number, available: Float64Array): void {
    const { tree, partsWanted, devParts, r2p2d } = this.s
    const dev = this.s.tree.leafDev[leafTier] as number
    partsWanted[dev] = (partsWanted[dev] as number) - 1
    devParts[dev] = (devParts[dev] as number) + 1
    available[0] = (available[0] as number) - 1
    for (let d = 0; d < 4; d++) {
      const t = tree.devTier[dev * 4 + d] as number
      available[t] = (available[t] as number) - 1
      this.atTier[t] = (this.atTier[t] as number) + 1
    }
    ;(r2p2d[replica] as Uint16Array)[part] = dev
    this.s.lastPartMoves[part] = 0
  }

  /**
   * Moves replicas straight from overweight devices to devices that want parts, when the plan
   * lets the partition go there; one replica per movable partition. Unlike gathering first and
   * placing later, nothing is picked up that has no better home, so only what must move moves.
   * A replica stays inside the deepest tier whose share of the partition would otherwise fall
   * under the plan's min, and a tier holding its floor of a fractional share keeps it.
   */
  private directMoves(start: number): void {
    const { parts, r2p2d, tree, plan, partsWanted } = this.s
    const available = this.wantedByTier()
    const children = this.shuffledChildren()
    const over: number[] = []
    for (let offset = 0; offset < parts; offset++) {
      if (!(available[0] as number > 0)) break
      const part = (start + offset) % parts
      if (!this.canMove(part)) continue
      over.length = 0
      for (let replica = 0; replica < r2p2d.length; replica++) {
        const p2d = r2p2d[replica] as Uint16Array
        if (part >= p2d.length) continue
        const dev = p2d[part] as number
        if (dev !== NONE_DEV && (partsWanted[dev] as number) < 0) over.push(replica)
      }
      if (over.length === 0) continue
      this.countTiers(part, 1)
      if (over.length > 1) {
        over.sort((a, b) => (partsWanted[(r2p2d[a] as Uint16Array)[part] as number] as number) -
          (partsWanted[(r2p2d[b] as Uint16Array)[part] as number] as number))
      }
      for (const replica of over) {
        const dev = (r2p2d[replica] as Uint16Array)[part] as number
        const base = dev * 4
        let stuck = false
        for (let d = 0; d < 4 && !stuck; d++) {
          const t = tree.devTier[base + d] as number
          const n = this.atTier[t] as number
          if ((plan.min[t] as number) <= n && n < (plan.max[t] as number)) stuck = true
        }
        if (stuck) continue
        let within = 0
        for (let d = 3; d >= 0; d--) {
          const t = tree.devTier[base + d] as number
          if ((this.atTier[t] as number) - 1 < (plan.min[t] as number)) {
            within = t
            break
          }
        }
        if (tree.depth[within] === 4 || !((available[within] as number) > 0)) continue
        for (let d = 0; d < 4; d++) {
          const t = tree.devTier[base + d] as number
          this.atTier[t] = (this.atTier[t] as number) - 1
        }
        const home = this.findHome(within, available, children, true)
        if (home === -1) {
          // Nowhere better for this partition: it stays.
          for (let d = 0; d < 4; d++) {
            const t = tree.devTier[base + d] as number
            this.atTier[t] = (this.atTier[t] as number) + 1
          }
          continue
        }
        this.s.devParts[dev] = (this.s.devParts[dev] as number) - 1
        partsWanted[dev] = (partsWanted[dev] as number) + 1
        this.moved[part] = 1
        this.placeOn(part, replica, home, available)
        break
      }
      this.countTiers(part, -1)
    }
  }

  /** One replica per movable partition from its most overweight holder, wherever it lands. */
  private gatherForBalanceForced(start: number): void {
    const { parts, r2p2d, partsWanted } = this.s
    for (let offset = 0; offset < parts; offset++) {
      const part = (start + offset) % parts
      if (!this.canMove(part)) continue
      let best = -1
      let bestWanted = 0
      for (let replica = 0; replica < r2p2d.length; replica++) {
        const p2d = r2p2d[replica] as Uint16Array
        if (part >= p2d.length) continue
        const dev = p2d[part] as number
        if (dev === NONE_DEV) continue
        const w = partsWanted[dev] as number
        if (w < 0 && (best === -1 || w < bestWanted)) {
          best = replica
          bestWanted = w
        }
      }
      if (best === -1) continue
      const dev = (r2p2d[best] as Uint16Array)[part] as number
      this.countTiers(part, 1)
      this.take(part, best, dev)
      this.countTiers(part, -1)
    }
  }

  /** Places everything gathered so far; throws when a replica has nowhere to go. */
  private reassign(): void {
    const available = this.wantedByTier()
    const children = this.shuffledChildren()
    const g = this.gathered
    for (let i = 0; i < g.length; i++) {
      const part = g.parts[i] as number
      const replica = g.replicas[i] as number
      this.countTiers(part, 1)
      const home = this.findHome(0, available, children, false)
      if (home === -1) {
        this.countTiers(part, -1)
        throw new BuilderError('EVALIDATION', `no home for partition ${part} replica ${replica}`)
      }
      this.placeOn(part, replica, home, available)
      this.countTiers(part, -1)
    }
    this.gathered = new Gathered()
  }

  private anyOverweight(): boolean {
    const { partsWanted, tree } = this.s
    for (let dev = 0; dev < partsWanted.length; dev++) {
      if (tree.devTier[dev * 4] !== -1 && (partsWanted[dev] as number) < 0) return true
    }
    return false
  }

  /**
   * Places what was gathered, then moves replicas from overweight devices straight to where
   * they are wanted, then (a few passes) forces replicas off still-overweight devices.
   */
  balance(): void {
    const parts = this.s.parts
    // Start each sweep somewhere else, so repeated rebalances do not always take the low
    // partition numbers.
    const nextStart = (): number => {
      this.lastGatherStart = (this.lastGatherStart + Math.floor(parts / 4) +
        Math.floor(this.s.random() * (Math.floor(parts / 2) + 1))) % parts
      return this.lastGatherStart
    }
    if (this.gathered.length > 0) {
      this.gathered.shuffleByPart(this.s.random, parts)
      this.reassign()
    }
    this.directMoves(nextStart())
    for (let pass = 0; pass < MAX_GATHER_PASSES && this.anyOverweight(); pass++) {
      this.gatherForBalanceForced(nextStart())
      if (this.gathered.length === 0) break
      this.gathered.shuffleByPart(this.s.random, parts)
      this.reassign()
    }
  }
}
