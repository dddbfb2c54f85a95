// The ring builder (Swift's swift/common/ring/builder.py RingBuilder): devices with their
// weights and failure domains, the partition assignment as one Uint16Array per replica, and
// per-partition "hours since last move" as one Uint8Array. Device edits only record intent;
// rebalance() (rebalance.ts, planned by builder-plan.ts) moves partitions.
import { BuilderError } from './builder-errors.ts'
import { buildReplicaPlan, buildTierTree, partsByTier, requiredOverload, wantedReplicasByTier, weightedReplicasByTier } from './builder-plan.ts'
import type { TierTree } from './builder-plan.ts'
import { buildDispersionGraph } from './dispersion.ts'
import type { DispersionGraph } from './dispersion.ts'
import { NONE_DEV, Rebalancer } from './rebalance.ts'
import { deviceMatches } from './device-parse.ts'
import type { NewDevice, SearchValues } from './device-parse.ts'
import { seededRandom } from './seeded-random.ts'
import type { RingData, RingDevice } from './types.ts'

export const MAX_BALANCE = 999.99
export { NONE_DEV }

/** A device as the builder keeps it: the ring's fields plus the part-replicas it holds. */
export interface BuilderDevice extends RingDevice {
  parts: number
}

export interface RebalanceResult {
  /** Replica slots whose device changed. */
  changedParts: number
  balance: number
  removedDevices: number
}

/** Everything persisted; builder-file.ts writes it. */
export interface BuilderState {
  partPower: number
  nextPartPower: number | null
  replicas: number
  minPartHours: number
  devs: (BuilderDevice | null)[]
  devsChanged: boolean
  version: number
  overload: number
  id: string | null
  replica2part2dev: Uint16Array[] | null
  lastPartMoves: Uint8Array
  lastPartMovesEpoch: number
  lastPartGatherStart: number
  dispersion: number | null
  removeDevs: number[]
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

export function validateCreateArgs(partPower: number, replicas: number, minPartHours: number): void {
  if (!Number.isInteger(partPower) || partPower < 1 || partPower > 32) {
    throw new BuilderError('EINVALIDVALUE', `part_power must be an integer from 1 to 32 (was ${partPower})`)
  }
  if (!Number.isFinite(replicas) || replicas < 1) {
    throw new BuilderError('EINVALIDVALUE', `replicas must be at least 1 (was ${replicas})`)
  }
  if (!Number.isInteger(minPartHours) || minPartHours < 0) {
    throw new BuilderError('EINVALIDVALUE', `min_part_hours must be a non-negative integer (was ${minPartHours})`)
  }
}

export class RingBuilder implements BuilderState {
  partPower: number
  nextPartPower: number | null = null
  replicas: number
  minPartHours: number
  devs: (BuilderDevice | null)[] = []
  devsChanged = false
  version = 0
  overload = 0
  id: string | null = null
  replica2part2dev: Uint16Array[] | null = null
  lastPartMoves: Uint8Array
  lastPartMovesEpoch = 0
  lastPartGatherStart = 0
  dispersion: number | null = 0
  removeDevs: number[] = []

  constructor(partPower: number, replicas: number, minPartHours: number) {
    validateCreateArgs(partPower, replicas, minPartHours)
    if (partPower > 24) {
      // 2^32 partitions would need 8 GiB per replica; Swift allows it, memory does not.
      throw new BuilderError('EINVALIDVALUE', `part_power ${partPower} is too large for this builder (at most 24)`)
    }
    this.partPower = partPower
    this.replicas = replicas
    this.minPartHours = minPartHours
    this.lastPartMoves = new Uint8Array(2 ** partPower)
  }

  static fromState(state: BuilderState): RingBuilder {
    const b = new RingBuilder(state.partPower, state.replicas, state.minPartHours)
    Object.assign(b, state)
    return b
  }

  get parts(): number {
    return 2 ** this.partPower
  }

  get partShift(): number {
    return 32 - this.partPower
  }

  get everRebalanced(): boolean {
    return this.replica2part2dev !== null
  }

  *iterDevs(): Generator<BuilderDevice> {
    for (const d of this.devs) if (d) yield d
  }

  private device(id: number): BuilderDevice {
    const dev = this.devs[id]
    if (!dev) throw new BuilderError('ENODEV', `No device with id ${id}`)
    return dev
  }

