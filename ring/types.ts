// Shapes shared by the ring's reader, writer and builder. Field names in RingDevice follow
// Swift's ring.gz JSON header (snake_case), so that the file format needs no mapping.

export interface RingDevice {
  id: number
  region: number
  zone: number
  ip: string
  port: number
  replication_ip: string
  replication_port: number
  device: string
  weight: number
  meta: string
  /** Swift writes this into the ring for replicas of a device in its header; kept when present. */
  [extra: string]: unknown
}

/** What a ring.gz (format version 1) holds. */
export interface RingData {
  /** Index = device id; removed ids stay as null holes, as in Swift. */
  devs: (RingDevice | null)[]
  /** One array per replica (the last one may be shorter for fractional replica counts). */
  replica2part2dev: Uint16Array[]
  /** 32 - part_power. */
  partShift: number
  /** Swift's next_part_power (part-power increase in progress); undefined when absent. */
  nextPartPower?: number | undefined
  /** Swift's "version" field (builder's change counter); undefined when absent. */
  version?: number | undefined
}

/** A node as returned by lookups: the device plus the replica index it serves. */
export interface RingNode extends RingDevice {
  index: number
}

/** A handoff node from Ring.getMoreNodes: the device plus its position in the handoff order. */
export interface RingHandoffNode extends RingDevice {
  handoff_index: number
}
