// An account's database inside its device's RocksDB (Swift: swift.account.backend
// AccountBroker): status, metadata, one row per container (put/delete timestamps, object
// count, bytes used, policy) with per-policy stats kept incrementally, and a sequence number
// per row for replication.
import { BrokerBase, compareTs, maxTs } from '../common/db/broker-base.ts'
import type { BaseInfo } from '../common/db/broker-base.ts'
import type { KvStore } from '../common/db/kv-store.ts'
import { KEY_LIST, KEY_ROW, dbKey, seqKey } from '../common/db/keys.ts'
import { decodeRecord, decodeTextFields, encodeRecord, encodeTextRecord } from '../common/db/records.ts'
import { walkListing } from '../common/db/listing-walk.ts'
import type { ListingParams } from '../common/db/listing-walk.ts'

export const ROW_FORMAT = 1
export const LISTING_FORMAT = 1

export interface AccountInfo extends BaseInfo {
  account: string
  /** Per policy: [policy, containerCount, objectCount, bytesUsed] (Swift's policy_stat). */
  policyStats: [number, number, number, number][]
  containerCount: number
  objectCount: number
  bytesUsed: number
}

/** A container row as container servers report it and replication carries it. */
export interface ContainerItem {
  name: string
  putTimestamp: string
  deleteTimestamp: string
  objectCount: number
  bytesUsed: number
  deleted: 0 | 1
  storagePolicyIndex: number
}

export interface ContainerRow extends ContainerItem {
  seq: number
}

export interface ContainerListingEntry {
  name: string
  objectCount: number
  bytesUsed: number
  putTimestamp: string
}

type StoredRow = [seq: number, put: string, del: string, objects: number, bytes: number, deleted: 0 | 1, policy: number]

export class AccountBroker extends BrokerBase<AccountInfo> {
  protected readonly what = 'account'

  constructor(store: KvStore, dbId: Buffer) {
    super(store, dbId)
  }

  initialize(account: string, partition: number, putTimestamp: string): boolean {
    return this.createWith({ ...this.newBaseInfo(putTimestamp, partition), account, policyStats: [], containerCount: 0, objectCount: 0, bytesUsed: 0 })
  }

  protected blankReplicaInfo(remote: AccountInfo): AccountInfo {
    return { ...remote, policyStats: [], containerCount: 0, objectCount: 0, bytesUsed: 0 }
  }

  /** An account database goes only once empty (the reaper removed its containers). */
  override isReclaimable(age: string): boolean {
    return super.isReclaimable(age) && this.requireInfo().containerCount <= 0
  }

  getInfo(): AccountInfo | undefined {
    return this.loadInfo()
  }

  isDeletedInfo(info: AccountInfo): boolean {
    return info.status === 'DELETED' || (info.containerCount <= 0 && compareTs(info.deleteTimestamp, info.putTimestamp) > 0)
  }

  /** Marked deleted, whatever its containers (Swift's is_status_deleted). */
  isStatusDeleted(): boolean {
    const info = this.loadInfo()
    return !!info && (info.status === 'DELETED' || compareTs(info.deleteTimestamp, info.putTimestamp) > 0)
  }

  empty(): boolean {
    return this.requireInfo().containerCount <= 0
  }

  /** Swift's put_container: the row is deleted when deleted after its last PUT and empty. */
  putContainer(name: string, putTimestamp: string, deleteTimestamp: string, objectCount: number, bytesUsed: number, storagePolicyIndex: number): void {
    const deleted = compareTs(deleteTimestamp, putTimestamp) > 0 && objectCount === 0 ? 1 : 0
    this.mergeItems([{ name, putTimestamp, deleteTimestamp, objectCount, bytesUsed, deleted, storagePolicyIndex }])
  }

  /**
   * Merges container rows (Swift's merge_items): the newest put and delete timestamps are
   * kept; the counts come from the report unless it is older than the stored row (then the
   * row stays as it is); a merge that changes nothing takes no new sequence number.
   */
  mergeItems(items: readonly ContainerItem[]): number {
    if (items.length === 0) return 0
    const info = this.requireInfo()
    const stored = this.loadRows(items.map((it) => Buffer.from(it.name, 'utf8')))
    const current = new Map<string, ContainerRow | undefined>()
    const original = new Map<string, ContainerRow | undefined>()
    items.forEach((item, i) => {
      if (!original.has(item.name)) {
        const buf = stored[i]
        const row = buf ? decodeRow(item.name, buf) : undefined
        original.set(item.name, row)
        current.set(item.name, row)
      }
      const existing = current.get(item.name)
      const merged = mergeContainerRow(item, existing)
      if (merged) current.set(item.name, merged)
    })
    const batch = this.store.batch()
    let changed = 0
    for (const [name, row] of current) {
      const old = original.get(name)
      if (!row || row === old) continue
      changed++
      row.seq = ++info.maxRow
      const ident = Buffer.from(name, 'utf8')
      if (old) batch.del(seqKey(this.dbId, old.seq))
      batch.put(seqKey(this.dbId, row.seq), ident)
      const rec: StoredRow = [row.seq, row.putTimestamp, row.deleteTimestamp, row.objectCount, row.bytesUsed, row.deleted, row.storagePolicyIndex]
      batch.put(dbKey(KEY_ROW, this.dbId, ident), encodeRecord(ROW_FORMAT, rec))
      const listKey = dbKey(KEY_LIST, this.dbId, ident)
      if (row.deleted) batch.del(listKey)
      else batch.put(listKey, encodeTextRecord(name, LISTING_FORMAT, [row.objectCount, row.bytesUsed, row.putTimestamp]))
      adjustStats(info, old, -1)
      adjustStats(info, row, +1)
    }
    if (changed === 0) return 0
    this.putInfo(batch, info)
    this.store.write(batch)
    return changed
  }