  private assertNotRemoving(id: number, what: string): void {
    if (this.removeDevs.includes(id)) {
      throw new BuilderError('EINVALIDVALUE', `Can not set ${what} of dev_id ${id} because it is marked for removal`)
    }
  }

  /** Adds a device (id: the first hole, or the next id) and returns its id. */
  addDev(dev: NewDevice & { id?: number }): number {
    if (!(dev.weight >= 0) || !Number.isFinite(dev.weight)) {
      throw new BuilderError('EINVALIDVALUE', `Invalid weight value: ${dev.weight}`)
    }
    for (const other of this.iterDevs()) {
      if (other.ip === dev.ip && other.port === dev.port && other.device === dev.device) {
        throw new BuilderError('EDUPLICATEDEV', `Device ${other.id} already uses ${other.ip}:${other.port}/${other.device}.`)
      }
    }
    let id = dev.id
    if (id === undefined) {
      const hole = this.devs.indexOf(null)
      id = hole === -1 ? this.devs.length : hole
    }
    if (id >= NONE_DEV) throw new BuilderError('EINVALIDVALUE', `Device id ${id} is too large (at most ${NONE_DEV - 1})`)
    if (this.devs[id]) throw new BuilderError('EDUPLICATEDEV', `Duplicate device id: ${id}`)
    while (this.devs.length <= id) this.devs.push(null)
    this.devs[id] = {
      id, region: dev.region, zone: dev.zone, ip: dev.ip, port: dev.port,
      replication_ip: dev.replication_ip, replication_port: dev.replication_port,
      device: dev.device, weight: dev.weight, meta: dev.meta ?? '', parts: 0,
    }
    this.devsChanged = true
    this.version++
    return id
  }

  setDevWeight(id: number, weight: number): void {
    this.assertNotRemoving(id, 'weight')
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new BuilderError('EINVALIDVALUE', `Invalid weight value: ${weight}`)
    this.device(id).weight = weight
    this.devsChanged = true
    this.version++
  }

  setDevRegion(id: number, region: number): void {
    this.assertNotRemoving(id, 'region')
    this.device(id).region = region
    this.devsChanged = true
    this.version++
  }

  setDevZone(id: number, zone: number): void {
    this.assertNotRemoving(id, 'zone')
    this.device(id).zone = zone
    this.devsChanged = true
    this.version++
  }

  /** Marks a device for removal: weight 0 now, gone (its partitions moved) at the next rebalance. */
  removeDev(id: number): void {
    const dev = this.device(id)
    dev.weight = 0
    if (!this.removeDevs.includes(id)) this.removeDevs.push(id)
    this.devsChanged = true
    this.version++
  }

  setReplicas(replicas: number): void {
    if (!Number.isFinite(replicas) || replicas < 1) throw new BuilderError('EINVALIDVALUE', 'Replica count must be at least 1.')
    if (Math.trunc(this.parts * this.replicas) !== Math.trunc(this.parts * replicas)) this.devsChanged = true
    this.replicas = replicas
  }

  setOverload(overload: number): void {
    if (!Number.isFinite(overload) || overload < 0) throw new BuilderError('EINVALIDVALUE', 'Overload must be non-negative.')
    this.overload = overload
  }

  changeMinPartHours(hours: number): void {
    if (!Number.isInteger(hours) || hours < 0) throw new BuilderError('EINVALIDVALUE', `min_part_hours must be a non-negative integer (was ${hours})`)
    this.minPartHours = hours
  }

  get minPartSecondsLeft(): number {
    const elapsed = nowSeconds() - this.lastPartMovesEpoch
    return Math.max(this.minPartHours * 3600 - elapsed, 0)
  }

  /** Lets the next rebalance move any partition, as if min_part_hours had passed for all. */
  pretendMinPartHoursPassed(): void {
    this.lastPartMovesEpoch = 0
    this.lastPartMoves.fill(0xff)
  }

  private updateLastPartMoves(): void {
    const elapsedHours = Math.floor((nowSeconds() - this.lastPartMovesEpoch) / 3600)
    if (elapsedHours <= 0) return
    const lpm = this.lastPartMoves
    for (let p = 0; p < lpm.length; p++) lpm[p] = Math.min((lpm[p] as number) + elapsedHours, 0xff)
    this.lastPartMovesEpoch = nowSeconds()
  }

