// Bulk with real clients: `swift delete <container>` (python3-swiftclient) switches to
// ?bulk-delete when /info lists bulk_delete and there are enough objects, and curl uploads a
// .tar.gz made by GNU tar to ?extract-archive.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startCluster } from '../../helpers/cluster.ts'
import { requireCommand } from '../../helpers/require-tool.ts'

const run = promisify(execFile)
const SWIFT = '/usr/bin/swift'

t.test('bulk with swift and curl', async (t) => {
  if (!requireCommand(t, SWIFT, 'python3-swiftclient') || !requireCommand(t, '/usr/bin/curl', 'curl') || !requireCommand(t, '/usr/bin/tar', 'tar')) return
  const c = await startCluster(t, { pipeline: 'catch_errors proxy-logging bulk tempauth slo dlo proxy-logging proxy-server', extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n' })
  const work = await mkdtemp(join(tmpdir(), 'tern-bulk-cli-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const token = (await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })).headers['x-auth-token'] as string
  const h = { 'X-Auth-Token': token }

  // 25 files in two folders, archived by GNU tar and extracted as container "site".
  await mkdir(join(work, 'site', 'a'), { recursive: true })
  await mkdir(join(work, 'site', 'b'), { recursive: true })
  for (let i = 0; i < 25; i++) await writeFile(join(work, 'site', i % 2 ? 'a' : 'b', `f${i}.txt`), `file ${i}`)
  await run('/usr/bin/tar', ['-czf', 'site.tar.gz', 'site'], { cwd: work })
  const curl = await run('/usr/bin/curl', ['-sS', '-X', 'PUT', '-H', `X-Auth-Token: ${token}`, '-H', 'Accept: application/json', '--data-binary', '@site.tar.gz', `${c.url}/v1/AUTH_test?extract-archive=tar.gz`], { cwd: work })
  t.same(JSON.parse(curl.stdout), { 'Response Status': '201 Created', 'Response Body': '', 'Number Files Created': 25, Errors: [] })
  t.equal((await c.request('GET', '/v1/AUTH_test/site/a/f1.txt', { headers: h })).body.toString(), 'file 1')

  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' }
  const del = await run(SWIFT, ['--debug', '-A', `${c.url}/auth/v1.0`, '-U', 'test:tester', '-K', 'testing', 'delete', 'site'], { env, cwd: work, maxBuffer: 16 * 1024 * 1024 })
  t.match(del.stderr, /bulk-delete/, 'swift used bulk delete')
  t.equal((await c.request('HEAD', '/v1/AUTH_test/site', { headers: h })).status, 404, 'objects and container gone')
})
