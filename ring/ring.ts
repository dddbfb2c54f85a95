// Ring lookups, behaving as Swift's swift/common/ring/ring.py Ring: partition of a path,
// primary nodes of a partition, and the handoff order. The handoff order must match Swift's
// exactly: a proxy and a replicator (Tern's or Swift's) looking for the same data on the
// same ring have to visit the same handoff devices in the same order.
import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import type { HashPathSecrets } from '../common/hash-path.ts'
import { hashPathDigest } from '../common/hash-path.ts'
import { readRingFileSync, replicaCountOf } from './io.ts'
import type { RingData, RingDevice, RingHandoffNode, RingNode } from './types.ts'

/** Seconds between checks of the ring file's mtime (Swift's DEFAULT_RELOAD_TIME). */
export const DEFAULT_RELOAD_TIME = 15

export interface RingOptions {
  /** The cluster's hash path prefix/suffix (swift.conf [swift-hash]). */
  secrets: HashPathSecrets
  /** Seconds between mtime checks of the ring file; default 15. */
  reloadTime?: number
  /** Clock in milliseconds, for tests. */
  now?: () => number
}

/** Partition of a 32-bit hash prefix; JavaScript's >>> 32 would be a no-op, Swift's >> 32 is 0. */
function shiftPartition(value: number, partShift: number): number {
  return partShift >= 32 ? 0 : value >>> partShift
}

export class Ring {
  readonly path: string | undefined
  readonly reloadTime: number
  private readonly secrets: HashPathSecrets
  private readonly now: () => number
  private nextCheck = 0
  /** Why the last background reload failed (the previous ring stays in use); undefined if it did not. */
  lastReloadError: Error | undefined
  private mtimeNs: bigint | undefined
  private devs: (RingDevice | null)[] = []
  private replica2part2dev: Uint16Array[] = []
  private partShift = 32
  private _nextPartPower: number | undefined
  private _version: number | undefined
  /** Per device id: its region, zone and server keys, computed once per load. */
  private tiers: (DeviceTiers | undefined)[] = []
  private numRegions = 0
  private numZones = 0
  private numIps = 0
  private numDevs = 0
  private numAssignedDevs = 0
  private numWeightedDevs = 0

  private constructor(path: string | undefined, options: RingOptions) {
    this.path = path
    this.secrets = options.secrets
    this.reloadTime = options.reloadTime ?? DEFAULT_RELOAD_TIME
    this.now = options.now ?? Date.now
  }

  /** Loads `path` (a ring.gz); later lookups reload it when its mtime changes. */
  static load(path: string, options: RingOptions): Ring {
    const ring = new Ring(path, options)
    ring.reload(true)
    return ring
  }

  /** A ring over data in memory (never reloads). */
  static fromData(data: RingData, options: RingOptions): Ring {
    const ring = new Ring(undefined, options)
    ring.install(data)
    return ring
  }

  /** Re-reads the file if `force` or its mtime changed; called at most every reloadTime s. */
  reload(force = false): void {
    this.nextCheck = this.now() + this.reloadTime * 1000
    if (this.path === undefined) return
    if (force) {
      this.loadFile(this.path)
      return
    }
    // A running server keeps serving from the ring it has when the new file is missing or
    // damaged (Swift would raise from the lookup); the next check tries again.
    try {
      if (this.hasChanged()) this.loadFile(this.path)
      this.lastReloadError = undefined
    } catch (err) {
      this.lastReloadError = err as Error
    }
  }

  private loadFile(path: string): void {
    // Read the mtime first: a write landing during the read is picked up at the next check.
    const mtimeNs = statSync(path, { bigint: true }).mtimeNs
    this.install(readRingFileSync(path))
    this.mtimeNs = mtimeNs
  }

  /** True when the ring file's mtime differs from the loaded one's. */
  hasChanged(): boolean {
    if (this.path === undefined) return false
    return statSync(this.path, { bigint: true }).mtimeNs !== this.mtimeNs
  }

  private maybeReload(): void {
    if (this.now() > this.nextCheck) this.reload()
  }

  private install(data: RingData): void {
    // Rings from before replication networks lack these; Swift fills them in the same way.
    const devs = data.devs.map((dev) => {
      if (dev === null) return null
      const filled: RingDevice = { ...dev }
      if (filled.region === undefined) filled.region = 1
      if (filled.ip !== undefined && filled.replication_ip === undefined) filled.replication_ip = filled.ip
      if (filled.port !== undefined && filled.replication_port === undefined) filled.replication_port = filled.port
      return filled
    })
    this.devs = devs
    this.tiers = devs.map((dev) => (dev === null ? undefined : tiersOf(dev)))
    this.replica2part2dev = data.replica2part2dev
    this.partShift = data.partShift
    this._nextPartPower = data.nextPartPower
    this._version = data.version
    this.updateBookkeeping()
  }

  // Only devices holding partitions count towards the totals, so that the early exits of
  // getMoreNodes fire once every populated region/zone/server has been offered.
  private updateBookkeeping(): void {
    const withParts = new Set<number>()
    for (const part2dev of this.replica2part2dev) for (const id of part2dev) withParts.add(id)
    const regions = new Set<string>()
    const zones = new Set<string>()
    const ips = new Set<string>()
    this.numDevs = 0
    this.numAssignedDevs = 0
    this.numWeightedDevs = 0
    for (const dev of this.devs) {
      if (dev === null) continue
      this.numDevs++
      if ((dev.weight ?? 0) > 0) this.numWeightedDevs++
      if (withParts.has(dev.id)) {
        const tiers = tiersOf(dev)
        regions.add(tiers.region)
        zones.add(tiers.zone)
        ips.add(tiers.ip)
        this.numAssignedDevs++
      }
    }
    this.numRegions = regions.size
    this.numZones = zones.size
    this.numIps = ips.size
  }

