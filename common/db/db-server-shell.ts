// What the container and account servers share around the storage-server shell: the handle
// tern's commands and tests hold (listen / close, closing the device databases last), and
// the mapping of the database layer's domain errors to HTTP errors.
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { HttpError } from '../http/errors.ts'
import type { DbServerConfig } from '../config/db-server-config.ts'
import type { Logger } from '../logger.ts'
import { handleRecon, isReconRequest } from '../recon.ts'
import { checkDevice, createStorageServer } from '../storage-server.ts'
import type { StorageApp, StorageRequest } from '../storage-server.ts'
import type { DeviceDatabases } from './device-dbs.ts'
import type { KvStore } from './kv-store.ts'
import { handleDbReplicate, isReplicateRequest } from './replication-rpc.ts'
import type { ReplicaAccess, ReplicaBroker } from './replication-rpc.ts'

const TEXT = { 'Content-Type': 'text/plain' }

export interface DbServer {
  readonly server: http.Server
  readonly dbs: DeviceDatabases
  /** Listens on the configured address (port 0 picks one); resolves to the port. */
  listen(): Promise<number>
  /** Stops accepting, ends idle connections and closes every device database. */
  close(): Promise<void>
}

/** Domain errors of the database layer as HTTP errors (the one error boundary calls this). */
export function mapDbError(err: unknown): HttpError | undefined {
  const code = (err as { code?: unknown })?.code
  if (code === 'ERR_META_TOO_MANY' || code === 'ERR_META_TOO_LARGE') return new HttpError(400, { body: (err as Error).message })
  if (code === 'ERR_DB_NOT_FOUND') return new HttpError(404)
  if (code === 'ERR_TIMESTAMP') return new HttpError(400, { body: (err as Error).message, headers: TEXT })
  return undefined
}

export type DbHandlers = Record<string, (r: StorageRequest) => Promise<void>>

/**
 * A container or account server: the verb handlers behind the shared storage shell, with the
 * replication verb and /recon routed first, and the database errors mapped in one place.
 */
export function createDbServer(
  name: string,
  handlers: DbHandlers,
  options: { config: DbServerConfig; dbs: DeviceDatabases; logger: Logger; newBroker: (store: KvStore, dbId: Buffer) => ReplicaBroker },
): DbServer {
  const { config, dbs } = options
  const replicaAccess: ReplicaAccess = {
    store: async (device) => {
      await checkDevice(config.devices, device, config.mountCheck)
      return dbs.get(device)
    },
    broker: options.newBroker,
    type: name.startsWith('account') ? 'account' : 'container',
    devicePath: (device) => join(config.devices, device),
  }
  const app: StorageApp = {
    name,
    async handle(r) {
      if (isReplicateRequest(r)) return handleDbReplicate(r, replicaAccess)
      if (isReconRequest(r.path)) return handleRecon(r, config)
      const handler = Object.hasOwn(handlers, r.method) ? handlers[r.method] : undefined
      if (!handler) throw new HttpError(405)
      await handler(r)
    },
    mapError: mapDbError,
  }
  return wrapServer(createStorageServer(app, options.logger), dbs, config)
}

function wrapServer(server: http.Server, dbs: DeviceDatabases, config: DbServerConfig): DbServer {
  return {
    server,
    dbs,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(config.bindPort, config.bindIp, () => {
          server.off('error', reject)
          resolve((server.address() as AddressInfo).port)
        })
      }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      await dbs.closeAll()
    },
  }
}

