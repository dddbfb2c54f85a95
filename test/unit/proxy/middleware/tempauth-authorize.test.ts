// Tempauth's user groups and authorize decisions against Swift 2.30's own TempAuth over a
// matrix of callers, paths, methods, ACLs and referrers (test/fixtures/proxy/make-auth-fixture.py).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { decide, deniedResponse } from '../../../../proxy/middleware/tempauth-authorize.ts'
import { parseTempAuthConfig, userGroups } from '../../../../proxy/middleware/tempauth-config.ts'

type Row = [caller: string | null, path: string, method: string, acl: string | null, referrer: string | null, status: number | null, owner: boolean]
interface Fixture {
  tempauth_conf: Record<string, string>
  users: Record<string, { groups: string[]; url: string; key: string }>
  authorize: Row[]
}
const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/proxy/auth-fixture.json', import.meta.url), 'utf8')) as Fixture
const config = parseTempAuthConfig(fixture.tempauth_conf)

t.test('users and their groups are those Swift builds', async (t) => {
  t.same([...config.users.keys()].sort(), Object.keys(fixture.users).sort())
  for (const [name, expected] of Object.entries(fixture.users)) {
    const user = config.users.get(name)!
    t.equal(user.key, expected.key, `${name} key`)
    t.equal(user.url, expected.url, `${name} url`)
    t.same(userGroups(config, user), expected.groups, `${name} groups`)
  }
  t.same(config.resellerPrefixes, ['AUTH_', 'SERVICE_'])
  t.equal(config.accountRules.get('SERVICE_')?.requireGroup, 'service')
  t.equal(config.accountRules.get('AUTH_')?.requireGroup, '')
})

t.test('every authorize decision matches Swift (allow, owner, 401, 403)', async (t) => {
  t.ok(fixture.authorize.length > 1000)
  const seen = new Set<string>()
  let mismatches = 0
  for (const [caller, path, method, acl, referrer, status, owner] of fixture.authorize) {
    const [, , account, container, ...rest] = path.split('/')
    const groups = caller ? fixture.users[caller]!.groups : []
    const target = {
      method,
      account: account!,
      container: container || undefined,
      object: rest.length ? rest.join('/') : undefined,
      containerAcl: acl === null ? undefined : { read: acl, write: acl },
      referrer: referrer ?? undefined,
    }
    const d = decide(config, groups, target)
    const got = d.allow ? null : deniedResponse(caller !== null, account).status
    const gotOwner = d.allow ? d.owner : false
    seen.add(`${status}/${owner}`)
    if (got !== status || gotOwner !== owner) {
      mismatches++
      if (mismatches <= 20) t.fail(`${caller} ${method} ${path} acl=${acl} ref=${referrer}: want ${status}/${owner}, got ${got}/${gotOwner} (${d.reason})`)
    }
  }
  t.equal(mismatches, 0, 'no decision differs from Swift')
  t.same([...seen].sort(), ['401/false', '403/false', 'null/false', 'null/true'], 'the matrix covers every outcome')
})

t.test('denied responses: 401 names the realm, 403 for an authenticated caller', async (t) => {
  const anon = deniedResponse(false, 'AUTH_test')
  t.equal(anon.status, 401)
  t.equal(anon.headers['Www-Authenticate'], 'Swift realm="AUTH_test"')
  t.match(anon.renderBody(), /<h1>Unauthorized<\/h1>/)
  const authed = deniedResponse(true, 'AUTH_test')
  t.equal(authed.status, 403)
  t.match(authed.renderBody(), /<h1>Forbidden<\/h1>/)
})
