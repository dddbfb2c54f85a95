// Symlinks over raw HTTP: soft links followed by GET/HEAD (ranges too) with Content-Location,
// ?symlink=get, chains limited by symloop_max, static links (X-Symlink-Target-Etag) checked
// when made and when read, POST answered 307, Swift's 400/409/412 bodies, JSON listings.
import t from 'tap'
import { createHash } from 'node:crypto'
import { startCluster } from '../../helpers/cluster.ts'

const md5 = (b: string) => createHash('md5').update(b).digest('hex')

t.test('symlink', async (t) => {
  const c = await startCluster(t, { pipeline: 'catch_errors proxy-logging tempauth slo dlo symlink proxy-logging proxy-server', extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n' })
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const h = { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
  const A = '/v1/AUTH_test'
  t.equal((await c.request('PUT', `${A}/c`, { headers: h })).status, 201)
  t.equal((await c.request('PUT', `${A}/c/target`, { headers: { ...h, 'Content-Type': 'text/x-target', 'X-Object-Meta-Kind': 'target' }, body: 'target body' })).status, 201)

  await t.test('/info', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.symlink, { symloop_max: 2, static_links: true })
  })

  await t.test('soft link: GET and HEAD follow, symlink=get shows the link', async (t) => {
    const put = await c.request('PUT', `${A}/c/link`, { headers: { ...h, 'X-Symlink-Target': 'c/target' } })
    t.equal(put.status, 201)
    const get = await c.request('GET', `${A}/c/link`, { headers: h })
    t.equal(get.status, 200)
    t.equal(get.body.toString(), 'target body')
    t.equal(get.headers['content-type'], 'text/x-target')
    t.equal(get.headers['x-object-meta-kind'], 'target')
    t.equal(get.headers['content-location'], `${A}/c/target`)
    t.notOk(Object.keys(get.headers).some((k) => k.includes('sysmeta')), 'no sysmeta shown')
    const range = await c.request('GET', `${A}/c/link`, { headers: { ...h, Range: 'bytes=7-10' } })
    t.equal(range.status, 206)
    t.equal(range.body.toString(), 'body')
    const head = await c.request('HEAD', `${A}/c/link`, { headers: h })
    t.equal(head.headers['content-length'], '11')
    t.equal(String(head.headers.etag).replace(/"/g, ''), md5('target body'))
    const raw = await c.request('GET', `${A}/c/link?symlink=get`, { headers: h })
    t.equal(raw.status, 200)
    t.equal(raw.body.length, 0)
    t.equal(raw.headers['x-symlink-target'], 'c/target')
    t.equal(raw.headers['content-type'], 'application/symlink')
    const dangling = await c.request('PUT', `${A}/c/dangling`, { headers: { ...h, 'X-Symlink-Target': 'c/nothing' } })
    t.equal(dangling.status, 201, 'soft links may dangle')
    const gone = await c.request('GET', `${A}/c/dangling`, { headers: h })
    t.equal(gone.status, 404)
    t.equal(gone.headers['content-location'], `${A}/c/nothing`)
  })

  await t.test('chains and loops', async (t) => {
    t.equal((await c.request('PUT', `${A}/c/l2`, { headers: { ...h, 'X-Symlink-Target': 'c/link' } })).status, 201)
    t.equal((await c.request('GET', `${A}/c/l2`, { headers: h })).body.toString(), 'target body', 'two links are followed')
    t.equal((await c.request('PUT', `${A}/c/l3`, { headers: { ...h, 'X-Symlink-Target': 'c/l2' } })).status, 201)
    const tooMany = await c.request('GET', `${A}/c/l3`, { headers: h })
    t.equal(tooMany.status, 409)
    t.equal(tooMany.body.toString(), 'Too many levels of symbolic links, maximum allowed is 2')
    t.equal((await c.request('PUT', `${A}/c/loop-a`, { headers: { ...h, 'X-Symlink-Target': 'c/loop-b' } })).status, 201)
    t.equal((await c.request('PUT', `${A}/c/loop-b`, { headers: { ...h, 'X-Symlink-Target': 'c/loop-a' } })).status, 201)
    t.equal((await c.request('GET', `${A}/c/loop-a`, { headers: h })).status, 409)
  })

  await t.test('bad link requests: Swift\'s bodies, nothing stored', async (t) => {
    const cases: [Record<string, string>, string, number, string][] = [
      [{ 'X-Symlink-Target': '/c/target' }, '', 412, 'X-Symlink-Target header must be of the form <container name>/<object name>'],
      [{ 'X-Symlink-Target': 'justone' }, '', 412, 'X-Symlink-Target header must be of the form <container name>/<object name>'],
      [{ 'X-Symlink-Target': 'c/bad' }, '', 400, 'Symlink cannot target itself'],
      [{ 'X-Symlink-Target': 'c/target' }, 'data', 400, 'Symlink requests require a zero byte body'],
      [{ 'X-Symlink-Target': 'c/target', 'X-Symlink-Target-Etag': 'a;b' }, '', 400, 'Bad X-Symlink-Target-Etag format'],
      [{ 'X-Symlink-Target': 'c/target', 'X-Symlink-Target-Account': 'a/b' }, '', 412, 'Account name cannot contain slashes'],
      [{ 'X-Symlink-Target': 'c/nothing', 'X-Symlink-Target-Etag': 'abc' }, '', 409, 'X-Symlink-Target does not exist'],
    ]
    for (const [headers, body, status, text] of cases) {
      const res = await c.request('PUT', `${A}/c/bad`, { headers: { ...h, ...headers }, body })
      t.equal(res.status, status, text)
      t.equal(res.body.toString(), text)
    }
    const mismatch = await c.request('PUT', `${A}/c/bad`, { headers: { ...h, 'X-Symlink-Target': 'c/target', 'X-Symlink-Target-Etag': 'ffff' } })
    t.equal(mismatch.status, 409)
    t.equal(mismatch.body.toString(), `Object Etag '${md5('target body')}' does not match X-Symlink-Target-Etag header 'ffff'`)
    t.equal(mismatch.headers['content-location'], `${A}/c/target`)
    t.equal((await c.request('HEAD', `${A}/c/bad`, { headers: h })).status, 404)
  })

  await t.test('static links', async (t) => {
    const etag = md5('target body')
    const put = await c.request('PUT', `${A}/c/hard`, { headers: { ...h, 'X-Symlink-Target': 'c/target', 'X-Symlink-Target-Etag': `"${etag}"` } })
    t.equal(put.status, 201)
    const raw = await c.request('HEAD', `${A}/c/hard?symlink=get`, { headers: h })
    t.equal(raw.headers['x-symlink-target-etag'], etag)
    t.equal(raw.headers['x-symlink-target-bytes'], '11')
    t.equal(raw.headers['content-type'], 'text/x-target', 'a static link takes the target\'s type')
    t.equal((await c.request('GET', `${A}/c/hard`, { headers: h })).body.toString(), 'target body')
    const listing = JSON.parse((await c.request('GET', `${A}/c?format=json`, { headers: h })).body.toString()) as Record<string, unknown>[]
    const hard = listing.find((r) => r.name === 'hard')
    t.equal(hard?.symlink_path, `${A}/c/target`)
    t.equal(hard?.symlink_etag, etag)
    t.equal(hard?.symlink_bytes, 11)
    t.equal(hard?.hash, md5(''))
    t.equal(listing.find((r) => r.name === 'link')?.symlink_path, `${A}/c/target`)
    // The target changes: the static link no longer matches.
    t.equal((await c.request('PUT', `${A}/c/target`, { headers: h, body: 'changed' })).status, 201)
    const stale = await c.request('GET', `${A}/c/hard`, { headers: h })
    t.equal(stale.status, 409)
    t.equal(stale.body.toString(), `Object Etag '${md5('changed')}' does not match X-Symlink-Target-Etag header '${etag}'`)
    t.equal((await c.request('GET', `${A}/c/link`, { headers: h })).body.toString(), 'changed', 'soft links follow the change')
  })

  await t.test('POST to a link is 307', async (t) => {
    const res = await c.request('POST', `${A}/c/link`, { headers: { ...h, 'X-Object-Meta-New': 'x' } })
    t.equal(res.status, 307)
    t.equal(res.headers.location, `${A}/c/target`)
    t.equal(res.body.toString(), 'The requested POST was applied to a symlink. POST directly to the target to apply requested metadata.')
    const withTarget = await c.request('POST', `${A}/c/target`, { headers: { ...h, 'X-Symlink-Target': 'c/x' } })
    t.equal(withTarget.status, 400)
    t.equal(withTarget.body.toString(), 'A PUT request is required to set a symlink target')
  })
})
