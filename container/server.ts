// The container server (Swift: swift/container/server.py ContainerController): container
// PUT/HEAD/GET/POST/DELETE and the object rows the object servers send, on
// /<device>/<partition>/<account>/<container>[/<object>]. All containers of a device live in
// that device's RocksDB (containers.db/), opened on first use and closed on shutdown.
// REPLICATE (replication issue) will dispatch to the broker's getItemsSince/mergeItems.
import type { IncomingHttpHeaders } from 'node:http'
import { allowsReservedNames } from '../common/http/split-path.ts'
import { checkDevice, respond } from '../common/storage-server.ts'
import type { StorageRequest } from '../common/storage-server.ts'
import { HttpError } from '../common/http/errors.ts'
import { defaultBody } from '../common/http/status.ts'
import { getParam, header, isSysOrUserMeta, listingLimit, partitionNumber, requireTimestamp, splitBackendPath, titleCaseHeader } from '../common/http/backend-params.ts'
import { getListingContentType, renderListing } from '../common/listing-format.ts'
import { DeviceDatabases } from '../common/db/device-dbs.ts'
import { ZERO_TIMESTAMP } from '../common/db/broker-base.ts'
import { createDbServer, mapDbError } from '../common/db/db-server-shell.ts'
import type { ColocatedServers, LocalContainerServer } from '../common/colocated-servers.ts'
import { decodePath } from '../common/http/split-path.ts'
import type { DbServer } from '../common/db/db-server-shell.ts'

export type { DbServer }
import type { Metadata } from '../common/db/broker-base.ts'
import { hashPathDigest } from '../common/hash-path.ts'
import { iniBool } from '../common/config/ini.ts'
import { Timestamp } from '../common/timestamp.ts'
import { DEFAULT_CONSTRAINTS } from '../common/constraints.ts'
import type { DbServerConfig } from '../common/config/db-server-config.ts'
import type { Logger } from '../common/logger.ts'
import { ContainerBroker } from './broker.ts'
import type { ContainerInfo } from './broker.ts'
import { listingRecord } from './listing-record.ts'
import { accountUpdate } from './account-update.ts'
import type { ObjectItem } from './broker.ts'
import { isUpdateBatch, lowerCaseHeaders, objectItem, readUpdateBatch, rowHeaders } from './object-updates.ts'
import { UPDATE_BATCH_FORMAT } from '../common/object-update-batch.ts'
import type { BatchedRow } from '../common/object-update-batch.ts'

const SAVE_HEADERS = ['x-container-read', 'x-container-write', 'x-container-sync-key', 'x-container-sync-to']
const TEXT = { 'Content-Type': 'text/plain' }


type Info = ContainerInfo & { objectCount: number; bytesUsed: number }

/** Swift's gen_resp_headers: backend headers always, container stats unless deleted. */
function infoHeaders(info: Info | undefined, deleted: boolean): Record<string, string | number> {
  const ts = (t: string | undefined) => Timestamp.parse(t ?? ZERO_TIMESTAMP)
  const out: Record<string, string | number> = {
    'X-Backend-Timestamp': ts(info?.createdAt).internal,
    'X-Backend-PUT-Timestamp': ts(info?.putTimestamp).internal,
    'X-Backend-DELETE-Timestamp': ts(info?.deleteTimestamp).internal,
    'X-Backend-Status-Changed-At': ts(info?.statusChangedAt).internal,
    'X-Backend-Storage-Policy-Index': info?.storagePolicyIndex ?? 0,
  }
  if (!deleted) {
    out['X-Container-Object-Count'] = info?.objectCount ?? 0
    out['X-Container-Bytes-Used'] = info?.bytesUsed ?? 0
    out['X-Timestamp'] = ts(info?.createdAt).normal
    out['X-PUT-Timestamp'] = ts(info?.putTimestamp).normal
    out['X-Backend-Sharding-State'] = 'unsharded'
  }
  return out
}

function visibleMetadata(md: Metadata, out: Record<string, string | number>): void {
  for (const [key, [value]] of Object.entries(md)) {
    if (value !== '' && (SAVE_HEADERS.includes(key.toLowerCase()) || isSysOrUserMeta('container', key))) out[key] = value
  }
}

