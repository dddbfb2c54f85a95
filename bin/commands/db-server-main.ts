// Shared body of `tern container-server <conf>` and `tern account-server <conf>`: load the
// config, serve until SIGTERM/SIGINT, close the device databases. One process: RocksDB lets a
// single process open a database and the server keeps every device's database open, so
// `workers` above 1 is reported and not forked (see common/config/db-server-config.ts).
import { createLogger } from '../../common/logger.ts'
import { serverLogStream } from '../log-output.ts'
import { loadDbServerConfig } from '../../common/config/db-server-config.ts'
import type { DbServerType } from '../../common/config/db-server-config.ts'
import { createAccountServer } from '../../account/server.ts'
import { createContainerServer } from '../../container/server.ts'

export async function runDbServer(type: DbServerType, argv: string[]): Promise<number> {
  const usage = `usage: tern ${type}-server <${type}-server.conf>\n\nServes every device under \`devices\` on bind_ip:bind_port (default ${type === 'container' ? 6201 : 6202}).`
  if (argv.includes('--help') || argv.includes('-h') || argv.length !== 1) {
    ;(argv.length === 1 ? console.log : console.error)(usage)
    return argv.length === 1 ? 0 : 2
  }
  let config
  try {
    config = await loadDbServerConfig(argv[0]!, type)
  } catch (err) {
    console.error(`tern ${type}-server: ${(err as Error).message}`)
    return 1
  }
  const logger = createLogger({ stream: serverLogStream(), level: config.logLevel, bindings: { server: `${type}-server`, pid: process.pid } })
  if (config.ignoredWorkers) {
    logger.warn('workers > 1 ignored: one process owns the device databases (RocksDB allows one process per database)', { workers: config.ignoredWorkers })
  }
  const server = type === 'container' ? createContainerServer(config, logger) : createAccountServer(config, logger)
  let port: number
  try {
    port = await server.listen()
  } catch (err) {
    console.error(`tern ${type}-server: cannot listen on ${config.bindIp}:${config.bindPort}: ${(err as Error).message}`)
    return 1
  }
  logger.info('listening', { ip: config.bindIp, port, devices: config.devices })
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  await server.close()
  return 0
}
