// `tern object-server <conf>`: the object server of one node. `workers` processes share the
// port through node:cluster (bin/worker-pool.ts); workers = 0 or 1 serves from this process.
import { once } from 'node:events'
import { createLogger } from '../../common/logger.ts'
import { serverLogStream } from '../log-output.ts'
import { loadObjectServerConfig } from '../../object/config.ts'
import type { ObjectServerConfig } from '../../object/config.ts'
import { createObjectServer } from '../../object/server.ts'
import { withIoThreads } from '../../common/io-threads.ts'
import { leaveCluster, stopSignal, superviseWorkers } from '../worker-pool.ts'

const USAGE = 'usage: tern object-server <object-server.conf>\n\nServes every device under `devices` on bind_ip:bind_port (default 6200).'

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length !== 1) {
    ;(argv.length === 1 ? console.log : console.error)(USAGE)
    return argv.length === 1 ? 0 : 2
  }
  let config: ObjectServerConfig
  try {
    config = await loadObjectServerConfig(argv[0]!)
  } catch (err) {
    console.error(`tern object-server: ${(err as Error).message}`)
    return 1
  }
  const logger = createLogger({ stream: serverLogStream(), level: config.logLevel, bindings: { server: 'object-server', pid: process.pid } })
  // Disk I/O (open/fsync/rename) runs on libuv's threadpool, sized only at process start.
  if (await superviseWorkers(config.workers, logger, { UV_THREADPOOL_SIZE: withIoThreads(process.env).UV_THREADPOOL_SIZE! })) return 0
  if (!process.env.UV_THREADPOOL_SIZE) logger.warn('UV_THREADPOOL_SIZE is not set: 4 I/O threads serve every device (set it, or run workers >= 2)')
  const server = createObjectServer(config, logger)
  server.listen(config.bindPort, config.bindIp)
  await once(server, 'listening')
  logger.info('listening', { ip: config.bindIp, port: config.bindPort, devices: config.devices })
  await stopSignal()
  server.close()
  server.closeAllConnections()
  leaveCluster()
  return 0
}