export interface ContainerServerOptions {
  /** The servers of this process: object servers here then hand their updates over directly. */
  readonly colocated?: ColocatedServers
}

export function createContainerServer(config: DbServerConfig, logger: Logger, options: ContainerServerOptions = {}): DbServer {
  const dbs = new DeviceDatabases(config.devices, 'containers.db')
  const defaultPolicy = config.policies.find((p) => p.index === 0)?.index ?? config.policies[0]?.index ?? 0

  async function brokerFor(device: string, account: string, container: string): Promise<ContainerBroker> {
    await checkDevice(config.devices, device, config.mountCheck)
    const store = await dbs.get(device)
    return new ContainerBroker(store, hashPathDigest(config.hashPath, account, container))
  }

  function checkedPolicy(headers: IncomingHttpHeaders): number | undefined {
    const raw = header(headers, 'x-backend-storage-policy-index')
    if (raw === undefined) return undefined
    const n = /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : NaN
    if (!config.policies.some((p) => p.index === n)) {
      // Swift's message shows repr() of the value: quoted when it was not even an integer.
      const shown = Number.isNaN(n) ? `'${raw}'` : String(n)
      throw new HttpError(400, { body: `Invalid X-Backend-Storage-Policy-Index ${shown}`, headers: TEXT })
    }
    return n
  }

  function shouldAutoCreate(headers: IncomingHttpHeaders, account: string): boolean {
    const explicit = header(headers, 'x-backend-auto-create')
    if (explicit) return iniBool(explicit, false)
    if (account.startsWith(config.autoCreateAccountPrefix + 'shards_')) return false
    return account.startsWith(config.autoCreateAccountPrefix)
  }

  function maybeAutoCreate(headers: IncomingHttpHeaders, broker: ContainerBroker, ts: Timestamp, account: string, container: string, part: string, policy: number): void {
    if (shouldAutoCreate(headers, account) && !broker.exists()) broker.initialize(account, container, partitionNumber(part), ts.internal, policy)
    if (!broker.exists()) throw new HttpError(404)
  }

  function updateMetadata(r: StorageRequest, broker: ContainerBroker, ts: Timestamp): void {
    const md: Metadata = {}
    for (const [key, value] of Object.entries(r.req.headers)) {
      if (value === undefined) continue
      if (SAVE_HEADERS.includes(key) || isSysOrUserMeta('container', key)) md[titleCaseHeader(key)] = [Array.isArray(value) ? value.join(',') : value, ts.internal]
    }
    if (Object.keys(md).length) broker.updateMetadata(md, true)
  }

  async function reportToAccount(r: StorageRequest, broker: ContainerBroker, account: string, container: string): Promise<void> {
    const info = broker.getInfo()!
    const stats = { putTimestamp: info.putTimestamp, deleteTimestamp: info.deleteTimestamp, objectCount: info.objectCount, bytesUsed: info.bytesUsed, storagePolicyIndex: info.storagePolicyIndex }
    const result = await accountUpdate(r.req.headers, account, container, stats, { connTimeout: config.connTimeout, nodeTimeout: config.nodeTimeout, log: r.log })
    if (result === 'not-found') throw new HttpError(404)
  }

  /**
   * Object rows merged in one database write (container/object-updates.ts): a status per row.
   * `path` is the decoded /<dev>/<part>/<account>/<container>; `headers` the request's.
   */
  async function mergeObjectRows(path: string, rows: readonly BatchedRow[], headers: IncomingHttpHeaders): Promise<number[]> {
    const [device, part, account, container] = splitBackendPath(path, 4, 4) as [string, string, string, string]
    const broker = await brokerFor(device, account, container)
    const statuses: number[] = []
    const items: { item: ObjectItem; at: number }[] = []
    for (const row of rows) {
      try {
        const rowH = rowHeaders(row)
        items.push({ item: objectItem(row.op, row.name, rowH, checkedPolicy(rowH) || 0), at: statuses.length })
        statuses.push(row.op === 'PUT' ? 201 : 204)
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        statuses.push(err.status)
      }
    }
    const first = items[0]?.item
    if (first) {
      try {
        maybeAutoCreate(headers, broker, Timestamp.parse(first.createdAt), account, container, part, first.storagePolicyIndex)
        broker.mergeItems(items.map((i) => i.item))
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        for (const { at } of items) statuses[at] = err.status
      }
    }
    return statuses
  }

  async function updateBatch(r: StorageRequest): Promise<void> {
    const rows = await readUpdateBatch(r)
    const statuses = await mergeObjectRows(r.path, rows, r.req.headers)
    respond(r.res, 200, { 'Content-Type': 'application/json' }, JSON.stringify({ v: UPDATE_BATCH_FORMAT, statuses }))
  }

  /** The same merge for an object server of this process (common/colocated-servers.ts). */
  const local: LocalContainerServer = {
    async applyUpdates(containerPath, rows, headers) {
      try {
        return await mergeObjectRows(decodePath(containerPath, true), rows, lowerCaseHeaders(headers))
      } catch (err) {
        const httpError = err instanceof HttpError ? err : mapDbError(err)
        if (!httpError) logger.error('local container update failed', { path: containerPath, rows: rows.length, err })
        return rows.map(() => httpError?.status ?? 500)
      }
    },
  }

  const handlers: Record<string, (r: StorageRequest) => Promise<void>> = {
    async PUT(r) {
      const [device, part, account, container, obj] = splitBackendPath(r.path, 4, 5, true) as [string, string, string, string, string | undefined]
      const ts = requireTimestamp(r.req.headers)
      const broker = await brokerFor(device, account, container)
      const requested = checkedPolicy(r.req.headers)
      if (obj !== undefined) {
        const policy = requested || 0
        maybeAutoCreate(r.req.headers, broker, ts, account, container, part, policy)
        broker.putObject(objectItem('PUT', obj, r.req.headers, policy))
        return respond(r.res, 201)
      }
      const fallback = header(r.req.headers, 'x-backend-storage-policy-default')
      const newPolicy = requested ?? (fallback !== undefined && /^\d+$/.test(fallback.trim()) ? Number(fallback) : defaultPolicy)
      const created = updateOrCreate(broker, account, container, part, ts, newPolicy, requested)
      updateMetadata(r, broker, ts)
      // Read before the account update: while it is awaited, other requests run, and a
      // replicator may remove this database (a handoff moved home, a quarantine): reading it
      // after found nothing and answered 500.
      const policyHeader = { 'X-Backend-Storage-Policy-Index': broker.getInfo()!.storagePolicyIndex }
      await reportToAccount(r, broker, account, container)
      if (created) return respond(r.res, 201, policyHeader)
      // swob gives 202 its default explanation body.
      respond(r.res, 202, { ...policyHeader, 'Content-Type': 'text/html; charset=UTF-8' }, defaultBody(202))
    },

    async DELETE(r) {
      const [device, part, account, container, obj] = splitBackendPath(r.path, 4, 5, true) as [string, string, string, string, string | undefined]
      const ts = requireTimestamp(r.req.headers)
      const broker = await brokerFor(device, account, container)
      const policy = checkedPolicy(r.req.headers) || 0
      if (obj !== undefined) {
        maybeAutoCreate(r.req.headers, broker, ts, account, container, part, policy)
        broker.deleteObject(obj, ts.internal, policy)
        return respond(r.res, 204)
      }
      const info = broker.getInfo()
      if (!info) throw new HttpError(404)
      if (!broker.empty()) throw new HttpError(409)
      const existed = Timestamp.parse(info.putTimestamp).ticks > 0 && !broker.isDeletedInfo(info)
      broker.deleteDb(ts.internal, ContainerBroker.KEEP_ON_DELETE)
      if (!broker.isDeleted()) throw new HttpError(409)
      await reportToAccount(r, broker, account, container)
      if (existed) return respond(r.res, 204)
      throw new HttpError(404)
    },

    async POST(r) {
      if (isUpdateBatch(r)) return updateBatch(r)
      const [device, , account, container] = splitBackendPath(r.path, 4, 4) as [string, string, string, string]
      const ts = requireTimestamp(r.req.headers)
      const broker = await brokerFor(device, account, container)
      if (broker.isDeleted()) throw new HttpError(404)
      broker.updatePutTimestamp(ts.internal)
      updateMetadata(r, broker, ts)
      respond(r.res, 204)
    },

    async HEAD(r) {
      const [device, , account, container] = splitBackendPath(r.path, 4, 5, true) as [string, string, string, string]
      const contentType = getListingContentType(getParam(r.query, 'format'), header(r.req.headers, 'accept'))
      const broker = await brokerFor(device, account, container)
      const info = broker.getInfo()
      const deleted = !info || broker.isDeletedInfo(info)
      const headers = infoHeaders(info, deleted)
      if (deleted) throw new HttpError(404, { headers: stringify(headers) })
      visibleMetadata(broker.metadata, headers)
      headers['Content-Type'] = `${contentType}; charset=utf-8`
      headers['Last-Modified'] = Timestamp.parse(info.putTimestamp).httpDate
      respond(r.res, 204, headers)
    },

    async GET(r) {
      const [device, , account, container] = splitBackendPath(r.path, 4, 5, true) as [string, string, string, string]
      const q = r.query
      const params = {
        path: getParam(q, 'path'),
        prefix: getParam(q, 'prefix'),
        delimiter: getParam(q, 'delimiter'),
        marker: getParam(q, 'marker') ?? '',
        endMarker: getParam(q, 'end_marker'),
        reverse: iniBool(getParam(q, 'reverse'), false),
        limit: listingLimit(q, DEFAULT_CONSTRAINTS.containerListingLimit),
        allowReserved: allowsReservedNames(r.req.headers),
      }
      const contentType = getListingContentType(getParam(q, 'format'), header(r.req.headers, 'accept'))
      const broker = await brokerFor(device, account, container)
      const info = broker.getInfo()
      const deleted = !info || broker.isDeletedInfo(info)
      const requested = checkedPolicy(r.req.headers)
      const headers = infoHeaders(info, deleted)
      if (deleted) throw new HttpError(404, { headers: stringify(headers) })
      const policy = requested ?? info.storagePolicyIndex
      headers['X-Backend-Record-Type'] = 'object'
      headers['X-Backend-Record-Storage-Policy-Index'] = policy
      visibleMetadata(broker.metadata, headers)
      const body = contentType.endsWith('/json')
        ? broker.listObjectsJson(params, policy)
        : renderListing(contentType, broker.listObjects(params, policy).map((e) => ('subdir' in e ? e : listingRecord(e))), 'container', container)
      headers['Content-Type'] = `${contentType}; charset=utf-8`
      headers['Last-Modified'] = Timestamp.parse(info.putTimestamp).httpDate
      respond(r.res, body ? 200 : 204, headers, body)
    },
  }

  /** Swift's _update_or_create: whether the container was created (or re-created). */
  function updateOrCreate(broker: ContainerBroker, account: string, container: string, part: string, ts: Timestamp, newPolicy: number, requested: number | undefined): boolean {
    if (broker.initialize(account, container, partitionNumber(part), ts.internal, newPolicy)) return true
    const recreated = broker.isDeleted()
    if (recreated) broker.setStoragePolicyIndex(newPolicy, ts.internal)
    else if (requested !== undefined) {
      const current = broker.getInfo()!.storagePolicyIndex
      if (requested !== current) throw new HttpError(409, { headers: { 'X-Backend-Storage-Policy-Index': String(current) } })
    }
    broker.updatePutTimestamp(ts.internal)
    if (broker.isDeleted()) throw new HttpError(409)
    if (recreated) broker.updateStatusChangedAt(ts.internal)
    return recreated
  }

  const db = createDbServer('container-server', handlers, { config, dbs, logger, newBroker: (store, dbId) => new ContainerBroker(store, dbId) })
  const colocated = options.colocated
  if (!colocated) return db
  let port: number | undefined
  return {
    ...db,
    async listen() {
      port = await db.listen()
      colocated.addContainerServer(config.bindIp, port, local)
      return port
    },
    async close() {
      if (port !== undefined) colocated.removeContainerServer(config.bindIp, port)
      await db.close()
    },
  }
}

function stringify(headers: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]))
}

