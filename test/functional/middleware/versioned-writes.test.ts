// Legacy versioned writes (X-Versions-Location stack mode, X-History-Location history mode)
// over raw HTTP on the in-process cluster, with Swift's archive names and answers
// (swift/common/middleware/versioned_writes/legacy.py, test/functional/test_versioned_writes.py),
// and a session recorded against Debian's Swift 2.30.1 (test/fixtures/versioning) replayed.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { silentLogger } from '../../../common/logger.ts'
import { parseProxyConfigText } from '../../../proxy/config.ts'
import { buildPipeline } from '../../../proxy/pipeline.ts'
import { startCluster } from '../../helpers/cluster.ts'
import type { Cluster } from '../../helpers/cluster.ts'
import type { Step } from '../../fixtures/versioning/scenario.ts'
import { runLegacyScenario } from '../../fixtures/versioning/scenario.ts'

const PIPELINE = 'catch_errors proxy-logging tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server'
const users = '[filter:tempauth]\nuser_test_tester = testing .admin\nuser_test_tester3 = testing3\n'
type Row = { name: string; content_type: string; bytes: number }

/** Swift's archive name: 3 hex digits of the name's UTF-8 length, the name, "/", the timestamp. */
const archivePrefix = (name: string) => `${Buffer.byteLength(name).toString(16).padStart(3, '0')}${name}/`

