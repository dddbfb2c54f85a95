// `tern all-in-one-server <proxy|object|container|account> <conf>`: one server in the
// foreground, for `tern start` to run as a child when this checkout has no dedicated
// `tern <type>-server` command yet (those, when present, are preferred). SIGTERM/SIGINT stop it.
import { once } from 'node:events'
import type http from 'node:http'
import { createLogger } from '../../common/logger.ts'
import { loadDbServerConfig } from '../../common/config/db-server-config.ts'
import { createAccountServer } from '../../account/server.ts'
import { createContainerServer } from '../../container/server.ts'
import { loadObjectServerConfig } from '../../object/config.ts'
import { createObjectServer } from '../../object/server.ts'
import { loadProxyConfig } from '../../proxy/config.ts'
import { createProxyServer } from '../../proxy/server.ts'

const USAGE = 'usage: tern all-in-one-server <proxy|object|container|account> <conf>'

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
      const logger = createLogger({ stream: process.stdout, level: config.logLevel, bindings: { server: 'proxy-server', pid: process.pid } })
      const proxy = createProxyServer(config, logger)
      const address = await proxy.listen()
      logger.info('listening', { ip: address.address, port: address.port })
      await stopSignal()
      await proxy.close()
      return 0
    }
    if (type === 'object') {
      const config = await loadObjectServerConfig(conf)
      const logger = createLogger({ stream: process.stdout, level: config.logLevel, bindings: { server: 'object-server', pid: process.pid } })
      const server: http.Server = createObjectServer(config, logger)
      server.listen(config.bindPort, config.bindIp)
      await once(server, 'listening')
      logger.info('listening', { ip: config.bindIp, port: config.bindPort })
      await stopSignal()
      server.close()
      server.closeAllConnections()
      return 0
    }
    if (type === 'container' || type === 'account') {
      const config = await loadDbServerConfig(conf, type)
      const logger = createLogger({ stream: process.stdout, level: config.logLevel, bindings: { server: `${type}-server`, pid: process.pid } })
      const db = type === 'container' ? createContainerServer(config, logger) : createAccountServer(config, logger)
      const port = await db.listen()
      logger.info('listening', { ip: config.bindIp, port })
      await stopSignal()
      await db.close()
      return 0
    }
  } catch (err) {
    console.error(`tern all-in-one-server ${type}: ${(err as Error).message}`)
    return 1
  }
  console.error(USAGE)
  return 2
}
