// The container and account servers' replication verb (Swift: swift.common.db_replicator
// ReplicatorRpc), for replicator/db-replicator.ts. Sent as POST with
// X-Backend-Replication-Method: REPLICATE (node's parser refuses unknown methods, as for the
// object server) and a JSON body {"v":1,"op":...}:
//
//   /<dev>                  list          → {dbs: [{partition, hash}]} every database of the device
//   /<dev>/<part>/<hash>    rows          {since, limit} → {info, metadata, rows} (404: no such db)
//   /<dev>/<part>/<hash>    sync          {id, info, metadata} → merges the sender's status
//                           timestamps and metadata; {id, point, maxRow, info, metadata}, where
//                           point is the sender's highest row already merged here (404: no db)
//   /<dev>/<part>/<hash>    merge_items   {id, point, items} → merges rows, records the point
//   /<dev>/<part>/<hash>    create        {info, metadata} → a new empty replica (201; 202 exists)
//   /<dev>/<part>/<hash>    destroy       {maxRow} → removes the database (204), unless rows
//                           arrived since the caller read maxRow (409)
//   /<dev>/<part>/<hash>    reclaim       {age} → removes the database when it was deleted before
//                           `age` (a timestamp: now - reclaim_age) and is empty, else removes its
//                           deletion rows older than `age`; {reclaimed, rowsReclaimed}
//   /<dev>/<part>/<hash>    audit         {maxRows, quarantine} → {problem?, quarantined?}: checks the
//                           database (BrokerBase.audit); a broken one is quarantined when asked
//   /<dev>/<part>/<hash>    reported      {putTimestamp, deleteTimestamp, objectCount, bytesUsed} →
//                           records what the container updater told the accounts (containers only)
//
// The replicator runs in another process than the server, and RocksDB lets only one process
// open a device's database, so it reads its own node's databases through `list` and `rows` too.
import type { StorageRequest } from '../storage-server.ts'
import { respond } from '../storage-server.ts'
import { readJsonBody } from '../http/request-body.ts'
import { HttpError } from '../http/errors.ts'
import type { BaseInfo, BrokerBase, Metadata } from './broker-base.ts'
import type { KvStore } from './kv-store.ts'
import { DB_ID_LENGTH, KEY_PART } from './keys.ts'
import { quarantineDatabase } from './quarantine.ts'

export const DB_REPLICATION_FORMAT = 1
export const REPLICATION_METHOD_HEADER = 'x-backend-replication-method'
/** Rows per `rows` answer at most. */
export const MAX_ROWS_PER_REQUEST = 10_000
const MAX_BODY = 64 * 1024 * 1024
const JSON_TYPE = { 'Content-Type': 'application/json' }
const HASH = /^[0-9a-f]{32}$/

/** A broker as replication sees it (container or account). */
export interface ReplicaBroker extends BrokerBase<BaseInfo> {
  getItemsSince(since: number, limit: number): { seq: number }[]
  mergeItems(items: readonly never[]): number
  /** Containers only: the stats last reported to the account servers (container updater). */
  reported?(putTimestamp: string, deleteTimestamp: string, objectCount: number, bytesUsed: number): void
}

export interface ReplicaAccess {
  /** The device's database (checks the device first: 507 when unmounted). */
  store(device: string): Promise<KvStore>
  broker(store: KvStore, dbId: Buffer): ReplicaBroker
  readonly type: 'container' | 'account'
  /** Where a device's files live (quarantined databases go under it). */
  devicePath(device: string): string
}

/** True when a request is the replication verb. */
export function isReplicateRequest(sr: StorageRequest): boolean {
  if (sr.method !== 'POST') return false
  const v = sr.req.headers[REPLICATION_METHOD_HEADER]
  return typeof v === 'string' && v.toUpperCase() === 'REPLICATE'
}

async function readJson(sr: StorageRequest): Promise<Record<string, unknown>> {
  const body = await readJsonBody(sr.req, MAX_BODY)
  if (typeof body !== 'object' || body === null || (body as { v?: unknown }).v !== DB_REPLICATION_FORMAT) throw new HttpError(400, { body: 'Unknown replication format' })
  return body as Record<string, unknown>
}

const reply = (sr: StorageRequest, status: number, value: object) => respond(sr.res, status, JSON_TYPE, JSON.stringify({ v: DB_REPLICATION_FORMAT, ...value }))

function isInfo(v: unknown): v is BaseInfo {
  const i = v as BaseInfo
  return typeof i === 'object' && i !== null && typeof i.createdAt === 'string' && typeof i.putTimestamp === 'string' && typeof i.deleteTimestamp === 'string' && typeof i.id === 'string'
}

function isMetadata(v: unknown): v is Metadata {
  return typeof v === 'object' && v !== null && Object.values(v).every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string')
}

function nonNegative(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -1) throw new HttpError(400, { body: `Invalid ${what}` })
  return Math.max(0, v)
}