async function login(c: Cluster, user: string, key: string): Promise<Record<string, string>> {
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': user, 'X-Auth-Key': key } })
  return { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
}

t.test('legacy versioned writes', async (t) => {
  const c = await startCluster(t, { pipeline: PIPELINE, extraIni: `${users}[filter:versioned_writes]\nallow_versioned_writes = true\n` })
  const h = await login(c, 'test:tester', 'testing')
  const A = '/v1/AUTH_test'
  const listing = async (container: string, prefix = ''): Promise<Row[]> => {
    const r = await c.request('GET', `${A}/${container}?format=json&prefix=${encodeURIComponent(prefix)}`, { headers: h })
    return r.status === 200 ? (JSON.parse(r.body.toString()) as Row[]) : []
  }
  const body = async (path: string) => {
    const r = await c.request('GET', path, { headers: h })
    return r.status === 200 ? r.body.toString() : r.status
  }

  await t.test('the recorded Swift 2.30.1 session gets the same answers', async (t) => {
    const swift = JSON.parse(await readFile(new URL('../../fixtures/versioning/swift-2.30.1-legacy.json', import.meta.url), 'utf8')) as Step[]
    // A name as long as the recorded one, so that lengths compare too.
    const tern = await runLegacyScenario(c.url, h['X-Auth-Token']!, 'vw-1700000000000')
    t.equal(tern.length, swift.length)
    // Tern's proxy sends no Content-Type/-Length with a 204, its object controller's 404 to
    // a DELETE has no text/html type, and a container HEAD's 404 counts the body it does not
    // send (true of every container, versioned or not).
    const core = (s: Step): Step => {
      const headers = { ...s.headers }
      if (s.status === 204 || (s.method === 'HEAD' && s.status === 404)) delete headers['content-length']
      if (s.status === 204 || (s.method === 'DELETE' && s.status === 404)) delete headers['content-type']
      return { ...s, headers }
    }
    for (const [i, want] of swift.entries()) t.same(core(tern[i] ?? want), core(want), want.step)
  })

  await t.test('/info', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.versioned_writes, { allowed_flags: ['x-versions-location', 'x-history-location'] })
    t.equal(info.object_versioning, undefined, 'object versioning only with allow_object_versioning')
  })

  await t.test('stack mode: overwrites archive, DELETE restores the previous version', async (t) => {
    t.equal((await c.request('PUT', `${A}/stack-archive`, { headers: h })).status, 201)
    const put = await c.request('PUT', `${A}/stack`, { headers: { ...h, 'X-Versions-Location': 'stack-archive' } })
    t.equal(put.status, 201)
    const head = await c.request('HEAD', `${A}/stack`, { headers: h })
    t.equal(head.headers['x-versions-location'], 'stack-archive')
    t.equal(head.headers['x-history-location'], undefined)
    const name = 'dir/ünïcode'
    const path = `${A}/stack/${encodeURIComponent(name)}`
    const stamps: string[] = []
    for (const v of ['one', 'two', 'three']) {
      t.equal((await c.request('PUT', path, { headers: { ...h, 'Content-Type': `text/${v}`, 'X-Object-Meta-V': v }, body: v })).status, 201)
      stamps.push((await c.request('HEAD', path, { headers: h })).headers['x-timestamp'] as string)
    }
    const archived = await listing('stack-archive')
    t.same(archived.map((r) => r.name), [`${archivePrefix(name)}${stamps[0]}`, `${archivePrefix(name)}${stamps[1]}`])
    t.same(archived.map((r) => r.content_type), ['text/one', 'text/two'], 'metadata is archived with the data')
    const oldest = await c.request('GET', `${A}/stack-archive/${encodeURIComponent(archived[0]!.name)}`, { headers: h })
    t.equal(oldest.body.toString(), 'one')
    t.equal(oldest.headers['x-object-meta-v'], 'one')
    t.equal((await c.request('POST', path, { headers: { ...h, 'X-Object-Meta-V': 'posted' } })).status, 202)
    t.equal((await listing('stack-archive')).length, 2, 'a POST makes no version')

    t.equal((await c.request('DELETE', path, { headers: h })).status, 204)
    t.equal(await body(path), 'two')
    t.equal((await c.request('HEAD', path, { headers: h })).headers['x-object-meta-v'], 'two')
    t.equal((await listing('stack-archive')).length, 1)
    t.equal((await c.request('DELETE', path, { headers: h })).status, 204)
    t.equal(await body(path), 'one')
    t.equal((await c.request('DELETE', path, { headers: h })).status, 204)
    t.equal(await body(path), 404)
    t.equal((await listing('stack-archive')).length, 0)
    // Restore by COPY from the archive, as Swift's docs describe.
    t.equal((await c.request('PUT', path, { headers: h, body: 'four' })).status, 201)
    t.equal((await c.request('PUT', path, { headers: h, body: 'five' })).status, 201)
    const [copy] = await listing('stack-archive')
    t.equal((await c.request('COPY', `${A}/stack-archive/${encodeURIComponent(copy!.name)}`, { headers: { ...h, Destination: `stack/${encodeURIComponent(name)}` } })).status, 201)
    t.equal(await body(path), 'four')
    t.equal((await listing('stack-archive')).length, 2, 'the copy archived "five"')
  })

  await t.test('history mode: every version kept, DELETE leaves a marker and no object', async (t) => {
    t.equal((await c.request('PUT', `${A}/hist-archive`, { headers: h })).status, 201)
    t.equal((await c.request('PUT', `${A}/hist`, { headers: { ...h, 'X-History-Location': 'hist-archive' } })).status, 201)
    const head = await c.request('HEAD', `${A}/hist`, { headers: h })
    t.equal(head.headers['x-history-location'], 'hist-archive')
    t.equal(head.headers['x-versions-location'], undefined)
    for (const v of ['a', 'b']) t.equal((await c.request('PUT', `${A}/hist/obj`, { headers: h, body: v })).status, 201)
    t.equal((await c.request('DELETE', `${A}/hist/obj`, { headers: h })).status, 204)
    t.equal(await body(`${A}/hist/obj`), 404)
    const rows = await listing('hist-archive')
    t.same(rows.map((r) => [r.name.slice(0, archivePrefix('obj').length), r.content_type, r.bytes]), [
      ['003obj/', 'application/octet-stream', 1],
      ['003obj/', 'application/octet-stream', 1],
      ['003obj/', 'application/x-deleted;swift_versions_deleted=1', 0],
    ])
    t.equal((await c.request('DELETE', `${A}/hist/obj`, { headers: h })).status, 404)
    t.equal((await listing('hist-archive')).length, 4, 'a DELETE of nothing still writes a marker')
    // Turning versioning off.
    t.equal((await c.request('POST', `${A}/hist`, { headers: { ...h, 'X-Remove-History-Location': 'x' } })).status, 204)
    t.equal((await c.request('HEAD', `${A}/hist`, { headers: h })).headers['x-history-location'], undefined)
    t.equal((await c.request('PUT', `${A}/hist/obj`, { headers: h, body: 'c' })).status, 201)
    t.equal((await c.request('PUT', `${A}/hist/obj`, { headers: h, body: 'd' })).status, 201)
    t.equal((await listing('hist-archive')).length, 4)
  })

  await t.test('stack mode after a history marker restores the data before it', async (t) => {
    t.equal((await c.request('PUT', `${A}/mixed-archive`, { headers: h })).status, 201)
    t.equal((await c.request('PUT', `${A}/mixed`, { headers: { ...h, 'X-History-Location': 'mixed-archive' } })).status, 201)
    t.equal((await c.request('PUT', `${A}/mixed/o`, { headers: h, body: 'first' })).status, 201)
    t.equal((await c.request('PUT', `${A}/mixed/o`, { headers: h, body: 'second' })).status, 201)
    t.equal((await c.request('DELETE', `${A}/mixed/o`, { headers: h })).status, 204)
    t.equal((await c.request('POST', `${A}/mixed`, { headers: { ...h, 'X-Versions-Location': 'mixed-archive' } })).status, 204)
    t.equal((await c.request('DELETE', `${A}/mixed/o`, { headers: h })).status, 204)
    t.equal(await body(`${A}/mixed/o`), 'second', 'the version before the marker came back')
    t.same((await listing('mixed-archive')).map((r) => r.content_type), ['application/octet-stream'], 'marker and restored copy are gone')
  })

  await t.test('bad input: Swift statuses, nothing created', async (t) => {
    const both = await c.request('PUT', `${A}/both`, { headers: { ...h, 'X-Versions-Location': 'a', 'X-History-Location': 'b' } })
    t.equal(both.status, 400)
    t.equal(both.body.toString(), 'Only one of x-versions-location or x-history-location may be specified')
    t.equal((await c.request('HEAD', `${A}/both`, { headers: h })).status, 404, 'no container made')
    const slash = await c.request('PUT', `${A}/slash`, { headers: { ...h, 'X-Versions-Location': 'a/b' } })
    t.equal(slash.status, 412)
    t.equal(slash.body.toString(), 'Container name cannot contain slashes')
    t.equal((await c.request('HEAD', `${A}/slash`, { headers: h })).status, 404)
    // An archive container that does not exist: the first write works, an overwrite is refused.
    t.equal((await c.request('PUT', `${A}/noarchive`, { headers: { ...h, 'X-Versions-Location': 'missing-archive' } })).status, 201)
    t.equal((await c.request('PUT', `${A}/noarchive/o`, { headers: h, body: 'v1' })).status, 201)
    t.equal((await c.request('PUT', `${A}/noarchive/o`, { headers: h, body: 'v2' })).status, 412)
    t.equal(await body(`${A}/noarchive/o`), 'v1', 'the refused overwrite changed nothing')
    t.equal((await c.request('HEAD', `${A}/missing-archive`, { headers: h })).status, 404)
    // A user who may write the versioned container but not the archive.
    t.equal((await c.request('PUT', `${A}/locked-archive`, { headers: h })).status, 201)
    t.equal((await c.request('PUT', `${A}/shared`, { headers: { ...h, 'X-Versions-Location': 'locked-archive', 'X-Container-Write': 'test:tester3', 'X-Container-Read': 'test:tester3' } })).status, 201)
    const h3 = await login(c, 'test:tester3', 'testing3')
    t.equal((await c.request('PUT', `${A}/shared/o`, { headers: h3, body: 'v1' })).status, 201)
    t.equal((await c.request('PUT', `${A}/shared/o`, { headers: h3, body: 'v2' })).status, 201, 'archive copies are made on the cluster\'s behalf')
    t.equal((await listing('locked-archive')).length, 1)
    const h3other = await c.request('PUT', `${A}/stack/x`, { headers: h3, body: 'x' })
    t.equal(h3other.status, 403, 'no write access, no archive copy')
  })
})

