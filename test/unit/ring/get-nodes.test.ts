// tern get-nodes: argument handling, secrets from swift.conf, and the --json answer checked
// against the Ring itself.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashPath } from '../../../common/hash-path.ts'
import { hashPathSecretsFromText, resolveSwiftConfPath } from '../../../common/swift-conf.ts'
import { writeRingFileSync } from '../../../ring/io.ts'
import { getNodes, parseGetNodesArgs, pythonQuote } from '../../../ring/get-nodes.ts'
import { Ring } from '../../../ring/ring.ts'
import { makeTestRingData } from '../../helpers/test-ring.ts'

const dir = mkdtempSync(join(tmpdir(), 'tern-get-nodes-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const ringPath = join(dir, 'object.ring.gz')
writeRingFileSync(ringPath, makeTestRingData({ partPower: 8, replicas: 3, seed: 4 }))
const conf = join(dir, 'swift.conf')
writeFileSync(conf, '[swift-hash]\nswift_hash_path_suffix = s3cret\nswift_hash_path_prefix = pré\n')
const secrets = { prefix: 'pré', suffix: 's3cret' }
const env = {}

t.test('--json gives partition, hash, primaries and handoffs as the Ring does', async (t) => {
  const ring = Ring.load(ringPath, { secrets })
  const answer = JSON.parse(getNodes([ringPath, 'AUTH_ü', 'c', 'a/b/ç', '--json', '--swift-conf', conf], env))
  t.same(Object.keys(answer), ['partition', 'hash', 'primaries', 'handoffs'])
  const partition = ring.getPart('AUTH_ü', 'c', 'a/b/ç')
  t.equal(answer.partition, partition)
  t.equal(answer.hash, hashPath(secrets, 'AUTH_ü', 'c', 'a/b/ç'))
  t.same(answer.primaries, ring.getPartNodes(partition))
  const handoffs = [...ring.getMoreNodes(partition)]
  t.same(answer.handoffs, handoffs.slice(0, answer.primaries.length), 'as many handoffs as primaries')
  const all = JSON.parse(getNodes([ringPath, '/AUTH_ü/c/a/b/ç', '--json', '-a', '--swift-conf', conf], env))
  t.same(all.handoffs, handoffs, '--all: every handoff; one slash-separated argument works too')
  t.equal(all.partition, partition)
})

t.test('secrets: flags, --swift-conf, $TERN_SWIFT_CONF', async (t) => {
  const viaFlags = JSON.parse(getNodes([ringPath, 'AUTH_a', '--json', '--hash-path-prefix', 'pré', '--hash-path-suffix', 's3cret'], env))
  const viaEnv = JSON.parse(getNodes([ringPath, 'AUTH_a', '--json'], { TERN_SWIFT_CONF: conf }))
  t.equal(viaFlags.hash, hashPath(secrets, 'AUTH_a'))
  t.same(viaEnv, viaFlags)
  t.equal(resolveSwiftConfPath('/x.conf', { TERN_SWIFT_CONF: '/y.conf' }), '/x.conf')
  t.equal(resolveSwiftConfPath(undefined, { TERN_SWIFT_CONF: '/y.conf' }), '/y.conf')
  t.same(hashPathSecretsFromText('[swift-hash]\nswift_hash_path_suffix = only\n'), { prefix: '', suffix: 'only' })
  t.throws(() => hashPathSecretsFromText('[swift-hash]\n'), { code: 'ERR_SWIFT_CONF' })
  const empty = join(dir, 'empty.conf')
  writeFileSync(empty, '[other]\nx = 1\n')
  t.throws(() => getNodes([ringPath, 'AUTH_a', '--swift-conf', empty], env), { code: 'ERR_SWIFT_CONF' })
  t.throws(() => getNodes([ringPath, 'AUTH_a', '--swift-conf', join(dir, 'missing.conf')], env), { code: 'ERR_SWIFT_CONF' })
})

t.test('usage errors', async (t) => {
  const usage = { code: 'ERR_GET_NODES_USAGE' }
  t.throws(() => parseGetNodesArgs(['AUTH_a', '--swift-conf', conf], env), usage, 'no ring')
  t.throws(() => parseGetNodesArgs([join(dir, 'nope.ring.gz'), 'AUTH_a', '--swift-conf', conf], env), usage, 'missing ring')
  t.throws(() => parseGetNodesArgs([ringPath, '--swift-conf', conf], env), usage, 'no target')
  t.throws(() => parseGetNodesArgs([ringPath, 'a', 'b', 'c', 'd', '--swift-conf', conf], env), usage, 'too many')
  t.throws(() => parseGetNodesArgs([ringPath, '-p', 'x1', '--swift-conf', conf], env), usage, 'bad partition')
  t.throws(() => parseGetNodesArgs([ringPath, '--bogus', '--swift-conf', conf], env), usage, 'unknown option')
  const o = parseGetNodesArgs([ringPath, '-Q', 'AUTH_a/c%20d/e%2Ff', '--swift-conf', conf], env)
  t.same([o.account, o.container, o.object], ['AUTH_a', 'c d', 'e/f'], '-Q unquotes each name')
})

t.test('partition only: no hash, nodes of that partition', async (t) => {
  const ring = Ring.load(ringPath, { secrets })
  const answer = JSON.parse(getNodes([ringPath, '-p', '17', '--json', '--swift-conf', conf], env))
  t.same(answer, { partition: 17, hash: null, primaries: ring.getPartNodes(17), handoffs: [...ring.getMoreNodes(17)].slice(0, answer.primaries.length) })
  const text = getNodes([ringPath, '-p', '17', '--swift-conf', conf], env)
  t.match(text, /^Partition\t17\nHash     \tNone\n/)
  t.match(text, /ls -lah \$\{DEVICE:-\/srv\/node\*\}\/\w+\/objects\/17"/)
})

t.test("Python's urllib quote (expected value printed by /usr/bin/python3 urllib.parse.quote)", async (t) => {
  t.equal(pythonQuote("a b/ç~_.-!*'()?#&+%"), 'a%20b/%C3%A7~_.-%21%2A%27%28%29%3F%23%26%2B%25')
})

t.test('the tern CLI: exit codes and output streams', async (t) => {
  const { spawn } = await import('node:child_process')
  const tern = new URL('../../../bin/tern.ts', import.meta.url).pathname
  const run = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import=tsx', tern, 'get-nodes', ...args], { env: { ...process.env, TERN_SWIFT_CONF: conf } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d))
      child.stderr.on('data', (d: Buffer) => (stderr += d))
      child.on('error', reject)
      child.on('close', (status) => resolve({ status, stdout, stderr }))
    })
  const [ok, bad] = await Promise.all([run(ringPath, 'AUTH_a', 'c', '--json'), run(join(dir, 'nope.ring.gz'), 'AUTH_a')])
  t.equal(ok.status, 0, ok.stderr)
  t.equal(JSON.parse(ok.stdout).hash, hashPath(secrets, 'AUTH_a', 'c'), 'secrets from $TERN_SWIFT_CONF')
  t.equal(bad.status, 1)
  t.match(bad.stderr, /ERROR: Ring file does not exist/)
  t.equal(bad.stdout, '')
})