/** Every database of a device, from the partition index (06 <part> <id>). */
export function listDatabases(store: KvStore): { partition: number; hash: string }[] {
  const out: { partition: number; hash: string }[] = []
  const cursor = store.cursor({ gte: Buffer.from([KEY_PART]), lt: Buffer.from([KEY_PART + 1]) }, 1000)
  try {
    for (let e = cursor.next(); e; e = cursor.next()) {
      if (e[0].length !== 5 + DB_ID_LENGTH) continue
      out.push({ partition: e[0].readUInt32BE(1), hash: e[0].subarray(5).toString('hex') })
    }
  } finally {
    cursor.close()
  }
  return out
}

export async function handleDbReplicate(sr: StorageRequest, access: ReplicaAccess): Promise<void> {
  const segments = sr.path.split('/').slice(1)
  const [device, partition, hash] = segments
  if (!device) throw new HttpError(400, { body: 'Invalid path' })
  const body = await readJson(sr)
  const store = await access.store(device)
  if (body.op === 'list') {
    if (segments.length !== 1) throw new HttpError(400, { body: 'Invalid path' })
    return reply(sr, 200, { dbs: listDatabases(store) })
  }
  if (segments.length !== 3 || !/^\d+$/.test(partition ?? '') || !HASH.test(hash ?? '')) throw new HttpError(400, { body: 'Invalid path' })
  const broker = access.broker(store, Buffer.from(hash!, 'hex'))
  // Before loadInfo: auditing is how an unreadable info record is found.
  if (body.op === 'audit') {
    const problem = broker.audit(nonNegative(body.maxRows ?? 100_000, 'maxRows'))
    if (!problem || body.quarantine !== true) return reply(sr, 200, problem ? { problem } : {})
    const file = await quarantineDatabase({ store, devicePath: access.devicePath(device), type: access.type, partition: Number(partition), hash: hash!, reason: problem })
    return reply(sr, 200, { problem, quarantined: file })
  }
  const info = broker.loadInfo()
  switch (body.op) {
    case 'create': {
      if (!isInfo(body.info) || !isMetadata(body.metadata)) throw new HttpError(400, { body: 'Invalid database info' })
      const created = broker.createReplica({ ...body.info, partition: Number(partition) })
      broker.updateMetadata(body.metadata)
      return reply(sr, created ? 201 : 202, {})
    }
    case 'destroy': {
      const maxRow = nonNegative(body.maxRow, 'maxRow')
      if (!broker.destroy(maxRow)) throw new HttpError(409)
      return respond(sr.res, 204)
    }
  }
  if (!info) throw new HttpError(404)
  switch (body.op) {
    case 'reclaim': {
      if (typeof body.age !== 'string') throw new HttpError(400, { body: 'Invalid age' })
      const reclaimed = broker.isReclaimable(body.age) && broker.destroy(info.maxRow)
      // A database that stays loses its deletion rows older than the same age.
      const rowsReclaimed = reclaimed ? 0 : broker.reclaimRows(body.age)
      return reply(sr, 200, { reclaimed, rowsReclaimed })
    }
    case 'reported': {
      const { putTimestamp, deleteTimestamp, objectCount, bytesUsed } = body
      if (!broker.reported || typeof putTimestamp !== 'string' || typeof deleteTimestamp !== 'string') throw new HttpError(400, { body: 'Invalid report' })
      broker.reported(putTimestamp, deleteTimestamp, nonNegative(objectCount, 'objectCount'), nonNegative(bytesUsed, 'bytesUsed'))
      return reply(sr, 200, {})
    }
    case 'rows': {
      const since = nonNegative(body.since, 'since')
      const limit = Math.min(MAX_ROWS_PER_REQUEST, nonNegative(body.limit, 'limit'))
      return reply(sr, 200, { info, metadata: broker.metadata, rows: limit > 0 ? broker.getItemsSince(since, limit) : [] })
    }
    case 'sync': {
      if (typeof body.id !== 'string' || !isInfo(body.info) || !isMetadata(body.metadata)) throw new HttpError(400, { body: 'Invalid sync request' })
      broker.mergeTimestamps(body.info.createdAt, body.info.putTimestamp, body.info.deleteTimestamp)
      broker.updateMetadata(body.metadata)
      const now = broker.loadInfo()!
      return reply(sr, 200, { id: now.id, point: broker.incomingSyncPoint(body.id), maxRow: now.maxRow, info: now, metadata: broker.metadata })
    }
    case 'merge_items': {
      if (typeof body.id !== 'string' || !Array.isArray(body.items) || !body.items.every((i) => typeof (i as { name?: unknown })?.name === 'string')) {
        throw new HttpError(400, { body: 'Invalid items' })
      }
      const point = nonNegative(body.point, 'point')
      const merged = broker.mergeItems(body.items as never[])
      broker.setIncomingSyncPoint(body.id, point)
      return reply(sr, 200, { merged })
    }
    default:
      throw new HttpError(400, { body: 'Unknown replication op' })
  }
}
