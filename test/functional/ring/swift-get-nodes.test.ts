// `tern get-nodes` prints what Swift 2.30's swift-get-nodes prints, line for line, on a ring
// written by Tern (regions, zones, an IPv6 server). swift-get-nodes reads the hash secrets from -d <dir>/swift.conf,
// tern from --swift-conf <dir>/swift.conf: the same file, outside /etc.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireCommand, SYSTEM_PYTHON } from '../../helpers/require-tool.ts'
import { getNodes } from '../../../ring/get-nodes.ts'
import { writeRingFileSync } from '../../../ring/io.ts'
import { makeTestRingData } from '../../helpers/test-ring.ts'

const RUNNER = new URL('./run-swift-get-nodes.py', import.meta.url).pathname

t.test('same output as swift-get-nodes', async (t) => {
  if (!requireCommand(t, '/usr/bin/swift-get-nodes', 'swift')) return
  const dir = mkdtempSync(join(tmpdir(), 'tern-get-nodes-swift-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const conf = join(dir, 'swift.conf')
  writeFileSync(conf, '[swift-hash]\nswift_hash_path_suffix = sufx\nswift_hash_path_prefix = préfix\n')
  const data = makeTestRingData({ partPower: 8, replicas: 3, seed: 21 })
  const ipv6 = data.devs[2]
  if (ipv6) ipv6.ip = 'fe80::1' // curl lines bracket IPv6 addresses
  writeRingFileSync(join(dir, 'object.ring.gz'), data)
  for (const name of ['object-1', 'container', 'account']) copyFileSync(join(dir, 'object.ring.gz'), join(dir, `${name}.ring.gz`))

  const ring = (name: string) => join(dir, `${name}.ring.gz`)
  const cases: string[][] = [
    [ring('object'), 'AUTH_tést', 'c ont', 'o/b j?#'],
    [ring('object'), '-a', 'AUTH_test', 'photos', '中文/😀.jpg'],
    [ring('object-1'), 'AUTH_test', 'c', 'o'],
    [ring('object-1'), '-p', '17'],
    [ring('container'), '/AUTH_test/cont/'],
    [ring('account'), 'AUTH_test'],
    [ring('object'), '-p', '200', 'AUTH_test', 'c', 'o'],
    [ring('object'), 'AUTH_test'],
    [ring('container'), '-Q', 'AUTH_t%C3%A9st', 'c%2Fd'],
  ]
  const runner = spawnSync(SYSTEM_PYTHON, [RUNNER], { cwd: dir, input: JSON.stringify(cases.map((args) => ['-d', dir, ...args])), encoding: 'utf8' })
  t.equal(runner.status, 0, `swift-get-nodes ran ${runner.stderr}`)
  const swiftOutputs = JSON.parse(runner.stdout) as string[]
  cases.forEach((args, i) => {
    const ours = getNodes([...args, '--swift-conf', conf], {})
    t.equal(ours, swiftOutputs[i], `swift-get-nodes ${args.slice(1).join(' ')} (${args[0]?.split('/').pop()})`)
  })
})
