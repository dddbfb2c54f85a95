import t from 'tap'
import { MALLOC_TUNABLES, STORAGE_NODE_MALLOC_TUNABLES, withMallocTunables } from '../../../common/malloc-tunables.ts'

function parse(value: string | undefined): Map<string, string> {
  return new Map((value ?? '').split(':').filter(Boolean).map((kv) => kv.split('=') as [string, string]))
}

t.test('adds every tunable when GLIBC_TUNABLES is unset', async (t) => {
  const env = withMallocTunables({ PATH: '/bin' })
  t.equal(env.PATH, '/bin')
  const set = parse(env.GLIBC_TUNABLES)
  t.same([...set.keys()].sort(), Object.keys(MALLOC_TUNABLES).sort())
  for (const [k, v] of Object.entries(MALLOC_TUNABLES)) t.equal(set.get(k), String(v), k)
})

t.test('keeps what the caller set and adds the rest', async (t) => {
  const given = 'glibc.malloc.trim_threshold=1234:glibc.cpu.x86_ibt=off'
  const env = withMallocTunables({ GLIBC_TUNABLES: given })
  const set = parse(env.GLIBC_TUNABLES)
  t.equal(set.get('glibc.malloc.trim_threshold'), '1234')
  t.equal(set.get('glibc.cpu.x86_ibt'), 'off')
  t.equal(set.get('glibc.malloc.top_pad'), String(MALLOC_TUNABLES['glibc.malloc.top_pad']))
  t.ok(env.GLIBC_TUNABLES!.startsWith(given), 'the caller\'s settings come first')
})

t.test('leaves the environment alone when everything is set', async (t) => {
  const all = Object.keys(MALLOC_TUNABLES).map((k) => `${k}=1`).join(':')
  const env = { GLIBC_TUNABLES: all }
  t.equal(withMallocTunables(env), env)
})

t.test('a child started with the tunables runs', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.GLIBC_TUNABLES)'], { env: withMallocTunables(process.env), encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /glibc\.malloc\.trim_threshold=/)
})

t.test('the storage nodes get the same settings and at most 2 arenas, added to what the caller set', async (t) => {
  const env = withMallocTunables({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1' }, STORAGE_NODE_MALLOC_TUNABLES)
  const set = parse(env.GLIBC_TUNABLES)
  t.equal(set.get('glibc.malloc.arena_max'), '2')
  t.equal(set.get('glibc.malloc.trim_threshold'), '1', "the caller's setting wins")
  t.equal(set.get('glibc.malloc.top_pad'), String(MALLOC_TUNABLES['glibc.malloc.top_pad']))
  t.notOk(parse(withMallocTunables({}).GLIBC_TUNABLES).has('glibc.malloc.arena_max'), 'not for the proxy')
})
