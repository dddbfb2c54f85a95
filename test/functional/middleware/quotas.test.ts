// Container and account quotas over raw HTTP: invalid quota values are 400 with Swift's
// bodies, writes past a byte or count quota are 413 "Upload exceeds quota." and store
// nothing (PUT, COPY, X-Copy-From), only a reseller admin may set the account quota.
import t from 'tap'
import { startCluster } from '../../helpers/cluster.ts'

t.test('quotas', async (t) => {
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging tempauth container-quotas account-quotas slo dlo proxy-logging proxy-server',
    extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\nuser_test_other = other\nuser_reseller_admin = secret .reseller_admin\n',
  })
  const token = async (user: string, key: string) => (await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': user, 'X-Auth-Key': key } })).headers['x-auth-token'] as string
  const h = { 'X-Auth-Token': await token('test:tester', 'testing') }
  const other = { 'X-Auth-Token': await token('test:other', 'other') }
  const reseller = { 'X-Auth-Token': await token('reseller:admin', 'secret') }
  const A = '/v1/AUTH_test'

  await t.test('/info lists both', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.container_quotas, {})
    t.same(info.account_quotas, {})
  })

  await t.test('container quota values must be digits', async (t) => {
    const bad = await c.request('PUT', `${A}/q`, { headers: { ...h, 'X-Container-Meta-Quota-Bytes': 'abc' } })
    t.equal(bad.status, 400)
    t.equal(bad.body.toString(), 'Invalid bytes quota.')
    t.equal((await c.request('HEAD', `${A}/q`, { headers: h })).status, 404, 'container not created')
    const badCount = await c.request('POST', `${A}/q`, { headers: { ...h, 'X-Container-Meta-Quota-Count': '-1' } })
    t.equal(badCount.status, 400)
    t.equal(badCount.body.toString(), 'Invalid count quota.')
  })

  await t.test('byte quota', async (t) => {
    t.equal((await c.request('PUT', `${A}/q`, { headers: { ...h, 'X-Container-Meta-Quota-Bytes': '10' } })).status, 201)
    t.equal((await c.request('PUT', `${A}/q/a`, { headers: h, body: '123456' })).status, 201)
    const over = await c.request('PUT', `${A}/q/b`, { headers: h, body: '12345' })
    t.equal(over.status, 413)
    t.equal(over.body.toString(), 'Upload exceeds quota.')
    t.equal((await c.request('HEAD', `${A}/q/b`, { headers: h })).status, 404, 'nothing stored')
    t.equal((await c.request('PUT', `${A}/q/b`, { headers: h, body: '1234' })).status, 201, 'exactly at the quota is allowed')
    // A copy adds its source's size.
    t.equal((await c.request('PUT', `${A}/src`, { headers: h })).status, 201)
    t.equal((await c.request('PUT', `${A}/src/x`, { headers: h, body: 'x' })).status, 201)
    t.equal((await c.request('PUT', `${A}/q/c`, { headers: { ...h, 'X-Copy-From': '/src/x' } })).status, 413)
    t.equal((await c.request('COPY', `${A}/src/x`, { headers: { ...h, Destination: '/q/c' } })).status, 413)
    t.equal((await c.request('HEAD', `${A}/q/c`, { headers: h })).status, 404)
    t.equal((await c.request('PUT', `${A}/q/c`, { headers: h })).status, 201, 'empty objects still fit')
    const unauthorized = await c.request('PUT', `${A}/q/d`, { headers: other, body: 'zzzzzzzz' })
    t.equal(unauthorized.status, 403, 'a caller without write access gets the auth answer')
  })

  await t.test('count quota', async (t) => {
    t.equal((await c.request('PUT', `${A}/n`, { headers: { ...h, 'X-Container-Meta-Quota-Count': '1' } })).status, 201)
    t.equal((await c.request('PUT', `${A}/n/a`, { headers: h, body: 'a' })).status, 201)
    const over = await c.request('PUT', `${A}/n/b`, { headers: h, body: 'b' })
    t.equal(over.status, 413)
    t.equal(over.body.toString(), 'Upload exceeds quota.')
  })

  await t.test('account quota', async (t) => {
    const denied = await c.request('POST', A, { headers: { ...h, 'X-Account-Meta-Quota-Bytes': '100' } })
    t.equal(denied.status, 403, 'the account owner may not set its quota')
    t.equal((await c.request('POST', A, { headers: { ...reseller, 'X-Account-Meta-Quota-Bytes': 'x' } })).status, 400)
    const head0 = await c.request('HEAD', A, { headers: h })
    const used = Number(head0.headers['x-account-bytes-used'])
    t.equal((await c.request('POST', A, { headers: { ...reseller, 'X-Account-Meta-Quota-Bytes': String(used + 3) } })).status, 204)
    t.equal((await c.request('HEAD', A, { headers: h })).headers['x-account-meta-quota-bytes'], String(used + 3))
    // Account usage follows object writes only after the container updater runs (as in
    // Swift), so the quota is checked against the bytes used now plus the upload.
    const over = await c.request('PUT', `${A}/src/four`, { headers: h, body: 'abcd' })
    t.equal(over.status, 413)
    t.equal(over.body.toString(), 'Upload exceeds quota.')
    t.equal((await c.request('HEAD', `${A}/src/four`, { headers: h })).status, 404)
    t.equal((await c.request('PUT', `${A}/src/four`, { headers: other, body: 'abcd' })).status, 403, 'auth answer first')
    t.equal((await c.request('PUT', `${A}/src/three`, { headers: h, body: 'abc' })).status, 201, 'up to the quota is allowed')
    t.equal((await c.request('POST', A, { headers: { ...reseller, 'X-Remove-Account-Meta-Quota-Bytes': 'x' } })).status, 204)
    t.equal((await c.request('PUT', `${A}/src/four`, { headers: h, body: 'abcd' })).status, 201, 'quota removed')
  })
})
