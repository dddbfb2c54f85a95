// `tern <command> ...`: the umbrella CLI. Each command lives in its own module under
// bin/commands/ and exports `run(argv): Promise<number>` (the exit code).
const commands: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  start: {
    summary: 'run an all-in-one cluster under ./var (proxy on 127.0.0.1:8080)',
    load: () => import('./commands/start.ts'),
  },
  'all-in-one-server': {
    summary: 'run one server (proxy|object|container|account) with <conf>, as tern start does',
    load: () => import('./commands/all-in-one-server.ts'),
  },
  'proxy-server': {
    summary: 'run the proxy (tern proxy-server <proxy-server.conf>)',
    load: () => import('./commands/proxy-server.ts'),
  },
  'object-server': {
    summary: 'run the object server of one node (tern object-server <object-server.conf>)',
    load: () => import('./commands/object-server.ts'),
  },
  'container-server': {
    summary: 'run the container server of one node (tern container-server <container-server.conf>)',
    load: () => import('./commands/container-server.ts'),
  },
  'account-server': {
    summary: 'run the account server of one node (tern account-server <account-server.conf>)',
    load: () => import('./commands/account-server.ts'),
  },
  daemon: {
    summary: 'run a consistency daemon of a node (tern daemon object-replicator <conf> [--once])',
    load: () => import('./commands/daemon.ts'),
  },
  'get-nodes': {
    summary: 'show the partition, primaries and handoffs of an account, container or object',
    load: () => import('./commands/get-nodes.ts'),
  },
}

function usage(): string {
  const lines = ['usage: tern <command> [options]', '', 'commands:']
  const width = Math.max(...Object.keys(commands).map((n) => n.length))
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(width)}  ${c.summary}`)
  return lines.join('\n')
}

const [name, ...rest] = process.argv.slice(2)
if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
  console.log(usage())
  process.exit(name === undefined ? 2 : 0)
}
const command = commands[name]
if (!command) {
  console.error(`tern: unknown command '${name}'\n\n${usage()}`)
  process.exit(2)
}
process.exitCode = await (await command.load()).run(rest)
