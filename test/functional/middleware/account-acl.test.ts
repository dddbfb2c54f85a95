// X-Account-Access-Control with tempauth over raw HTTP: bad ACLs answer tempauth's 400 (the
// reasons compared with Swift's own tempauth when python3-swift is installed) and change
// nothing; read-only, read-write and admin grants let another account's user do what Swift
// lets them; only the account's owners (and admin grantees) see and set the header.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { startCluster } from '../../helpers/cluster.ts'
import { SYSTEM_PYTHON, requirePython } from '../../helpers/require-tool.ts'

/** Swift's tempauth reason for each value (None when valid), computed by Swift itself. */
function swiftReasons(values: string[]): (string | null)[] | undefined {
  const script = `
import json, sys
from swift.common import swob
from swift.common.middleware import tempauth
ta = tempauth.filter_factory({})(lambda env, start: [])
out = []
for v in json.load(sys.stdin):
    req = swob.Request.blank('/v1/AUTH_test', headers={'X-Account-Access-Control': v})
    out.append(ta.extract_acl_and_report_errors(req))
print(json.dumps(out))
`
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify(values) })
  return r.status === 0 ? (JSON.parse(r.stdout.toString()) as (string | null)[]) : undefined
}

t.test('account ACLs', async (t) => {
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging tempauth proxy-logging proxy-server',
    extraIni: [
      '[filter:tempauth]',
      'user_test_tester = testing .admin',
      'user_test_tester3 = testing3',
      'user_test2_tester2 = testing2 .admin',
      'user_reseller_admin = secret .reseller_admin',
      '',
    ].join('\n'),
  })
  const token = async (user: string, key: string) => ({ 'X-Auth-Token': (await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': user, 'X-Auth-Key': key } })).headers['x-auth-token'] as string })
  const owner = await token('test:tester', 'testing')
  const member = await token('test:tester3', 'testing3')
  const other = await token('test2:tester2', 'testing2')
  const reseller = await token('reseller:admin', 'secret')
  const A = '/v1/AUTH_test'
  t.equal((await c.request('PUT', `${A}/c`, { headers: owner })).status, 201)
  t.equal((await c.request('PUT', `${A}/c/o`, { headers: owner, body: 'data' })).status, 201)
  const setAcl = (headers: Record<string, string>, acl: string) => c.request('POST', A, { headers: { ...headers, 'X-Account-Access-Control': acl } })
  const shownAcl = async (headers: Record<string, string>) => (await c.request('HEAD', A, { headers })).headers['x-account-access-control']

  await t.test('/info says tempauth has account ACLs', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.tempauth, { account_acls: true })
  })

  await t.test('bad ACLs: 400 with the reason and the input, nothing stored', async (t) => {
    t.equal((await setAcl(owner, '{"read-only":["test:tester3"]}')).status, 204)
    const bad = ['not json', '[]', '"text"', '{"bogus":[]}', '{"admin":"test2:tester2"}', '{"read-only":[1]}', '{"read-write":[null]}', "{'admin': []}"]
    const reasons = requirePython(t, 'swift', 'python3-swift') ? swiftReasons(bad) : undefined
    for (const [i, value] of bad.entries()) {
      const res = await setAcl(owner, value)
      t.equal(res.status, 400, value)
      t.equal(res.headers['content-type'], 'text/plain; charset=UTF-8')
      const m = /^X-Account-Access-Control invalid: (.*)\n\nInput: (.*)\n$/s.exec(res.body.toString())
      t.ok(m, res.body.toString())
      t.equal(m?.[2], value)
      if (reasons) t.equal(m?.[1], reasons[i], `Swift's reason for ${value}`)
    }
    // Even an anonymous caller hears about the syntax first, as from Swift's authorize.
    t.equal((await setAcl({}, 'nope')).status, 400)
    t.equal(await shownAcl(owner), '{"read-only":["test:tester3"]}', 'the stored ACL is unchanged')
  })

  await t.test('read-only', async (t) => {
    t.equal((await c.request('GET', A, { headers: other })).status, 403, 'no grant yet')
    t.equal((await setAcl(owner, JSON.stringify({ 'read-only': ['test2:tester2'] }))).status, 204)
    const head = await c.request('HEAD', A, { headers: other })
    t.equal(head.status, 204)
    t.notOk(head.headers['x-account-access-control'], 'only owners see the ACL')
    t.equal((await c.request('GET', `${A}?format=json`, { headers: other })).status, 200)
    t.equal((await c.request('GET', `${A}/c`, { headers: other })).status, 200)
    t.equal((await c.request('GET', `${A}/c/o`, { headers: other })).body.toString(), 'data')
    t.equal((await c.request('PUT', `${A}/c/o2`, { headers: other, body: 'x' })).status, 403)
    t.equal((await c.request('PUT', `${A}/c2`, { headers: other })).status, 403)
    t.equal((await c.request('POST', A, { headers: { ...other, 'X-Account-Meta-X': 'y' } })).status, 403)
  })

  await t.test('read-write', async (t) => {
    t.equal((await setAcl(owner, JSON.stringify({ 'read-write': ['test2:tester2'] }))).status, 204)
    t.equal((await c.request('PUT', `${A}/c/o2`, { headers: other, body: 'x' })).status, 201)
    t.equal((await c.request('PUT', `${A}/c2`, { headers: other })).status, 201)
    t.equal((await c.request('DELETE', `${A}/c/o2`, { headers: other })).status, 204)
    t.equal((await c.request('POST', A, { headers: { ...other, 'X-Account-Meta-X': 'y' } })).status, 403, 'not the account itself')
    t.equal((await setAcl(other, '{"admin":["test2:tester2"]}')).status, 403, 'nor its ACL')
    t.notOk((await c.request('HEAD', `${A}/c`, { headers: other })).headers['x-container-read'])
  })

  await t.test('admin', async (t) => {
    t.equal((await setAcl(owner, JSON.stringify({ admin: ['test2:tester2'] }))).status, 204)
    t.equal((await c.request('POST', A, { headers: { ...other, 'X-Account-Meta-Color': 'red' } })).status, 204)
    t.equal((await c.request('HEAD', A, { headers: owner })).headers['x-account-meta-color'], 'red')
    t.equal(await shownAcl(other), '{"admin":["test2:tester2"]}', 'an admin grantee is an owner')
    t.equal((await setAcl(other, JSON.stringify({ 'read-only': ['test2:tester2'], admin: ['test2:tester2'] }))).status, 204)
    t.equal(await shownAcl(owner), '{"admin":["test2:tester2"],"read-only":["test2:tester2"]}', 'keys sorted, compact')
  })

  await t.test('who may set it', async (t) => {
    t.equal((await setAcl(member, '{}')).status, 403, 'a user of the account without .admin')
    t.equal((await setAcl(reseller, '{"read-only":["test:tester3"]}')).status, 204, 'a reseller admin')
    t.equal(await shownAcl(reseller), '{"read-only":["test:tester3"]}')
    t.equal((await c.request('GET', `${A}/c/o`, { headers: member })).status, 200, 'the grant works for a user of the same account')
    t.equal((await setAcl(owner, '{}')).status, 204, 'the owner clears it')
    t.notOk(await shownAcl(owner))
    t.equal((await c.request('GET', A, { headers: other })).status, 403, 'grants gone')
  })
})