  get partPower(): number {
    return 32 - this.partShift
  }

  get partitionCount(): number {
    return this.replica2part2dev[0]?.length ?? 0
  }

  /** Replicas, fractional when the last replica covers only some partitions. */
  get replicaCount(): number {
    return replicaCountOf(this.replica2part2dev)
  }

  get devices(): readonly (RingDevice | null)[] {
    this.maybeReload()
    return this.devs
  }

  get nextPartPower(): number | undefined {
    this.maybeReload()
    return this._nextPartPower
  }

  get version(): number | undefined {
    return this._version
  }

  get deviceCount(): number {
    return this.numDevs
  }

  get weightedDeviceCount(): number {
    return this.numWeightedDevs
  }

  get assignedDeviceCount(): number {
    return this.numAssignedDevs
  }

  /** Partition of an account, container or object: top partPower bits of the path's md5. */
  getPart(account: string, container?: string, object?: string): number {
    // Swift skips empty container/object names when hashing (truthiness, not presence).
    const digest = hashPathDigest(this.secrets, account, container || undefined, object || undefined)
    this.maybeReload()
    return shiftPartition(digest.readUInt32BE(0), this.partShift)
  }

  /** Primary nodes of `part`; a device holding two replicas appears once, as in Swift. */
  getPartNodes(part: number): RingNode[] {
    this.maybeReload()
    return this.partNodes(part)
  }

  private partNodes(part: number): RingNode[] {
    const nodes: RingNode[] = []
    const seen = new Set<number>()
    for (const part2dev of this.replica2part2dev) {
      if (part >= part2dev.length) continue
      const id = part2dev[part] as number
      if (seen.has(id)) continue
      seen.add(id)
      nodes.push(Object.assign({}, this.devs[id] as RingDevice, { index: nodes.length }))
    }
    return nodes
  }

  getNodes(account: string, container?: string, object?: string): { partition: number; nodes: RingNode[] } {
    const partition = this.getPart(account, container, object)
    return { partition, nodes: this.partNodes(partition) }
  }

  /**
   * Handoff nodes for `part`, in Swift's order: walking the partitions from a position
   * derived from md5(part), first devices in regions no earlier node is in, then in new
   * zones, then on new servers (ip), then any unused device.
   */
  *getMoreNodes(part: number): Generator<RingHandoffNode, void, undefined> {
    this.maybeReload()
    const primaries = this.partNodes(part)
    const used = new Set(primaries.map((d) => d.id))
    const sameRegions = new Set(primaries.map((d) => tiersOf(d).region))
    const sameZones = new Set(primaries.map((d) => tiersOf(d).zone))
    const sameIps = new Set(primaries.map((d) => tiersOf(d).ip))
    const r2p2d = this.replica2part2dev
    const devs = this.devs
    const tiers = this.tiers as DeviceTiers[]
    let handoffIndex = 0
    // Object.assign copies these small records several times faster than object spread.
    const handoff = (dev: RingDevice): RingHandoffNode => Object.assign({}, dev, { handoff_index: handoffIndex++ })
    const order = this.handoffPartitionOrder(part)

    // Four passes, each for devices new at one tier (region, zone, server, then any unused
    // device); a pass stops as soon as its tier is exhausted, and later passes see what
    // earlier ones used.
    const passes: { seen: Set<string | number>; key: (t: DeviceTiers, id: number) => string | number; size: number }[] = [
      { seen: sameRegions, key: (t) => t.region, size: this.numRegions },
      { seen: sameZones, key: (t) => t.zone, size: this.numZones },
      { seen: sameIps, key: (t) => t.ip, size: this.numIps },
      { seen: used, key: (_t, id) => id, size: this.numAssignedDevs },
    ]
    for (const pass of passes) {
      let hitAll = pass.seen.size === pass.size
      for (const handoffPart of order()) {
        if (hitAll) break
        for (const part2dev of r2p2d) {
          if (handoffPart >= part2dev.length) continue
          const id = part2dev[handoffPart] as number
          const t = tiers[id] as DeviceTiers
          if (used.has(id) || pass.seen.has(pass.key(t, id))) continue
          yield handoff(devs[id] as RingDevice)
          used.add(id)
          sameRegions.add(t.region)
          sameZones.add(t.zone)
          sameIps.add(t.ip)
          if (pass.seen.size === pass.size) {
            hitAll = true
            break
          }
        }
      }
    }
  }

  /**
   * The partitions a handoff search visits: from `start` to the end in steps of `inc`, then
   * wrapping round from the residue Swift starts its second range at. With at most 65536
   * partitions visited, lookups stay cheap on rings with a high part power.
   */
  private handoffPartitionOrder(part: number): () => Generator<number, void, undefined> {
    const parts = this.partitionCount
    const digest = createHash('md5').update(String(part), 'ascii').digest()
    const start = shiftPartition(digest.readUInt32BE(0), this.partShift)
    const inc = Math.trunc(parts / 65536) || 1
    const wrapFrom = inc - ((parts - start) % inc)
    return function* () {
      for (let p = start; p < parts; p += inc) yield p
      for (let p = wrapFrom; p < start; p += inc) yield p
    }
  }
}

// Tier keys; JSON keeps values of different types (1 vs "1") distinct, as Python tuples do.
interface DeviceTiers {
  region: string
  zone: string
  ip: string
}

function tiersOf(dev: RingDevice): DeviceTiers {
  return {
    region: JSON.stringify([dev.region]),
    zone: JSON.stringify([dev.region, dev.zone]),
    ip: JSON.stringify([dev.region, dev.zone, dev.ip]),
  }
}