  getItemsSince(since: number, limit: number): ContainerRow[] {
    return this.rowsSince(since, limit).map(({ ident, value }) => decodeRow(ident.toString('utf8'), value))
  }

  getRow(name: string): ContainerRow | undefined {
    const buf = this.store.get(dbKey(KEY_ROW, this.dbId, Buffer.from(name, 'utf8')))
    return buf ? decodeRow(name, buf) : undefined
  }

  /** Swift's account reclaim: deleted container rows whose deletion is older than `age`. */
  protected reclaimableRowSeq(ident: Buffer, value: Buffer, age: string): number | undefined {
    const row = decodeRow(ident.toString('utf8'), value)
    return row.deleted && compareTs(row.deleteTimestamp, age) < 0 ? row.seq : undefined
  }

  protected forgetRowStats(info: AccountInfo, ident: Buffer, value: Buffer): void {
    adjustStats(info, decodeRow(ident.toString('utf8'), value), -1)
  }

  protected auditRow(ident: Buffer, value: Buffer, totals: Record<string, number>): number {
    const row = decodeRow(ident.toString('utf8'), value)
    totals.containers = (totals.containers ?? 0) + (1 - row.deleted)
    totals.objects = (totals.objects ?? 0) + row.objectCount
    totals.bytes = (totals.bytes ?? 0) + row.bytesUsed
    return row.seq
  }

  /** The totals recounted from the rows, and the per-policy stats summed (Swift's validate_per_policy_counts). */
  protected auditTotals(info: AccountInfo, totals: Record<string, number>): string | undefined {
    const stored = [info.containerCount, info.objectCount, info.bytesUsed]
    const counted = [totals.containers ?? 0, totals.objects ?? 0, totals.bytes ?? 0]
    if (stored.some((v, i) => v !== counted[i])) return `stats say ${stored.join('/')} containers/objects/bytes; the rows hold ${counted.join('/')}`
    const perPolicy = [0, 0, 0]
    for (const [, containers, objects, bytes] of info.policyStats) {
      perPolicy[0]! += containers
      perPolicy[1]! += objects
      perPolicy[2]! += bytes
    }
    if (stored.some((v, i) => v !== perPolicy[i])) return `per-policy stats add up to ${perPolicy.join('/')}, the totals are ${stored.join('/')}`
    return undefined
  }

  /** A listing page of live containers (Swift's list_containers_iter). */
  listContainers(params: ListingParams): (ContainerListingEntry | { subdir: string })[] {
    const base = dbKey(KEY_LIST, this.dbId)
    const items = walkListing({ base, open: (range, batch) => this.store.textCursor(range, batch.first, batch.max) }, { ...params, path: undefined })
    return items.map((item) => {
      if (item.kind === 'subdir') return { subdir: item.name }
      const [, objectCount, bytesUsed, putTimestamp] = decodeTextFields(item.value, LISTING_FORMAT, 'account listing entry')
      return { name: item.name, objectCount: Number(objectCount), bytesUsed: Number(bytesUsed), putTimestamp: putTimestamp! }
    })
  }
}

function decodeRow(name: string, buf: Buffer): ContainerRow {
  const [seq, putTimestamp, deleteTimestamp, objectCount, bytesUsed, deleted, storagePolicyIndex] = decodeRecord<StoredRow>(buf, ROW_FORMAT, 'container row')
  return { name, seq, putTimestamp, deleteTimestamp, objectCount, bytesUsed, deleted, storagePolicyIndex }
}

function adjustStats(info: AccountInfo, row: ContainerRow | undefined, sign: 1 | -1): void {
  if (!row) return
  let stats = info.policyStats.find((p) => p[0] === row.storagePolicyIndex)
  if (!stats) info.policyStats.push((stats = [row.storagePolicyIndex, 0, 0, 0]))
  // As Swift's triggers: live rows count as containers; every row's objects and bytes add up.
  stats[1] += sign * (1 - row.deleted)
  stats[2] += sign * row.objectCount
  stats[3] += sign * row.bytesUsed
  info.containerCount += sign * (1 - row.deleted)
  info.objectCount += sign * row.objectCount
  info.bytesUsed += sign * row.bytesUsed
}

/** The merged row, or undefined when the item changes nothing. */
export function mergeContainerRow(item: ContainerItem, existing: ContainerRow | undefined): ContainerRow | undefined {
  if (!existing) return { ...item, seq: 0 }
  const putCmp = compareTs(item.putTimestamp, existing.putTimestamp)
  const delCmp = compareTs(item.deleteTimestamp, existing.deleteTimestamp)
  // A report older than what is stored (no timestamp newer, one older) changes nothing.
  if (putCmp <= 0 && delCmp <= 0 && (putCmp < 0 || delCmp < 0)) return undefined
  const row: ContainerRow = {
    ...item,
    seq: 0,
    putTimestamp: maxTs(item.putTimestamp, existing.putTimestamp),
    deleteTimestamp: maxTs(item.deleteTimestamp, existing.deleteTimestamp),
  }
  row.deleted = compareTs(row.deleteTimestamp, row.putTimestamp) > 0 && row.objectCount === 0 ? 1 : 0
  const same =
    row.putTimestamp === existing.putTimestamp &&
    row.deleteTimestamp === existing.deleteTimestamp &&
    row.objectCount === existing.objectCount &&
    row.bytesUsed === existing.bytesUsed &&
    row.deleted === existing.deleted &&
    row.storagePolicyIndex === existing.storagePolicyIndex
  return same ? undefined : row
}
