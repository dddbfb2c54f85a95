// What container and account databases share (Swift: swift.common.db.DatabaseBroker): the
// status record (created_at, put/delete timestamps, status_changed_at), metadata merged key
// by key with per-key timestamps, deletion, the row sequence behind "rows since N", and
// timestamp merging for replication. A broker is a light view of one database inside a
// device's RocksDB; every method runs synchronously (see kv-store.ts for why).
import { randomUUID } from 'node:crypto'
import { Timestamp } from '../timestamp.ts'
import { DEFAULT_CONSTRAINTS } from '../constraints.ts'
import type { KvBatch, KvStore } from './kv-store.ts'
import { KEY_INFO, KEY_LIST, KEY_META, KEY_ROW, KEY_SEQ, KEY_SYNC, dbKey, keySuffix, partitionKey, prefixEnd, seqKey } from './keys.ts'
import { decodeRecord, encodeRecord } from './records.ts'

export const INFO_FORMAT = 1
export const META_FORMAT = 1
export const ZERO_TIMESTAMP = '0000000000.00000'

export class DbError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

export interface BaseInfo {
  createdAt: string
  putTimestamp: string
  deleteTimestamp: string
  statusChangedAt: string
  status: '' | 'DELETED'
  /** Identity of this replica of the database (Swift's `id`), for replication sync points. */
  id: string
  /** Highest row sequence number handed out (Swift's max ROWID). */
  maxRow: number
  partition: number
}

/** Metadata: header name -> [value, internal timestamp]; '' means deleted. */
export type Metadata = Record<string, [string, string]>

export function compareTs(a: string, b: string): number {
  return Timestamp.parse(a).compare(Timestamp.parse(b))
}

export function maxTs(a: string, b: string): string {
  return compareTs(a, b) >= 0 ? a : b
}

export abstract class BrokerBase<I extends BaseInfo> {
  readonly store: KvStore
  readonly dbId: Buffer
  protected abstract readonly what: string

  constructor(store: KvStore, dbId: Buffer) {
    this.store = store
    this.dbId = dbId
  }

  protected newBaseInfo(putTimestamp: string, partition: number): BaseInfo {
    return {
      createdAt: Timestamp.now().internal,
      putTimestamp,
      deleteTimestamp: ZERO_TIMESTAMP,
      statusChangedAt: putTimestamp,
      status: '',
      id: randomUUID(),
      maxRow: 0,
      partition,
    }
  }

  /** Writes a new database's info and partition index; false when it already exists. */
  protected createWith(info: I): boolean {
    if (this.exists()) return false
    const batch = this.store.batch()
    this.putInfo(batch, info)
    batch.put(partitionKey(info.partition, this.dbId), Buffer.alloc(0))
    this.store.write(batch)
    return true
  }

  exists(): boolean {
    return this.store.get(dbKey(KEY_INFO, this.dbId)) !== undefined
  }

  /** The info record; undefined when the database does not exist. */
  loadInfo(): I | undefined {
    const buf = this.store.get(dbKey(KEY_INFO, this.dbId))
    return buf === undefined ? undefined : decodeRecord<I>(buf, INFO_FORMAT, `${this.what} info`)
  }

  protected requireInfo(): I {
    const info = this.loadInfo()
    if (!info) throw new DbError('ERR_DB_NOT_FOUND', `${this.what} database does not exist`)
    return info
  }

  protected putInfo(batch: KvBatch, info: I): void {
    batch.put(dbKey(KEY_INFO, this.dbId), encodeRecord(INFO_FORMAT, info))
  }

  protected writeInfo(info: I): void {
    const batch = this.store.batch()
    this.putInfo(batch, info)
    this.store.write(batch)
  }

  get metadata(): Metadata {
    const buf = this.store.get(dbKey(KEY_META, this.dbId))
    return buf === undefined ? {} : decodeRecord<Metadata>(buf, META_FORMAT, `${this.what} metadata`)
  }

  /**
   * Merges metadata key by key: a value replaces the stored one only when its timestamp is
   * newer, whatever the order of arrival. With `validate`, the merged result must respect
   * the count and size limits (Swift checks the merged metadata, not the update alone).
   */
  updateMetadata(updates: Metadata, validate = false): void {
    const current = this.metadata
    let changed = false
    for (const [key, entry] of Object.entries(updates)) {
      const old = current[key]
      if (!old || compareTs(entry[1], old[1]) > 0) {
        current[key] = entry
        changed = true
      }
    }
    if (!changed) return
    if (validate) validateMetadata(current)
    const batch = this.store.batch()
    batch.put(dbKey(KEY_META, this.dbId), encodeRecord(META_FORMAT, current))
    this.store.write(batch)
  }

