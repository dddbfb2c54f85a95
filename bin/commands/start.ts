// `tern start`: the all-in-one cluster under ./var (or $TERN_HOME), in the foreground.
// Ctrl-C (SIGINT) or SIGTERM stops every server it started.
import { startAllInOne } from '../../all-in-one/start.ts'
import { layoutOptionsFromEnv } from '../../all-in-one/layout.ts'

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: tern start\n\nRuns an all-in-one cluster under ./var (TERN_HOME), proxy on 127.0.0.1:8080.\n' +
      'Environment: TERN_HOME, TERN_BIND_IP, TERN_PROXY_PORT, TERN_PORT_BASE (storage ports base, default 6200).')
    return 0
  }
  let aio
  try {
    aio = await startAllInOne({ ...layoutOptionsFromEnv(process.env, process.cwd()), onEvent: (line) => console.error(`tern: ${line}`) })
  } catch (err) {
    console.error(`tern start: ${(err as Error).message}`)
    return 1
  }
  console.log(aio.banner)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  console.log(`\ntern: ${signal}: stopping every server...`)
  await aio.stop()
  console.log('tern: stopped')
  return 0
}
