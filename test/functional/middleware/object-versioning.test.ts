// Object versioning (X-Versions-Enabled) over raw HTTP on the in-process cluster: versioned
// overwrites and deletes, ?versions listings (order, is_latest, delete markers), version-id
// reads/deletes/re-links, the null version, container HEAD/DELETE and account listings, and
// Swift's answers to bad input. Expected listings follow Swift's functional tests
// (test/functional/test_object_versioning.py).
import t from 'tap'
import { createHash } from 'node:crypto'
import { startCluster } from '../../helpers/cluster.ts'
import type { Cluster } from '../../helpers/cluster.ts'

const md5 = (b: string) => createHash('md5').update(b).digest('hex')
const MARKER = 'application/x-deleted;swift_versions_deleted=1'
type Row = Record<string, unknown>

export const VERSIONING_PIPELINE = 'catch_errors proxy-logging tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server'
export const VERSIONING_INI = '[filter:tempauth]\nuser_test_tester = testing .admin\nuser_test_tester3 = testing3\n[filter:versioned_writes]\nallow_versioned_writes = true\nallow_object_versioning = true\n'

async function login(c: Cluster, user = 'test:tester', key = 'testing'): Promise<Record<string, string>> {
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': user, 'X-Auth-Key': key } })
  return { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
}

t.test('object versioning', async (t) => {
  const c = await startCluster(t, { pipeline: VERSIONING_PIPELINE, extraIni: VERSIONING_INI })
  const h = await login(c)
  const A = '/v1/AUTH_test'
  const list = async (path: string): Promise<Row[]> => {
    const r = await c.request('GET', path, { headers: h })
    t.equal(r.status, 200, `GET ${path}`)
    return JSON.parse(r.body.toString()) as Row[]
  }

  await t.test('/info', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.object_versioning, {})
    t.same(info.versioned_writes, { allowed_flags: ['x-versions-location', 'x-history-location'] })
  })

  await t.test('overwrites keep versions; GET ?version-id reads each', async (t) => {
    t.equal((await c.request('PUT', `${A}/pre`, { headers: h })).status, 201)
    // Written before versioning: the "null" version.
    t.equal((await c.request('PUT', `${A}/pre/obj`, { headers: { ...h, 'Content-Type': 'text/v0' }, body: 'version0' })).status, 201)
    const enable = await c.request('POST', `${A}/pre`, { headers: { ...h, 'X-Versions-Enabled': 'true' } })
    t.equal(enable.status, 204)
    const head = await c.request('HEAD', `${A}/pre`, { headers: h })
    t.equal(head.headers['x-versions-enabled'], 'True')
    t.notOk(Object.keys(head.headers).some((k) => k.includes('sysmeta')))
    const nullRead = await c.request('GET', `${A}/pre/obj`, { headers: h })
    t.equal(nullRead.headers['x-object-version-id'], 'null')
    const ids: string[] = []
    for (const body of ['version1', 'version2']) {
      const put = await c.request('PUT', `${A}/pre/obj`, { headers: { ...h, 'Content-Type': 'text/x' }, body })
      t.equal(put.status, 201)
      t.equal(put.headers.etag, md5(body))
      t.match(put.headers['x-object-version-id'], /^\d{10}\.\d{5}$/)
      ids.push(put.headers['x-object-version-id'] as string)
    }
    const current = await c.request('GET', `${A}/pre/obj`, { headers: h })
    t.equal(current.body.toString(), 'version2')
    t.equal(current.headers['x-object-version-id'], ids[1])
    t.equal(current.headers['content-location'], `${A}/pre/obj?version-id=${ids[1]}`)
    t.equal(current.headers['content-type'], 'text/x')
    t.equal((await c.request('GET', `${A}/pre/obj?version-id=${ids[0]}`, { headers: h })).body.toString(), 'version1')
    const old = await c.request('GET', `${A}/pre/obj?version-id=null`, { headers: h })
    t.equal(old.status, 404, 'the null version was moved into the versions container')
    const listing = await list(`${A}/pre?format=json`)
    t.equal(listing.length, 1)
    t.equal(listing[0]?.bytes, 8)
    t.equal(listing[0]?.hash, md5('version2'))
    t.equal(listing[0]?.version_symlink, true)
    t.equal(listing[0]?.symlink_path, `${A}/pre/obj?version-id=${ids[1]}`)
    const versions = await list(`${A}/pre?versions`)
    t.same(
      versions.map((r) => [r.name, r.version_id === 'null' ? 'null' : ids.indexOf(String(r.version_id)), r.is_latest, r.bytes, r.hash, r.content_type]),
      [
        ['obj', 1, true, 8, md5('version2'), 'text/x'],
        ['obj', 0, false, 8, md5('version1'), 'text/x'],
        ['obj', -1, false, 8, md5('version0'), 'text/v0'],
      ],
    )
  })
})