  updatePutTimestamp(timestamp: string): void {
    const info = this.requireInfo()
    if (compareTs(info.putTimestamp, timestamp) < 0) {
      info.putTimestamp = timestamp
      this.writeInfo(info)
    }
  }

  updateStatusChangedAt(timestamp: string): void {
    const info = this.requireInfo()
    if (compareTs(info.statusChangedAt, timestamp) < 0) {
      info.statusChangedAt = timestamp
      this.writeInfo(info)
    }
  }

  /**
   * Marks the database deleted at `timestamp` (Swift's delete_db): metadata values are
   * cleared as of that time, and the status changes only when the deletion is newer than
   * any earlier one.
   */
  deleteDb(timestamp: string, keepMetadata: readonly string[] = []): void {
    const cleared: Metadata = {}
    for (const key of Object.keys(this.metadata)) {
      if (!keepMetadata.includes(key.toLowerCase())) cleared[key] = ['', timestamp]
    }
    if (Object.keys(cleared).length) this.updateMetadata(cleared)
    const info = this.requireInfo()
    if (compareTs(info.deleteTimestamp, timestamp) < 0) {
      info.deleteTimestamp = timestamp
      info.status = 'DELETED'
      info.statusChangedAt = timestamp
      this.writeInfo(info)
    }
  }

  /** Replication: keep the oldest created_at and the newest put/delete timestamps. */
  mergeTimestamps(createdAt: string, putTimestamp: string, deleteTimestamp: string): void {
    const info = this.requireInfo()
    const wasDeleted = this.isDeletedInfo(info)
    const before = [info.createdAt, info.putTimestamp, info.deleteTimestamp]
    if (compareTs(createdAt, info.createdAt) < 0) info.createdAt = createdAt
    info.putTimestamp = maxTs(info.putTimestamp, putTimestamp)
    info.deleteTimestamp = maxTs(info.deleteTimestamp, deleteTimestamp)
    // Replication calls this for every database on every pass: most of the time nothing moves.
    if (before[0] === info.createdAt && before[1] === info.putTimestamp && before[2] === info.deleteTimestamp) return
    if (wasDeleted !== this.isDeletedInfo(info)) info.statusChangedAt = maxTs(info.statusChangedAt, Timestamp.now().internal)
    this.writeInfo(info)
  }

  abstract isDeletedInfo(info: I): boolean

  isDeleted(): boolean {
    const info = this.loadInfo()
    return !info || this.isDeletedInfo(info)
  }

  /** Highest row sequence number (Swift's get_max_row); -1 when the database is missing. */
  maxRow(): number {
    return this.loadInfo()?.maxRow ?? -1
  }

  /**
   * Rows whose sequence number is above `since`, in sequence order, at most `limit`: one
   * range read of the sequence index and one multi-get, so O(result).
   */
  protected rowsSince(since: number, limit: number): { seq: number; ident: Buffer; value: Buffer }[] {
    const cursor = this.store.cursor({ gt: seqKey(this.dbId, since), lt: prefixEnd(dbKey(KEY_SEQ, this.dbId)) }, Math.min(limit, 1000))
    const found: { seq: number; ident: Buffer }[] = []
    try {
      for (let entry = cursor.next(); entry && found.length < limit; entry = cursor.next()) {
        found.push({ seq: Number(entry[0].readBigUInt64BE(17)), ident: entry[1] })
      }
    } finally {
      cursor.close()
    }
    const values = this.store.getMany(found.map((f) => dbKey(KEY_ROW, this.dbId, f.ident)))
    const out: { seq: number; ident: Buffer; value: Buffer }[] = []
    found.forEach((f, i) => {
      const value = values[i]
      if (value) out.push({ ...f, value })
    })
    return out
  }

