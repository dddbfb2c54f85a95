// `tern get-nodes`: thin wrapper over ring/get-nodes.ts.
import { GET_NODES_USAGE, getNodes } from '../../ring/get-nodes.ts'

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(GET_NODES_USAGE + '\n')
    return 0
  }
  try {
    process.stdout.write(getNodes(argv))
    return 0
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e.code === 'ERR_GET_NODES_USAGE') {
      process.stderr.write(`${GET_NODES_USAGE}\n\nERROR: ${e.message}\n`)
      return 1
    }
    if (e.code === 'ERR_SWIFT_CONF' || e.code === 'ERR_RING_FORMAT' || e.code === 'ERR_RING_VERSION' || e.code === 'ERR_HASH_PATH') {
      process.stderr.write(`ERROR: ${e.message}\n`)
      return 1
    }
    throw err
  }
}