t.test('allow_versioned_writes = false refuses the headers with 412', async (t) => {
  const c = await startCluster(t, { pipeline: PIPELINE, extraIni: `${users}[filter:versioned_writes]\nallow_versioned_writes = false\n` })
  const h = await login(c, 'test:tester', 'testing')
  const r = await c.request('PUT', '/v1/AUTH_test/c', { headers: { ...h, 'X-Versions-Location': 'archive' } })
  t.equal(r.status, 412)
  t.equal(r.body.toString(), 'Versioned Writes is disabled')
  t.equal((await c.request('HEAD', '/v1/AUTH_test/c', { headers: h })).status, 404)
  const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
  t.equal(info.versioned_writes, undefined)
})

t.test('object versioning refuses a pipeline without symlink, as Swift does', async (t) => {
  const conf = (pipeline: string) =>
    parseProxyConfigText(`[pipeline:main]\npipeline = ${pipeline}\n[app:proxy-server]\n[filter:versioned_writes]\nallow_versioned_writes = true\nallow_object_versioning = true\n`)
  const app = async () => undefined
  t.throws(() => buildPipeline({ config: conf('catch_errors versioned_writes proxy-server'), deps: { logger: silentLogger }, app }), { code: 'ERR_PROXY_PIPELINE', message: 'object versioning requires symlinks' })
  t.ok(buildPipeline({ config: conf('catch_errors versioned_writes symlink proxy-server'), deps: { logger: silentLogger }, app }))
})