  /**
   * The stored rows for `idents` (undefined where none), in the same order. A large batch
   * whose names are close together (bulk loads, replication's rows since N) is read with one
   * range scan; when the range turns out to hold many more rows than the batch, it falls
   * back to point reads. Either way O(batch).
   */
  protected loadRows(idents: Buffer[]): (Buffer | undefined)[] {
    if (idents.length < 64) return this.store.getMany(idents.map((id) => dbKey(KEY_ROW, this.dbId, id)))
    let lo = idents[0]!
    let hi = idents[0]!
    for (const id of idents) {
      if (Buffer.compare(id, lo) < 0) lo = id
      if (Buffer.compare(id, hi) > 0) hi = id
    }
    const found = new Map<string, Buffer>()
    const budget = idents.length * 2
    const cursor = this.store.cursor({ gte: dbKey(KEY_ROW, this.dbId, lo), lte: dbKey(KEY_ROW, this.dbId, hi) }, 1000)
    let scanned = 0
    try {
      for (let e = cursor.next(); e; e = cursor.next()) {
        if (++scanned > budget) return this.store.getMany(idents.map((id) => dbKey(KEY_ROW, this.dbId, id)))
        found.set(keySuffix(e[0]).toString('latin1'), e[1])
      }
    } finally {
      cursor.close()
    }
    return idents.map((id) => found.get(id.toString('latin1')))
  }

  /**
   * Replication (Swift's incoming_sync table): the highest row sequence number of replica
   * `remoteId` merged into this one; -1 when none was.
   */
  incomingSyncPoint(remoteId: string): number {
    const buf = this.store.get(dbKey(KEY_SYNC, this.dbId, Buffer.from(remoteId, 'utf8')))
    return buf === undefined ? -1 : decodeRecord<number>(buf, INFO_FORMAT, `${this.what} sync point`)
  }

  /** Records that replica `remoteId` has been merged up to row `point` (never moves back). */
  setIncomingSyncPoint(remoteId: string, point: number): void {
    if (point <= this.incomingSyncPoint(remoteId)) return
    const batch = this.store.batch()
    batch.put(dbKey(KEY_SYNC, this.dbId, Buffer.from(remoteId, 'utf8')), encodeRecord(INFO_FORMAT, point))
    this.store.write(batch)
  }

  /**
   * Creates this database as a new replica of another one (replication found none here):
   * the other's status and timestamps, a fresh id, no rows yet (its rows follow through
   * mergeItems, which rebuilds the stats). False when the database already exists.
   */
  createReplica(remote: I): boolean {
    return this.createWith(this.blankReplicaInfo({ ...remote, id: randomUUID(), maxRow: 0 }))
  }

  /** `remote` with its stats zeroed (they are rebuilt row by row). */
  protected abstract blankReplicaInfo(remote: I): I

  /**
   * Whether the whole database may go (Swift's replicator reclaim): deleted, its deletion newer
   * than its last PUT and older than `age` (now - reclaim_age), so every replica had time to
   * learn of it.
   */
  isReclaimable(age: string): boolean {
    const info = this.loadInfo()
    return !!info && this.isDeletedInfo(info) && compareTs(info.deleteTimestamp, info.putTimestamp) > 0 && compareTs(info.deleteTimestamp, age) < 0
  }

  /**
   * Removes every record of this database (a handoff replica once every primary has it).
   * With `ifMaxRow`, only when no row arrived since the caller read that max row.
   */
  destroy(ifMaxRow?: number): boolean {
    const info = this.loadInfo()
    if (!info) return true
    if (ifMaxRow !== undefined && info.maxRow !== ifMaxRow) return false
    const batch = this.store.batch()
    for (const type of [KEY_INFO, KEY_META, KEY_ROW, KEY_LIST, KEY_SEQ, KEY_SYNC]) {
      const start = dbKey(type, this.dbId)
      const cursor = this.store.cursor({ gte: start, lt: prefixEnd(start) }, 1000)
      try {
        for (let e = cursor.next(); e; e = cursor.next()) batch.del(e[0])
      } finally {
        cursor.close()
      }
    }
    batch.del(partitionKey(info.partition, this.dbId))
    this.store.write(batch)
    return true
  }

  /**
   * Integrity and consistency of this database, for the container and account auditors
   * (Swift's auditors quarantine a database whose get_info fails; Tern can look further):
   * the info and metadata records decode; every row decodes and its sequence number points
   * back to it in the sequence index, none above maxRow; and, when it holds at most
   * `maxRows` rows, the stats kept incrementally equal the stats recounted from the rows.
   * Returns why the database is broken, or undefined when it is sound (or missing).
   */
  audit(maxRows: number): string | undefined {
    let info: I | undefined
    try {
      info = this.loadInfo()
      void this.metadata
    } catch (err) {
      return `info or metadata: ${(err as Error).message}`
    }
    if (!info) return undefined
    const totals: Record<string, number> = {}
    let rows = 0
    const start = dbKey(KEY_ROW, this.dbId)
    const cursor = this.store.cursor({ gte: start, lt: prefixEnd(start) }, 1000)
    try {
      for (let e = cursor.next(); e; e = cursor.next()) {
        const ident = keySuffix(e[0])
        let seq: number
        try {
          seq = this.auditRow(ident, e[1], totals)
        } catch (err) {
          return `row ${JSON.stringify(ident.toString('utf8'))}: ${(err as Error).message}`
        }
        if (seq > info.maxRow) return `row sequence ${seq} above the database's maxRow ${info.maxRow}`
        const indexed = this.store.get(seqKey(this.dbId, seq))
        if (!indexed || !indexed.equals(ident)) return `row sequence ${seq} missing from the sequence index`
        if (++rows > maxRows) return undefined
      }
    } finally {
      cursor.close()
    }
    return this.auditTotals(info, totals)
  }