  weightOfOnePart(): number {
    let total = 0
    for (const d of this.iterDevs()) total += d.weight
    if (!(total > 0)) throw new BuilderError('EEMPTYRING', 'There are no devices in this ring, or all devices have been deleted')
    return (this.parts * this.replicas) / total
  }

  /** Percent by which each device's parts differ from its weight's share (MAX_BALANCE for a zero-weight device holding parts). */
  balancePerDev(): Map<number, number> {
    const wop = this.weightOfOnePart()
    const out = new Map<number, number>()
    for (const d of this.iterDevs()) {
      if (!d.weight) out.set(d.id, d.parts ? MAX_BALANCE : 0)
      else out.set(d.id, (100 * d.parts) / (d.weight * wop) - 100)
    }
    return out
  }

  getBalance(): number {
    let worst = 0
    for (const b of this.balancePerDev().values()) worst = Math.max(worst, Math.abs(b))
    return worst
  }

  tierTree(): TierTree {
    return buildTierTree(this.devs)
  }

  getRequiredOverload(): number {
    const tree = this.tierTree()
    const weighted = weightedReplicasByTier(tree, this.devs, this.replicas)
    return requiredOverload(tree, weighted, wantedReplicasByTier(tree, weighted, this.replicas))
  }

  dispersionGraph(): DispersionGraph {
    if (!this.replica2part2dev) throw new BuilderError('EVALIDATION', 'The builder has not been rebalanced yet')
    return buildDispersionGraph(this.tierTree(), this.replica2part2dev, this.parts, this.replicas)
  }

  searchDevs(search: SearchValues): BuilderDevice[] {
    return [...this.iterDevs()].filter((d) => deviceMatches(d, search))
  }

  rebalance(seed?: string | number): RebalanceResult {
    let weighted = 0
    for (const d of this.iterDevs()) if (d.weight > 0) weighted++
    if (weighted < this.replicas) {
      throw new BuilderError('EVALIDATION', `Replica count of ${this.replicas} requires more than ${weighted} devices`)
    }
    const random = seededRandom(seed)
    const old = this.replica2part2dev ? this.replica2part2dev.map((a) => a.slice()) : null
    this.updateLastPartMoves()
    const tree = this.tierTree()
    const plan = buildReplicaPlan(tree, this.devs, this.replicas, this.overload)
    const devCount = this.devs.length
    const devParts = new Int32Array(devCount)
    for (const d of this.iterDevs()) devParts[d.id] = d.parts
    const r2p2d = this.resizeAssignment(devParts)
    const slots = partsByTier(tree, plan, this.parts, Math.trunc(this.replicas * this.parts))
    const partsWanted = new Float64Array(devCount)
    for (const d of this.iterDevs()) {
      partsWanted[d.id] = d.weight > 0
        ? (slots[tree.devTier[d.id * 4 + 3] as number] as number) - (devParts[d.id] as number)
        : -this.parts * this.replicas
    }
    const rb = new Rebalancer({
      parts: this.parts, r2p2d, lastPartMoves: this.lastPartMoves, minPartHours: this.minPartHours,
      tree, plan, devParts, partsWanted, removeDevs: this.removeDevs,
      lastGatherStart: this.lastPartGatherStart, random,
    })
    for (let replica = 0; replica < r2p2d.length; replica++) {
      const p2d = r2p2d[replica] as Uint16Array
      for (let part = 0; part < p2d.length; part++) if (p2d[part] === NONE_DEV) rb.gatherNewSlot(part, replica)
    }
    rb.gatherFromRemovedDevices()
    const removedDevices = this.removeDevs.length
    for (const id of this.removeDevs) this.devs[id] = null
    this.removeDevs = []
    rb.gatherForDispersion()
    rb.balance()
    this.lastPartGatherStart = rb.lastGatherStart
    for (const d of this.iterDevs()) d.parts = devParts[d.id] as number
    this.replica2part2dev = r2p2d
    this.devsChanged = false
    const graph = buildDispersionGraph(tree, r2p2d, this.parts, this.replicas, old ?? [])
    this.dispersion = graph.dispersion
    this.version++
    return { changedParts: graph.changedParts, balance: this.getBalance(), removedDevices }
  }

