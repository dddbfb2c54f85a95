// `tern daemon <name> <conf> [--once] [--set key=value]... [--devices a,b] [--partitions 1,2]`:
// one consistency daemon of a storage node, in the foreground (Swift's swift-object-replicator
// and friends). --once runs a single pass and exits 0 when it succeeded.
import { createLogger } from '../../common/logger.ts'
import { serverLogStream } from '../log-output.ts'
import { runDaemon } from '../../common/daemon.ts'
import { loadDaemonConfig } from '../../replicator/config.ts'
import { DAEMONS } from '../../replicator/daemons.ts'

function usage(): string {
  const lines = ['usage: tern daemon <name|all> <conf> [--once] [--set key=value]... [--devices a,b] [--partitions 1,2]', '', 'daemons:']
  for (const [name, d] of Object.entries(DAEMONS)) lines.push(`  ${name.padEnd(20)} ${d.summary}`)
  return lines.join('\n')
}

export async function run(argv: string[]): Promise<number> {
  const [name, conf, ...rest] = argv
  const names = name === 'all' ? Object.keys(DAEMONS) : name !== undefined && DAEMONS[name] ? [name] : []
  if (names.length === 0 || !conf) {
    console.error(usage())
    return 2
  }
  let once = false
  const overrides: Record<string, string> = {}
  let devices: string[] | undefined
  let partitions: number[] | undefined
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === '--once') once = true
    else if (arg === '--set' && rest[i + 1]?.includes('=')) {
      const kv = rest[++i]!
      overrides[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1)
    } else if (arg === '--devices' && rest[i + 1]) devices = rest[++i]!.split(',')
    else if (arg === '--partitions' && rest[i + 1]) partitions = rest[++i]!.split(',').map(Number)
    else {
      console.error(`tern daemon: unknown argument '${arg}'\n\n${usage()}`)
      return 2
    }
  }
  try {
    const stop = new AbortController()
    process.once('SIGTERM', () => stop.abort())
    process.once('SIGINT', () => stop.abort())
    // "all" runs every daemon of the node in this one process (the all-in-one does).
    await Promise.all(
      names.map(async (daemonName) => {
        const config = await loadDaemonConfig(conf, daemonName, overrides)
        const logger = createLogger({ stream: serverLogStream(), level: config.logLevel, bindings: { server: daemonName, pid: process.pid } })
        const daemon = await DAEMONS[daemonName]!.create({ config, logger, devices, partitions })
        try {
          await runDaemon(daemon, { once, interval: config.interval, logger, reconCachePath: config.reconCachePath, signal: stop.signal })
        } finally {
          await daemon.close?.()
        }
      }),
    )
    return 0
  } catch (err) {
    console.error(`tern daemon ${name}: ${(err as Error).message}`)
    return 1
  }
}