  /**
   * Removes deletion rows (tombstones) older than `age` (now - reclaim_age), as Swift's
   * reclaim does on every replication pass: by then every replica has had reclaim_age to learn
   * of the deletion. Visits at most `maxRows` rows. Returns how many rows went.
   */
  reclaimRows(age: string, maxRows = 200_000): number {
    const info = this.loadInfo()
    if (!info) return 0
    const start = dbKey(KEY_ROW, this.dbId)
    const doomed: { key: Buffer; seq: number; value: Buffer; ident: Buffer }[] = []
    const cursor = this.store.cursor({ gte: start, lt: prefixEnd(start) }, 1000)
    try {
      let seen = 0
      for (let e = cursor.next(); e && seen < maxRows; e = cursor.next(), seen++) {
        const ident = keySuffix(e[0])
        const seq = this.reclaimableRowSeq(ident, e[1], age)
        if (seq !== undefined) doomed.push({ key: e[0], seq, value: e[1], ident })
      }
    } finally {
      cursor.close()
    }
    if (doomed.length === 0) return 0
    const batch = this.store.batch()
    for (const row of doomed) {
      batch.del(row.key)
      batch.del(seqKey(this.dbId, row.seq))
      this.forgetRowStats(info, row.ident, row.value)
    }
    this.putInfo(batch, info)
    this.store.write(batch)
    return doomed.length
  }

  /** The row's sequence number when it is a deletion older than `age`; undefined otherwise. */
  protected abstract reclaimableRowSeq(ident: Buffer, value: Buffer, age: string): number | undefined

  /** Takes a removed row's share out of the stats in `info` (normally none: a deletion row counts nothing). */
  protected abstract forgetRowStats(info: I, ident: Buffer, value: Buffer): void

  /** Decodes one stored row, adds it to `totals` and returns its sequence number (throws when unreadable). */
  protected abstract auditRow(ident: Buffer, value: Buffer, totals: Record<string, number>): number

  /** Why the stats in `info` differ from `totals` (recounted from every row), or undefined. */
  protected abstract auditTotals(info: I, totals: Record<string, number>): string | undefined

  /** Every key of this database's rows, tombstones included (tests, reclaim). */
  protected *rowKeys(): Generator<Buffer> {
    const cursor = this.store.cursor({ gte: dbKey(KEY_ROW, this.dbId), lt: prefixEnd(dbKey(KEY_ROW, this.dbId)) })
    try {
      for (let e = cursor.next(); e; e = cursor.next()) yield keySuffix(e[0])
    } finally {
      cursor.close()
    }
  }
}

/** Swift's DatabaseBroker.validate_metadata, over the merged metadata. */
export function validateMetadata(md: Metadata): void {
  let count = 0
  let size = 0
  for (const [rawKey, [value]] of Object.entries(md)) {
    const key = rawKey.toLowerCase()
    if (!value) continue
    const prefix = key.startsWith('x-account-meta-') ? 'x-account-meta-' : key.startsWith('x-container-meta-') ? 'x-container-meta-' : undefined
    if (!prefix) continue
    count++
    // Python's len(): code points, not bytes.
    size += [...key.slice(prefix.length)].length + [...value].length
  }
  if (count > DEFAULT_CONSTRAINTS.maxMetaCount) throw new DbError('ERR_META_TOO_MANY', `Too many metadata items; max ${DEFAULT_CONSTRAINTS.maxMetaCount}`)
  if (size > DEFAULT_CONSTRAINTS.maxMetaOverallSize) throw new DbError('ERR_META_TOO_LARGE', `Total metadata too large; max ${DEFAULT_CONSTRAINTS.maxMetaOverallSize}`)
}
