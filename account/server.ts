// The account server (Swift: swift/account/server.py AccountController): account
// PUT/HEAD/GET/POST/DELETE and the container rows container servers report with
// PUT /<device>/<partition>/<account>/<container>. All accounts of a device live in that
// device's RocksDB (accounts.db/). REPLICATE (replication issue) will dispatch to the
// broker's getItemsSince/mergeItems.
import { allowsReservedNames } from '../common/http/split-path.ts'
import { checkDevice, respond } from '../common/storage-server.ts'
import type { StorageRequest } from '../common/storage-server.ts'
import { HttpError } from '../common/http/errors.ts'
import { defaultBody } from '../common/http/status.ts'
import { getParam, header, isSysOrUserMeta, listingLimit, partitionNumber, requireTimestamp, splitBackendPath, titleCaseHeader } from '../common/http/backend-params.ts'
import { getListingContentType, listingIsoformat, renderListing } from '../common/listing-format.ts'
import type { ContainerListingRecord, Subdir } from '../common/listing-format.ts'
import { DeviceDatabases } from '../common/db/device-dbs.ts'
import type { Metadata } from '../common/db/broker-base.ts'
import { hashPathDigest } from '../common/hash-path.ts'
import { iniBool } from '../common/config/ini.ts'
import { Timestamp } from '../common/timestamp.ts'
import { DEFAULT_CONSTRAINTS } from '../common/constraints.ts'
import type { DbServerConfig } from '../common/config/db-server-config.ts'
import type { Logger } from '../common/logger.ts'
import { createDbServer } from '../common/db/db-server-shell.ts'
import type { DbServer } from '../common/db/db-server-shell.ts'
import { AccountBroker } from './broker.ts'

const TEXT = { 'Content-Type': 'text/plain' }

