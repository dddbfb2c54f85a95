// What each all-in-one process is started with: the proxy's V8 heap growth bound, the storage
// nodes' main-thread GC and their malloc arena cap (see all-in-one/start.ts and
// common/malloc-tunables.ts for the measurements behind each).
import t from 'tap'
import { nodeSpec, serverCommand } from '../../../all-in-one/start.ts'

const node = {
  index: 1,
  name: 'node1',
  devicesDir: '/tmp/none/node1',
  device: 'sdb1',
  configPath: '/tmp/none/node1.conf',
  ports: { object: 1, container: 2, account: 3 },
}

function tunables(env: NodeJS.ProcessEnv | undefined): Map<string, string> {
  return new Map((env?.GLIBC_TUNABLES ?? '').split(':').filter(Boolean).map((kv) => kv.split('=') as [string, string]))
}

t.test('the proxy bounds its old space growth; the nodes do not', async (t) => {
  const proxy = serverCommand('proxy', '/tmp/none/proxy.conf')
  t.ok(proxy.args.includes('--heap-growing-percent=50'))
  t.notOk(proxy.args.includes('--single-threaded-gc'))
  const n = nodeSpec(node)
  t.notOk(n.args.includes('--heap-growing-percent=50'))
  t.ok(n.args.includes('--single-threaded-gc'))
})

t.test('the nodes run with at most 2 malloc arenas and the shared malloc settings', async (t) => {
  const n = tunables(nodeSpec(node).env)
  t.equal(n.get('glibc.malloc.arena_max'), '2')
  t.ok(n.has('glibc.malloc.trim_threshold'), 'and the settings every server gets')
})

t.test('the nodes and the proxy expose gc() for the young-generation pacing; the nodes use 4 MiB semispaces', async (t) => {
  const proxy = serverCommand('proxy', '/tmp/none/proxy.conf')
  t.ok(proxy.args.includes('--expose-gc'))
  const n = nodeSpec(node)
  t.ok(n.args.includes('--expose-gc'))
  // V8 takes the last of a repeated flag.
  const semispace = n.args.filter((a) => a.startsWith('--max-semi-space-size=')).at(-1)
  t.equal(semispace, '--max-semi-space-size=4')
})

t.test('every server optimizes its request paths after a small interrupt budget', async (t) => {
  for (const spec of [serverCommand('proxy', '/tmp/none/proxy.conf'), nodeSpec(node)]) {
    t.equal(spec.args.filter((a) => a.startsWith('--interrupt-budget=')).at(-1), '--interrupt-budget=4096')
    // The flags come before the script: after it they would be the script's arguments.
    t.ok(spec.args.indexOf('--interrupt-budget=4096') < spec.args.findIndex((a) => /tern\.(js|ts)$/.test(a)))
  }
})
