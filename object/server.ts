// The object server (Swift: swift/obj/server.py ObjectController): one node:http server for
// every device under `devices`, handlers named after the HTTP verbs behind the single error
// boundary of common/storage-server.ts. REPLICATE (suffix hashes for the replicator) joins
// the METHODS table with the replication issue; the diskfile already records invalidated
// suffixes for it (DiskFileManager.invalidatedSuffixes).
import type http from 'node:http'
import { createStorageServer } from '../common/storage-server.ts'
import type { StorageApp, StorageRequest } from '../common/storage-server.ts'
import { HttpError } from '../common/http/errors.ts'
import { DEFAULT_CONSTRAINTS } from '../common/constraints.ts'
import type { Constraints } from '../common/constraints.ts'
import type { Logger } from '../common/logger.ts'
import type { ObjectServerConfig } from './config.ts'
import { ContainerUpdater } from './container-update.ts'
import type { ObjectServerParts, ObjectRequest } from './context.ts'
import { parseObjectRequest } from './context.ts'
import { FsDiskFileManager } from './diskfile/fs.ts'
import type { DiskFileManager } from './diskfile/types.ts'
import { DELETE } from './delete.ts'
import { GET, HEAD } from './read.ts'
import { POST } from './post.ts'
import { PUT } from './put.ts'
import { REPLICATE, REPLICATION_METHOD_HEADER, SSYNC } from './replicate-handler.ts'
import { handleRecon, isReconRequest } from '../common/recon.ts'
import { DeviceGate } from './device-gate.ts'
import type { ColocatedServers } from '../common/colocated-servers.ts'

type Handler = (parts: ObjectServerParts, request: ObjectRequest) => Promise<void>

const METHODS: Readonly<Record<string, Handler>> = { PUT, GET, HEAD, POST, DELETE }
/**
 * Verbs on /<device>/<partition>[/...] paths, for the replicators (object/replicate-handler.ts).
 * Node's HTTP parser refuses methods it does not know (REPLICATE, SSYNC), so they travel as
 * POST with X-Backend-Replication-Method naming the verb.
 */
const REPLICATION_METHODS: Readonly<Record<string, (parts: ObjectServerParts, sr: StorageRequest) => Promise<void>>> = { REPLICATE, SSYNC }

export interface ObjectServerOptions {
  /** Another diskfile (the memory twin in tests); the fs one over config.devices otherwise. */
  readonly diskfile?: DiskFileManager
  readonly constraints?: Constraints
  /** The servers of this process (a storage node's, in the all-in-one): see common/colocated-servers.ts. */
  readonly colocated?: ColocatedServers
}

export function createObjectApp(config: ObjectServerConfig, logger: Logger, options: ObjectServerOptions = {}): StorageApp & { parts: ObjectServerParts } {
  const diskfile = options.diskfile ?? new FsDiskFileManager({
    devices: config.devices,
    secrets: config.hashPath,
    reclaimAge: config.reclaimAge,
    fallocateReserve: config.fallocateReserve,
  })
  const updater = new ContainerUpdater({
    diskfile,
    secrets: config.hashPath,
    connTimeout: config.connTimeout,
    nodeTimeout: config.nodeTimeout,
    containerUpdateTimeout: config.containerUpdateTimeout,
    expiringObjectsAccount: config.expiringObjectsAccount,
    expiringObjectsContainerDivisor: config.expiringObjectsContainerDivisor,
    logger,
    colocated: options.colocated,
  })
  const parts: ObjectServerParts = {
    config,
    diskfile,
    updater,
    constraints: options.constraints ?? DEFAULT_CONSTRAINTS,
    allowed: new Set(config.allowedHeaders),
  }
  const gate = new DeviceGate(config.maxRequestsPerDevice)
  return {
    name: 'object-server',
    parts,
    async handle(sr: StorageRequest): Promise<void> {
      if (isReconRequest(sr.path)) return handleRecon(sr, config)
      const replication = REPLICATION_METHODS[replicationVerb(sr)]
      if (replication) return replication(parts, sr)
      const handler = METHODS[sr.method]
      if (!handler) throw new HttpError(405, { headers: { Allow: Object.keys(METHODS).join(', ') } })
      const request = parseObjectRequest(sr)
      await gate.run(request.name.device, () => handler(parts, request))
    },
  }
}

function replicationVerb(sr: StorageRequest): string {
  if (sr.method !== 'POST') return ''
  const v = sr.req.headers[REPLICATION_METHOD_HEADER]
  return typeof v === 'string' ? v.toUpperCase() : ''
}

/** The object server's http.Server (not yet listening). */
export function createObjectServer(config: ObjectServerConfig, logger: Logger, options: ObjectServerOptions = {}): http.Server {
  const server = createStorageServer(createObjectApp(config, logger, options), logger)
  // Answer "Expect: 100-continue" only once the PUT has passed its checks (as Swift's
  // wsgi.input does on first read), so a refused PUT never has its body sent.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => server.emit('request', req, res))
  return server
}
