// `tern all-in-one-server <proxy|object|container|account|node> <conf>`: one server (or, for
// "node", a storage node's three servers) in the foreground, as `tern start` runs its
// children. SIGTERM/SIGINT stop it.
import { once } from 'node:events'
import type http from 'node:http'
import { createLogger } from '../../common/logger.ts'
import { serverLogStream } from '../log-output.ts'
import { loadDbServerConfig } from '../../common/config/db-server-config.ts'
import { createAccountServer } from '../../account/server.ts'
import { createContainerServer } from '../../container/server.ts'
import { loadObjectServerConfig } from '../../object/config.ts'
import { createObjectServer } from '../../object/server.ts'
import { ColocatedServers } from '../../common/colocated-servers.ts'
import { loadProxyConfig } from '../../proxy/config.ts'
import { createProxyServer } from '../../proxy/server.ts'

const USAGE = 'usage: tern all-in-one-server <proxy|object|container|account|node> <conf>\n\n"node" serves the object, container and account servers of one storage node from one process.'

const stopSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve())
    process.once('SIGINT', () => resolve())
  })

export async function run(argv: string[]): Promise<number> {
  const [type, conf] = argv
  if (!type || !conf || argv.length !== 2) {
    console.error(USAGE)
    return 2
  }
  try {
    if (type === 'proxy') {
      const config = loadProxyConfig(conf)
      const logger = createLogger({ stream: serverLogStream(), level: config.logLevel, bindings: { server: 'proxy-server', pid: process.pid } })
      const proxy = createProxyServer(config, logger)
      const address = await proxy.listen()
      logger.info('listening', { ip: address.address, port: address.port })
      await stopSignal()
      await proxy.close()
      return 0
    }
    const kinds = type === 'node' ? (['object', 'container', 'account'] as const) : type === 'object' || type === 'container' || type === 'account' ? ([type] as const) : []
    if (kinds.length) {
      const stops: (() => Promise<void>)[] = []
      // One process, one node: its object server updates its own container server directly.
      const colocated = new ColocatedServers()
      for (const kind of kinds) stops.push(await startStorageServer(kind, conf, colocated))
      await stopSignal()
      await Promise.all(stops.map((stop) => stop()))
      return 0
    }
  } catch (err) {
    console.error(`tern all-in-one-server ${type}: ${(err as Error).message}`)
    return 1
  }
  console.error(USAGE)
  return 2
}

/** Starts one storage server from the node's config; resolves to its stop function. */
async function startStorageServer(kind: 'object' | 'container' | 'account', conf: string, colocated: ColocatedServers): Promise<() => Promise<void>> {
  if (kind === 'object') {
    const config = await loadObjectServerConfig(conf)
    const logger = createLogger({ stream: serverLogStream(), level: config.logLevel, bindings: { server: 'object-server', pid: process.pid } })
    const server: http.Server = createObjectServer(config, logger, { colocated })
    server.listen(config.bindPort, config.bindIp)
    await once(server, 'listening')
    logger.info('listening', { ip: config.bindIp, port: config.bindPort })
    return async () => {
      server.close()
      server.closeAllConnections()
    }
  }
  const config = await loadDbServerConfig(conf, kind)
  const logger = createLogger({ stream: serverLogStream(), level: config.logLevel, bindings: { server: `${kind}-server`, pid: process.pid } })
  const db = kind === 'container' ? createContainerServer(config, logger, { colocated }) : createAccountServer(config, logger)
  const port = await db.listen()
  logger.info('listening', { ip: config.bindIp, port })
  return () => db.close()
}
