// `tern proxy-server <proxy-server.conf>`: the proxy, with `workers` processes sharing the port.
import { createLogger } from '../../common/logger.ts'
import { serverLogStream } from '../log-output.ts'
import { loadProxyConfig } from '../../proxy/config.ts'
import type { ProxyConfig } from '../../proxy/config.ts'
import { createProxyServer } from '../../proxy/server.ts'
import { leaveCluster, stopSignal, superviseWorkers } from '../worker-pool.ts'

const USAGE = 'usage: tern proxy-server <proxy-server.conf>\n\nServes the Swift API (and the pipeline\'s middleware) on bind_ip:bind_port (default 8080).'

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length !== 1) {
    ;(argv.length === 1 ? console.log : console.error)(USAGE)
    return argv.length === 1 ? 0 : 2
  }
  let config: ProxyConfig
  try {
    config = loadProxyConfig(argv[0]!)
  } catch (err) {
    console.error(`tern proxy-server: ${(err as Error).message}`)
    return 1
  }
  const logger = createLogger({ stream: serverLogStream(), level: config.logLevel, bindings: { server: 'proxy-server', pid: process.pid } })
  if (await superviseWorkers(config.workers, logger)) return 0
  const proxy = createProxyServer(config, logger)
  const address = await proxy.listen()
  logger.info('listening', { ip: address.address, port: address.port })
  await stopSignal()
  await proxy.close()
  leaveCluster()
  return 0
}
