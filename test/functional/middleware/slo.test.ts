// Static and dynamic large objects over raw HTTP against the in-process cluster: manifest
// validation with Swift's error bodies (nothing stored), GET in order with Swift's ETag,
// ranges across segments, nested manifests, ?multipart-manifest=get/delete, broken segments.
import t from 'tap'
import { createHash } from 'node:crypto'
import { startCluster } from '../../helpers/cluster.ts'

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex')

t.test('SLO and DLO', async (t) => {
  const c = await startCluster(t, { pipeline: 'catch_errors proxy-logging slo dlo proxy-logging proxy-server' })
  const A = '/v1/AUTH_test'
  t.equal((await c.request('PUT', `${A}/segs`)).status, 201)
  t.equal((await c.request('PUT', `${A}/c`)).status, 201)
  const parts = [Buffer.alloc(1000, 'a'), Buffer.alloc(2000, 'b'), Buffer.from('tail-bytes')]
  for (const [i, p] of parts.entries()) t.equal((await c.request('PUT', `${A}/segs/part-${i}`, { body: p })).status, 201)
  const whole = Buffer.concat(parts)
  const manifest = parts.map((p, i) => ({ path: `/segs/part-${i}`, etag: md5(p), size_bytes: p.length }))
  const expectedEtag = md5(parts.map((p) => md5(p)).join(''))

  await t.test('/info lists slo with its settings', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, Record<string, unknown>>
    t.same(info.slo, { max_manifest_segments: 1000, max_manifest_size: 8 * 1024 * 1024, yield_frequency: 10, min_segment_size: 1, allow_async_delete: false })
  })

  await t.test('manifest PUT and GET', async (t) => {
    const put = await c.request('PUT', `${A}/c/big?multipart-manifest=put`, { body: JSON.stringify(manifest), headers: { 'X-Object-Meta-Color': 'blue', 'Content-Type': 'text/plain' } })
    t.equal(put.status, 201, put.body.toString())
    t.equal(put.headers.etag, `"${expectedEtag}"`)
    const get = await c.request('GET', `${A}/c/big`)
    t.equal(get.status, 200)
    t.equal(md5(get.body), md5(whole))
    t.equal(get.headers.etag, `"${expectedEtag}"`)
    t.equal(get.headers['content-length'], String(whole.length))
    t.equal(get.headers['content-type'], 'text/plain')
    t.equal(get.headers['x-static-large-object'], 'True')
    t.equal(get.headers['x-object-meta-color'], 'blue')
    t.notOk(Object.keys(get.headers).some((h) => h.includes('sysmeta')), 'no sysmeta shown')
    const head = await c.request('HEAD', `${A}/c/big`)
    t.equal(head.headers['content-length'], String(whole.length))
    t.equal(head.headers.etag, `"${expectedEtag}"`)
    t.ok(head.headers['x-manifest-etag'])
    const range = await c.request('GET', `${A}/c/big`, { headers: { Range: 'bytes=990-3004' } })
    t.equal(range.status, 206)
    t.equal(range.headers['content-range'], `bytes 990-3004/${whole.length}`)
    t.same(range.body, whole.subarray(990, 3005))
    const suffix = await c.request('GET', `${A}/c/big`, { headers: { Range: 'bytes=-5' } })
    t.same(suffix.body.toString(), 'bytes')
    t.equal((await c.request('GET', `${A}/c/big`, { headers: { Range: 'bytes=99999-' } })).status, 416)
    t.equal((await c.request('GET', `${A}/c/big`, { headers: { 'If-None-Match': `"${expectedEtag}"` } })).status, 304)
    t.equal((await c.request('GET', `${A}/c/big`, { headers: { 'If-Match': 'nope' } })).status, 412)
    t.equal((await c.request('GET', `${A}/c/big`, { headers: { 'If-Match': expectedEtag } })).status, 200)
    const listing = JSON.parse((await c.request('GET', `${A}/c?format=json`)).body.toString()) as { name: string; bytes: number; hash: string; slo_etag?: string }[]
    const row = listing.find((r) => r.name === 'big')
    t.equal(row?.bytes, whole.length, 'listing shows the SLO size')
    t.equal(row?.slo_etag, `"${expectedEtag}"`)
    t.notMatch(row?.hash ?? '', /slo_etag/)
  })

  await t.test('multipart-manifest=get', async (t) => {
    const stored = await c.request('GET', `${A}/c/big?multipart-manifest=get`)
    t.equal(stored.headers['content-type'], 'application/json; charset=utf-8')
    const doc = JSON.parse(stored.body.toString()) as { name: string; bytes: number; hash: string }[]
    t.same(doc.map((d) => [d.name, d.bytes, d.hash]), parts.map((p, i) => [`/segs/part-${i}`, p.length, md5(p)]))
    const raw = JSON.parse((await c.request('GET', `${A}/c/big?multipart-manifest=get&format=raw`)).body.toString()) as unknown[]
    t.same(raw, manifest)
  })

  await t.test('ranged and inline segments, nested manifests', async (t) => {
    const inner = [{ path: '/segs/part-1', range: '10-19' }, { data: Buffer.from('XYZ').toString('base64') }, { path: '/segs/part-2' }]
    const put = await c.request('PUT', `${A}/c/inner?multipart-manifest=put`, { body: JSON.stringify(inner) })
    t.equal(put.status, 201, put.body.toString())
    const innerBytes = Buffer.concat([parts[1]!.subarray(10, 20), Buffer.from('XYZ'), parts[2]!])
    const innerEtag = md5(`${md5(parts[1]!)}:10-19;${md5('XYZ')}${md5(parts[2]!)}`)
    t.equal(put.headers.etag, `"${innerEtag}"`)
    t.same((await c.request('GET', `${A}/c/inner`)).body, innerBytes)
    const outer = [{ path: '/segs/part-0' }, { path: '/c/inner', etag: innerEtag, size_bytes: innerBytes.length }]
    const put2 = await c.request('PUT', `${A}/c/outer?multipart-manifest=put`, { body: JSON.stringify(outer) })
    t.equal(put2.status, 201, put2.body.toString())
    const all = Buffer.concat([parts[0]!, innerBytes])
    t.same((await c.request('GET', `${A}/c/outer`)).body, all)
    const r = await c.request('GET', `${A}/c/outer`, { headers: { Range: 'bytes=995-1012' } })
    t.same(r.body, all.subarray(995, 1013))
  })

  await t.test('bad manifests answer Swift bodies and store nothing', async (t) => {
    const cases: [string, string, number, string][] = [
      ['not json', '{', 400, 'Manifest must be valid JSON.\n'],
      ['not a list', '{}', 400, 'Manifest must be a list.\n'],
      ['extra key', JSON.stringify([{ path: '/segs/part-0', foo: 1 }]), 400, 'Index 0: extraneous keys "foo"\n'],
      ['bad path', JSON.stringify([{ path: 'nocontainer' }]), 400, 'Index 0: path does not refer to an object. Path must be of the form /container/object.\n'],
      ['only data', JSON.stringify([{ data: 'QUJD' }]), 400, 'Inline data segments require at least one object-backed segment.\n'],
      ['missing key', JSON.stringify([{ etag: 'x' }]), 400, "Index 0: expected keys to include one of 'data' or 'path'\n"],
      ['etag mismatch', JSON.stringify([{ path: '/segs/part-0', etag: 'wrong' }]), 400, 'Errors:\n/segs/part-0, Etag Mismatch\n'],
      ['size mismatch', JSON.stringify([{ path: '/segs/part-0', size_bytes: 3 }]), 400, 'Errors:\n/segs/part-0, Size Mismatch\n'],
      ['missing segment', JSON.stringify([{ path: '/segs/none' }]), 400, 'Errors:\n/segs/none, 404 Not Found\n'],
    ]
    for (const [what, body, status, text] of cases) {
      const res = await c.request('PUT', `${A}/c/bad?multipart-manifest=put`, { body })
      t.equal(res.status, status, what)
      t.equal(res.body.toString(), text, what)
    }
    const json = await c.request('PUT', `${A}/c/bad?multipart-manifest=put`, { body: JSON.stringify([{ path: '/segs/none' }]), headers: { Accept: 'application/json' } })
    t.same(JSON.parse(json.body.toString()), { Errors: [['/segs/none', '404 Not Found']] })
    const wrongEtag = await c.request('PUT', `${A}/c/bad?multipart-manifest=put`, { body: JSON.stringify(manifest), headers: { Etag: 'abc' } })
    t.equal(wrongEtag.status, 422)
    t.equal((await c.request('HEAD', `${A}/c/bad`)).status, 404, 'nothing was created')
    const reserved = await c.request('PUT', `${A}/c/bad`, { body: 'x', headers: { 'X-Static-Large-Object': 'true' } })
    t.equal(reserved.status, 400)
  })

  await t.test('a changed segment fails the GET', async (t) => {
    t.equal((await c.request('PUT', `${A}/segs/victim`, { body: 'original' })).status, 201)
    t.equal((await c.request('PUT', `${A}/c/fragile?multipart-manifest=put`, { body: JSON.stringify([{ path: '/segs/victim' }, { path: '/segs/part-0' }]) })).status, 201)
    t.equal((await c.request('PUT', `${A}/segs/victim`, { body: 'replaced' })).status, 201)
    const res = await c.request('GET', `${A}/c/fragile`)
    t.equal(res.status, 409, 'first segment no longer valid: 409 as Swift')
  })

  await t.test('multipart-manifest=delete', async (t) => {
    for (const [i, p] of parts.entries()) t.equal((await c.request('PUT', `${A}/segs/del-${i}`, { body: p })).status, 201)
    t.equal((await c.request('PUT', `${A}/c/todelete?multipart-manifest=put`, { body: JSON.stringify(parts.map((_p, i) => ({ path: `/segs/del-${i}` }))) })).status, 201)
    const res = await c.request('DELETE', `${A}/c/todelete?multipart-manifest=delete`, { headers: { Accept: 'application/json' } })
    t.equal(res.status, 200)
    const body = JSON.parse(res.body.toString()) as Record<string, unknown>
    t.equal(body['Number Deleted'], parts.length + 1)
    t.equal(body['Response Status'], '200 OK')
    t.equal((await c.request('HEAD', `${A}/segs/del-0`)).status, 404)
    t.equal((await c.request('HEAD', `${A}/c/todelete`)).status, 404)
    const plain = await c.request('DELETE', `${A}/segs/part-0?multipart-manifest=delete`)
    t.equal(plain.body.toString(), 'Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n/segs/part-0, Not an SLO manifest\n')
  })

  await t.test('DLO', async (t) => {
    for (const [i, p] of parts.entries()) t.equal((await c.request('PUT', `${A}/segs/dlo/${i}`, { body: p })).status, 201)
    t.equal((await c.request('PUT', `${A}/c/dyn`, { body: '', headers: { 'X-Object-Manifest': 'segs/dlo/' } })).status, 201)
    const get = await c.request('GET', `${A}/c/dyn`)
    t.equal(get.status, 200)
    t.same(get.body, whole)
    t.equal(get.headers.etag, `"${expectedEtag}"`)
    t.equal(get.headers['x-object-manifest'], 'segs/dlo/')
    const r = await c.request('GET', `${A}/c/dyn`, { headers: { Range: 'bytes=999-1000' } })
    t.equal(r.status, 206)
    t.same(r.body, whole.subarray(999, 1001))
    t.equal((await c.request('HEAD', `${A}/c/dyn`)).headers['content-length'], String(whole.length))
    t.equal((await c.request('GET', `${A}/c/dyn?multipart-manifest=get`)).body.length, 0)
    const bad = await c.request('PUT', `${A}/c/dyn2`, { body: '', headers: { 'X-Object-Manifest': 'noslash' } })
    t.equal(bad.status, 400)
    t.equal(bad.body.toString(), 'X-Object-Manifest must be in the format container/prefix')
    t.equal((await c.request('HEAD', `${A}/c/dyn2`)).status, 404)
  })
})