export function createAccountServer(config: DbServerConfig, logger: Logger): DbServer {
  const dbs = new DeviceDatabases(config.devices, 'accounts.db')

  async function brokerFor(device: string, account: string): Promise<AccountBroker> {
    await checkDevice(config.devices, device, config.mountCheck)
    const store = await dbs.get(device)
    return new AccountBroker(store, hashPathDigest(config.hashPath, account))
  }

  /** Swift's _deleted_response: X-Account-Status: Deleted when the account is marked deleted. */
  function deletedHeaders(broker: AccountBroker): Record<string, string> {
    return broker.isStatusDeleted() ? { 'X-Account-Status': 'Deleted' } : {}
  }

  /** 404 for a missing or deleted account: an empty body, as Swift's _deleted_response. */
  function notFound(broker: AccountBroker): HttpError {
    return new HttpError(404, { body: '', headers: { ...deletedHeaders(broker), 'Content-Type': 'text/html; charset=utf-8' } })
  }

  /** Swift's account get_response_headers. */
  function infoHeaders(broker: AccountBroker): Record<string, string | number> {
    const info = broker.getInfo()!
    const out: Record<string, string | number> = {
      'X-Account-Container-Count': info.containerCount,
      'X-Account-Object-Count': info.objectCount,
      'X-Account-Bytes-Used': info.bytesUsed,
      'X-Timestamp': Timestamp.parse(info.createdAt).normal,
      'X-PUT-Timestamp': Timestamp.parse(info.putTimestamp).normal,
    }
    for (const [index, containers, objects, bytes] of info.policyStats) {
      const policy = config.policies.find((p) => p.index === index)
      if (!policy) continue
      out[`X-Account-Storage-Policy-${policy.name}-Container-Count`] = containers
      out[`X-Account-Storage-Policy-${policy.name}-Object-Count`] = objects
      out[`X-Account-Storage-Policy-${policy.name}-Bytes-Used`] = bytes
    }
    for (const [key, [value]] of Object.entries(broker.metadata)) if (value !== '') out[key] = value
    return out
  }

  function updateMetadata(r: StorageRequest, broker: AccountBroker, ts: Timestamp): void {
    const md: Metadata = {}
    for (const [key, value] of Object.entries(r.req.headers)) {
      if (value !== undefined && isSysOrUserMeta('account', key)) md[titleCaseHeader(key)] = [Array.isArray(value) ? value.join(',') : value, ts.internal]
    }
    if (Object.keys(md).length) broker.updateMetadata(md, true)
  }

  function requiredTs(r: StorageRequest, name: string): string {
    const raw = header(r.req.headers, name)
    if (raw === undefined) throw new HttpError(400, { body: `Missing ${name} header`, headers: TEXT })
    try {
      return Timestamp.parse(raw).internal
    } catch {
      throw new HttpError(400, { body: `Invalid ${name} header`, headers: TEXT })
    }
  }

  function requiredCount(r: StorageRequest, name: string): number {
    const raw = header(r.req.headers, name)
    if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) throw new HttpError(400, { body: `Missing or invalid ${name} header`, headers: TEXT })
    return Number(raw)
  }

  const handlers: Record<string, (r: StorageRequest) => Promise<void>> = {
    async PUT(r) {
      const [device, part, account, container] = splitBackendPath(r.path, 3, 4) as [string, string, string, string | undefined]
      await checkDevice(config.devices, device, config.mountCheck)
      if (container !== undefined) {
        const ts = header(r.req.headers, 'x-timestamp') === undefined ? Timestamp.now() : requireTimestamp(r.req.headers)
        const policy = Number(header(r.req.headers, 'x-backend-storage-policy-index') ?? 0) || 0
        const broker = await brokerFor(device, account)
        if (account.startsWith(config.autoCreateAccountPrefix) && !broker.exists()) broker.initialize(account, partitionNumber(part), ts.internal)
        const override = (header(r.req.headers, 'x-account-override-deleted') ?? 'no').toLowerCase() === 'yes'
        if (!broker.exists() || (!override && broker.isDeleted())) throw new HttpError(404)
        const put = requiredTs(r, 'x-put-timestamp')
        const del = requiredTs(r, 'x-delete-timestamp')
        broker.putContainer(container, put, del, requiredCount(r, 'x-object-count'), requiredCount(r, 'x-bytes-used'), policy)
        return respond(r.res, Timestamp.parse(del).compare(Timestamp.parse(put)) > 0 ? 204 : 201)
      }
      const ts = requireTimestamp(r.req.headers)
      const broker = await brokerFor(device, account)
      let created: boolean
      if (broker.initialize(account, partitionNumber(part), ts.internal)) created = true
      else if (broker.isStatusDeleted()) {
        throw new HttpError(403, { body: 'Recently deleted', headers: { ...deletedHeaders(broker), 'Content-Type': 'text/html; charset=utf-8' } })
      } else {
        created = broker.isDeleted()
        broker.updatePutTimestamp(ts.internal)
        if (broker.isDeleted()) throw new HttpError(409)
      }
      updateMetadata(r, broker, ts)
      if (created) return respond(r.res, 201)
      // swob gives 202 its default explanation body.
      respond(r.res, 202, { 'Content-Type': 'text/html; charset=UTF-8' }, defaultBody(202))
    },

    async DELETE(r) {
      const [device, , account] = splitBackendPath(r.path, 3, 3) as [string, string, string]
      await checkDevice(config.devices, device, config.mountCheck)
      const ts = requireTimestamp(r.req.headers)
      const broker = await brokerFor(device, account)
      if (broker.isDeleted()) throw notFound(broker)
      broker.deleteDb(ts.internal)
      respond(r.res, 204, { ...deletedHeaders(broker), 'Content-Type': 'text/html; charset=utf-8' })
    },

    async POST(r) {
      const [device, , account] = splitBackendPath(r.path, 3, 3) as [string, string, string]
      const ts = requireTimestamp(r.req.headers)
      const broker = await brokerFor(device, account)
      if (broker.isDeleted()) throw notFound(broker)
      updateMetadata(r, broker, ts)
      respond(r.res, 204)
    },

    async HEAD(r) {
      const [device, , account] = splitBackendPath(r.path, 3, 3) as [string, string, string]
      const contentType = getListingContentType(getParam(r.query, 'format'), header(r.req.headers, 'accept'))
      const broker = await brokerFor(device, account)
      if (broker.isDeleted()) throw notFound(broker)
      respond(r.res, 204, { ...infoHeaders(broker), 'Content-Type': `${contentType}; charset=utf-8` })
    },

    async GET(r) {
      const [device, , account] = splitBackendPath(r.path, 3, 3) as [string, string, string]
      const q = r.query
      const params = {
        prefix: getParam(q, 'prefix'),
        delimiter: getParam(q, 'delimiter'),
        reverse: iniBool(getParam(q, 'reverse'), false),
        limit: listingLimit(q, DEFAULT_CONSTRAINTS.accountListingLimit),
        allowReserved: allowsReservedNames(r.req.headers),
        marker: getParam(q, 'marker') ?? '',
        endMarker: getParam(q, 'end_marker'),
      }
      const contentType = getListingContentType(getParam(q, 'format'), header(r.req.headers, 'accept'))
      const broker = await brokerFor(device, account)
      if (broker.isDeleted()) throw notFound(broker)
      const listing: (ContainerListingRecord | Subdir)[] = broker.listContainers(params).map((e) =>
        'subdir' in e ? e : { name: e.name, count: e.objectCount, bytes: e.bytesUsed, last_modified: listingIsoformat(e.putTimestamp) },
      )
      const headers = { ...infoHeaders(broker), 'Content-Type': `${contentType}; charset=utf-8` }
      const isText = !contentType.endsWith('/xml') && !contentType.endsWith('/json')
      if (isText && listing.length === 0) return respond(r.res, 204, headers)
      respond(r.res, 200, headers, renderListing(contentType, listing, 'account', account))
    },
  }

  return createDbServer('account-server', handlers, { config, dbs, logger, newBroker: (store, dbId) => new AccountBroker(store, dbId) })
}