  /** Makes one array per whole replica plus a shorter one for a fraction; new slots hold NONE_DEV. */
  private resizeAssignment(devParts: Int32Array): Uint16Array[] {
    const whole = Math.trunc(this.replicas)
    const fraction = this.replicas - whole
    const lengths: number[] = new Array(whole).fill(this.parts)
    if (fraction > 0) lengths.push(Math.trunc(this.parts * fraction))
    const current = this.replica2part2dev ?? []
    const lose = (arr: Uint16Array, from: number): void => {
      for (let p = from; p < arr.length; p++) {
        const dev = arr[p] as number
        if (dev !== NONE_DEV) devParts[dev] = (devParts[dev] as number) - 1
      }
    }
    for (const extra of current.slice(lengths.length)) lose(extra, 0)
    return lengths.map((len, replica) => {
      const have = current[replica]
      if (!have) return new Uint16Array(len).fill(NONE_DEV)
      if (have.length === len) return have
      if (have.length > len) {
        lose(have, len)
        return have.slice(0, len)
      }
      const grown = new Uint16Array(len).fill(NONE_DEV)
      grown.set(have)
      return grown
    })
  }

  /** Checks the invariants Swift's validate() checks; with stats, also returns parts per device and the worst skew. */
  validate(stats = false): { devUsage: Map<number, number>; worst: number } | null {
    const r2p2d = this.replica2part2dev
    if (!r2p2d || r2p2d.length === 0) throw new BuilderError('EVALIDATION', '_replica2part2dev empty; did you forget to rebalance?')
    let onDevs = 0
    for (const d of this.iterDevs()) onDevs += d.parts
    let inMap = 0
    for (const a of r2p2d) inMap += a.length
    if (onDevs !== inMap) throw new BuilderError('EVALIDATION', `All partitions are not double accounted for: ${onDevs} != ${inMap}`)
    const usage = new Int32Array(this.devs.length)
    const whole = Math.ceil(this.replicas)
    for (let replica = 0; replica < r2p2d.length; replica++) {
      const a = r2p2d[replica] as Uint16Array
      if (a.length < this.parts && replica + 1 < whole) {
        throw new BuilderError('EVALIDATION', `The partition assignments of replica ${replica} were shorter than expected (${a.length} < ${this.parts}) - this should only happen for the last replica`)
      }
      for (let part = 0; part < a.length; part++) {
        const dev = a[part] as number
        if (dev >= this.devs.length || !this.devs[dev]) {
          throw new BuilderError('EVALIDATION', `Partition ${part}, replica ${replica} was not allocated to a device.`)
        }
        usage[dev] = (usage[dev] as number) + 1
        for (let other = 0; other < replica; other++) {
          const o = r2p2d[other] as Uint16Array
          if (part < o.length && o[part] === dev) {
            throw new BuilderError('EVALIDATION', `The partition ${part} has been assigned to duplicate devices ${JSON.stringify(r2p2d.filter((x) => part < x.length).map((x) => x[part]))}`)
          }
        }
      }
    }
    for (const d of this.iterDevs()) {
      if (!Number.isInteger(d.port)) throw new BuilderError('EVALIDATION', `Device ${d.id} has port ${d.port}, which is not an integer.`)
    }
    if (!stats) return null
    const wop = this.weightOfOnePart()
    let worst = 0
    const devUsage = new Map<number, number>()
    for (const d of this.iterDevs()) {
      const used = usage[d.id] as number
      devUsage.set(d.id, used)
      if (!d.weight) {
        if (used) worst = MAX_BALANCE
        continue
      }
      if (worst === MAX_BALANCE) continue
      worst = Math.max(worst, Math.abs((100 * used) / (d.weight * wop) - 100))
    }
    return { devUsage, worst }
  }

  /** The distributable ring: devices (holes kept, builder-only fields dropped) and a copy of the assignment. */
  getRing(): RingData {
    const devs: (RingDevice | null)[] = this.devs.map((d) => {
      if (!d) return null
      const { parts: _parts, ...ringDev } = d
      return ringDev
    })
    return {
      devs,
      replica2part2dev: this.replica2part2dev ? this.replica2part2dev.map((a) => a.slice()) : [],
      partShift: this.partShift,
      nextPartPower: this.nextPartPower ?? undefined,
      version: this.version,
    }
  }
}
