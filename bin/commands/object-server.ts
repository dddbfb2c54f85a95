// `tern object-server <conf>`: the object server of one node. `workers` processes share the
// port through node:cluster (the primary only forks and re-forks); workers = 0 or 1 serves
// from this process.
import cluster from 'node:cluster'
import { once } from 'node:events'
import { createLogger } from '../../common/logger.ts'
import { loadObjectServerConfig } from '../../object/config.ts'
import type { ObjectServerConfig } from '../../object/config.ts'
import { createObjectServer } from '../../object/server.ts'

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
  const logger = createLogger({ stream: process.stdout, level: config.logLevel, bindings: { server: 'object-server', pid: process.pid } })
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, logger)
  const server = createObjectServer(config, logger)
  server.listen(config.bindPort, config.bindIp)
  await once(server, 'listening')
  logger.info('listening', { ip: config.bindIp, port: config.bindPort, devices: config.devices })
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  server.close()
  server.closeAllConnections()
  // A worker's IPC channel would keep it alive.
  cluster.worker?.disconnect()
  return 0
}

async function runPrimary(config: ObjectServerConfig, logger: ReturnType<typeof createLogger>): Promise<number> {
  let stopping = false
  // Disk I/O (open/fsync/rename) runs on libuv's threadpool: 4 threads starve a busy node.
  const env = { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' }
  const fork = () => cluster.fork(env)
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    logger.error('worker died, starting another', { worker: worker.process.pid, code, signal })
    fork()
  })
  for (let i = 0; i < config.workers; i++) fork()
  logger.info('started workers', { workers: config.workers, port: config.bindPort })
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  stopping = true
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined)
  await Promise.all(workers.map(async (w) => {
    const exited = once(w, 'exit')
    w.process.kill('SIGTERM')
    await exited
  }))
  return 0
}
