// The copy filter in front of slo and dlo, as Swift's pipeline has it: copying a manifest
// (PUT with X-Copy-From, COPY with Destination, and `swift copy`) stores the object it
// assembles as a plain object; ?multipart-manifest=get copies the manifest itself (an SLO
// checked again by slo, a DLO's X-Object-Manifest kept). X-Fresh-Metadata drops the source's
// metadata. Bad copies answer Swift's status and body and store nothing; quotas count the
// assembled size.
import t from 'tap'
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { startCluster } from '../../helpers/cluster.ts'
import { requireCommand } from '../../helpers/require-tool.ts'

const run = promisify(execFile)
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex')

t.test('copying large objects', async (t) => {
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging tempauth copy container-quotas slo dlo proxy-logging proxy-server',
    extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n',
  })
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const h = { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
  const A = '/v1/AUTH_test'
  for (const name of ['segs', 'c', 'd']) t.equal((await c.request('PUT', `${A}/${name}`, { headers: h })).status, 201)
  const parts = [Buffer.alloc(1500, 'a'), Buffer.alloc(700, 'b'), Buffer.from('end')]
  for (const [i, p] of parts.entries()) {
    t.equal((await c.request('PUT', `${A}/segs/p${i}`, { headers: h, body: p })).status, 201)
    t.equal((await c.request('PUT', `${A}/segs/dlo/${i}`, { headers: h, body: p })).status, 201)
  }
  const whole = Buffer.concat(parts)
  const manifest = parts.map((p, i) => ({ path: `/segs/p${i}`, etag: md5(p), size_bytes: p.length }))
  const sloEtag = md5(parts.map((p) => md5(p)).join(''))
  const sloHeaders = { ...h, 'Content-Type': 'text/x-big', 'X-Object-Meta-Color': 'blue', 'Content-Disposition': 'inline' }
  t.equal((await c.request('PUT', `${A}/c/slo?multipart-manifest=put`, { headers: sloHeaders, body: JSON.stringify(manifest) })).status, 201)
  t.equal((await c.request('PUT', `${A}/c/dlo`, { headers: { ...h, 'X-Object-Manifest': 'segs/dlo/', 'X-Object-Meta-Kind': 'dlo' }, body: '' })).status, 201)

  const plainCopyChecks = async (t: Test, path: string) => {
    const get = await c.request('GET', path, { headers: h })
    t.equal(get.status, 200)
    t.same(get.body, whole, 'the assembled bytes')
    t.equal(get.headers.etag, md5(whole), 'a plain object: ETag is the MD5 of its bytes')
    t.notOk(get.headers['x-static-large-object'])
    t.notOk(get.headers['x-object-manifest'])
    const stored = await c.request('GET', `${path}?multipart-manifest=get`, { headers: h })
    t.same(stored.body, whole, 'no manifest behind it')
  }

  await t.test('PUT with X-Copy-From of an SLO stores the assembled object', async (t) => {
    const res = await c.request('PUT', `${A}/d/plain`, { headers: { ...h, 'X-Copy-From': '/c/slo' } })
    t.equal(res.status, 201)
    t.equal(res.headers['x-copied-from'], 'c/slo')
    t.equal(res.headers['x-copied-from-account'], 'AUTH_test')
    t.ok(res.headers['x-copied-from-last-modified'])
    t.equal(res.headers['x-object-meta-color'], 'blue')
    await plainCopyChecks(t, `${A}/d/plain`)
    const head = await c.request('HEAD', `${A}/d/plain`, { headers: h })
    t.equal(head.headers['content-type'], 'text/x-big')
    t.equal(head.headers['x-object-meta-color'], 'blue')
    t.equal(head.headers['content-disposition'], 'inline')
    const listing = JSON.parse((await c.request('GET', `${A}/d?format=json`, { headers: h })).body.toString()) as { name: string; hash: string; bytes: number; slo_etag?: string }[]
    const row = listing.find((r) => r.name === 'plain')
    t.equal(row?.hash, md5(whole), "the listing shows the copy's own ETag")
    t.equal(row?.bytes, whole.length)
    t.notOk(row?.slo_etag, 'not listed as an SLO')
  })

  await t.test('COPY of an SLO and of a DLO stores assembled objects', async (t) => {
    const res = await c.request('COPY', `${A}/c/slo`, { headers: { ...h, Destination: 'd/by-copy' } })
    t.equal(res.status, 201)
    await plainCopyChecks(t, `${A}/d/by-copy`)
    const dlo = await c.request('COPY', `${A}/c/dlo`, { headers: { ...h, Destination: '/d/dlo-copy' } })
    t.equal(dlo.status, 201)
    await plainCopyChecks(t, `${A}/d/dlo-copy`)
    t.equal((await c.request('HEAD', `${A}/d/dlo-copy`, { headers: h })).headers['x-object-meta-kind'], 'dlo')
  })

  await t.test('?multipart-manifest=get copies the manifest itself', async (t) => {
    const res = await c.request('PUT', `${A}/d/slo-manifest?multipart-manifest=get`, { headers: { ...h, 'X-Copy-From': 'c/slo' } })
    t.equal(res.status, 201, res.body.toString())
    const get = await c.request('GET', `${A}/d/slo-manifest`, { headers: h })
    t.equal(get.headers['x-static-large-object'], 'True')
    t.equal(get.headers.etag, `"${sloEtag}"`)
    t.equal(get.headers['content-type'], 'text/x-big')
    t.same(get.body, whole)
    const a = JSON.parse((await c.request('GET', `${A}/c/slo?multipart-manifest=get`, { headers: h })).body.toString()) as { name: string; hash: string; bytes: number }[]
    const b = JSON.parse((await c.request('GET', `${A}/d/slo-manifest?multipart-manifest=get`, { headers: h })).body.toString()) as { name: string; hash: string; bytes: number }[]
    t.same(b.map((s) => [s.name, s.hash, s.bytes]), a.map((s) => [s.name, s.hash, s.bytes]), 'same segments')
    const dlo = await c.request('COPY', `${A}/c/dlo?multipart-manifest=get`, { headers: { ...h, Destination: 'd/dlo-manifest' } })
    t.equal(dlo.status, 201)
    const head = await c.request('HEAD', `${A}/d/dlo-manifest`, { headers: h })
    t.equal(head.headers['x-object-manifest'], 'segs/dlo/')
    t.equal(head.headers['content-length'], String(whole.length))
  })

  await t.test('X-Fresh-Metadata', async (t) => {
    t.equal((await c.request('PUT', `${A}/c/meta`, { headers: { ...h, 'X-Object-Meta-Old': 'o', 'X-Object-Meta-Both': 'source' }, body: 'x' })).status, 201)
    t.equal((await c.request('PUT', `${A}/d/kept`, { headers: { ...h, 'X-Copy-From': 'c/meta', 'X-Object-Meta-Both': 'client' } })).status, 201)
    const kept = await c.request('HEAD', `${A}/d/kept`, { headers: h })
    t.equal(kept.headers['x-object-meta-old'], 'o')
    t.equal(kept.headers['x-object-meta-both'], 'client', "the client's header wins")
    const fresh = await c.request('PUT', `${A}/d/fresh`, { headers: { ...h, 'X-Copy-From': 'c/meta', 'X-Fresh-Metadata': 'true', 'X-Object-Meta-New': 'n' } })
    t.equal(fresh.status, 201)
    t.notOk(fresh.headers['x-object-meta-old'])
    const head = await c.request('HEAD', `${A}/d/fresh`, { headers: h })
    t.notOk(head.headers['x-object-meta-old'], 'source metadata dropped')
    t.notOk(head.headers['x-object-meta-both'])
    t.equal(head.headers['x-object-meta-new'], 'n')
    const copyFresh = await c.request('COPY', `${A}/c/meta`, { headers: { ...h, Destination: 'd/fresh2', 'X-Fresh-Metadata': 'yes' } })
    t.equal(copyFresh.status, 201)
    t.notOk((await c.request('HEAD', `${A}/d/fresh2`, { headers: h })).headers['x-object-meta-old'])
  })

  await t.test('bad copies answer as Swift and store nothing', async (t) => {
    const cases: [string, string, Record<string, string>, number, string][] = [
      ['PUT', `${A}/d/bad1`, { 'X-Copy-From': 'nocontainer' }, 412, 'X-Copy-From header must be of the form <container name>/<object name>'],
      ['COPY', `${A}/c/slo`, {}, 412, 'Destination header required'],
      ['COPY', `${A}/c/slo`, { Destination: '/d' }, 412, 'Destination header must be of the form <container name>/<object name>'],
      ['PUT', `${A}/d/bad2`, { 'X-Copy-From': 'c/slo', 'X-Copy-From-Account': 'a%2Fb' }, 412, 'Account name cannot contain slashes'],
      ['PUT', `${A}/d/bad3`, { 'X-Copy-From': 'c/missing' }, 404, ''],
    ]
    for (const [method, path, headers, status, body] of cases) {
      const res = await c.request(method, path, { headers: { ...h, ...headers } })
      t.equal(res.status, status, `${method} ${JSON.stringify(headers)}`)
      if (body) t.equal(res.body.toString(), body)
    }
    const withBody = await c.request('PUT', `${A}/d/bad4`, { headers: { ...h, 'X-Copy-From': 'c/meta' }, body: 'abc' })
    t.equal(withBody.status, 400)
    t.equal(withBody.body.toString(), 'Copy requests require a zero byte body')
    // An SLO whose first segment is gone: 409 from slo, nothing stored.
    t.equal((await c.request('PUT', `${A}/segs/gone`, { headers: h, body: 'soon gone' })).status, 201)
    t.equal((await c.request('PUT', `${A}/c/broken?multipart-manifest=put`, { headers: h, body: JSON.stringify([{ path: '/segs/gone' }]) })).status, 201)
    t.equal((await c.request('DELETE', `${A}/segs/gone`, { headers: h })).status, 204)
    t.equal((await c.request('PUT', `${A}/d/bad5`, { headers: { ...h, 'X-Copy-From': 'c/broken' } })).status, 409)
    for (const name of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5']) t.equal((await c.request('HEAD', `${A}/d/${name}`, { headers: h })).status, 404, `${name} not stored`)
  })

  await t.test('a quota counts the assembled size of a copied SLO', async (t) => {
    t.equal((await c.request('PUT', `${A}/small`, { headers: { ...h, 'X-Container-Meta-Quota-Bytes': String(whole.length - 1) } })).status, 201)
    const res = await c.request('PUT', `${A}/small/x`, { headers: { ...h, 'X-Copy-From': 'c/dlo' } })
    t.equal(res.status, 413)
    t.equal(res.body.toString(), 'Upload exceeds quota.')
    t.equal((await c.request('HEAD', `${A}/small/x`, { headers: h })).status, 404)
  })

  await t.test('swift copy of an SLO', async (t) => {
    if (!requireCommand(t, '/usr/bin/swift', 'python3-swiftclient')) return
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' }
    const cli = ['-A', `${c.url}/auth/v1.0`, '-U', 'test:tester', '-K', 'testing']
    await run('/usr/bin/swift', [...cli, 'copy', '--destination', '/d/cli-copy', 'c', 'slo'], { env })
    const stat = (await run('/usr/bin/swift', [...cli, 'stat', 'd', 'cli-copy'], { env })).stdout
    t.match(stat, new RegExp(`Content Length: ${whole.length}\\b`))
    t.match(stat, new RegExp(`ETag: ${md5(whole)}`))
    t.notMatch(stat, /Manifest/)
  })
})
