// Object versioning with the real swift CLI (python3-swiftclient): `swift list --versions`,
// `swift download --version-id` and `swift delete --version-id`.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startCluster } from '../../helpers/cluster.ts'
import { requireCommand } from '../../helpers/require-tool.ts'

const run = promisify(execFile)
const SWIFT = '/usr/bin/swift'

t.test('object versioning with the swift CLI', async (t) => {
  if (!requireCommand(t, SWIFT, 'python3-swiftclient')) return
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server',
    extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n[filter:versioned_writes]\nallow_versioned_writes = true\nallow_object_versioning = true\n',
  })
  const work = await mkdtemp(join(tmpdir(), 'tern-ov-cli-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' }
  const swift = async (...args: string[]) => (await run(SWIFT, ['-A', `${c.url}/auth/v1.0`, '-U', 'test:tester', '-K', 'testing', ...args], { env, cwd: work })).stdout

  // Set up over HTTP (each CLI run costs seconds on a loaded machine); read back with the CLI.
  const token = (await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })).headers['x-auth-token'] as string
  const h = { 'X-Auth-Token': token }
  t.equal((await c.request('PUT', '/v1/AUTH_test/docs', { headers: { ...h, 'X-Versions-Enabled': 'true' } })).status, 201)
  for (const text of ['first draft\n', 'second draft\n', 'final\n']) {
    // No Content-Type, as `swift upload` sends none.
    t.equal((await c.request('PUT', '/v1/AUTH_test/docs/report.txt', { headers: h, body: text })).status, 201)
  }
  const listed = (await swift('list', '--versions', 'docs')).trim().split('\n')
  t.equal(listed.length, 3, 'three versions listed')
  // The JSON of the same listing, to read version ids in the order the CLI shows them.
  const rows = JSON.parse((await c.request('GET', '/v1/AUTH_test/docs?versions&format=json', { headers: { 'X-Auth-Token': token } })).body.toString()) as { version_id: string; is_latest: boolean }[]
  t.same(rows.map((r) => r.is_latest), [true, false, false])
  for (const [i, row] of rows.entries()) t.match(listed[i], row.version_id, 'the CLI shows each version id')
  const oldest = rows[2]!.version_id
  t.equal(await swift('download', 'docs', 'report.txt', '--version-id', oldest, '-o', '-'), 'first draft\n')

  await swift('delete', 'docs', 'report.txt', '--version-id', oldest)
  const after = JSON.parse((await c.request('GET', '/v1/AUTH_test/docs?versions&format=json', { headers: h })).body.toString()) as { version_id: string; content_type: string }[]
  t.same(after.map((r) => r.version_id), [rows[0]!.version_id, rows[1]!.version_id], 'the CLI deleted that version only')
  // Swift guesses a missing Content-Type from the version object's name, whose "extension" is
  // the inverted timestamp's digits: application/octet-stream.
  t.same(after.map((r) => r.content_type), ['application/octet-stream', 'application/octet-stream'])
})
