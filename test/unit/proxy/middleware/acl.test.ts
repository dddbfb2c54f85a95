// Container ACL parsing against results computed by Swift 2.30's acl.py
// (test/fixtures/proxy/make-auth-fixture.py).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { AclError, cleanAcl, cleanContainerAclHeaders, formatAcl, parseAcl, referrerAllowed } from '../../../../proxy/middleware/acl.ts'
import { HttpError } from '../../../../common/http/errors.ts'

interface Fixture {
  clean_acl: { name: string; value: string; result?: string; error?: string }[]
  parse_acl: { value: string; referrers: string[]; groups: string[] }[]
  referrer_allowed: { referrer: string | null; acl: string[]; allowed: boolean }[]
}
const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/proxy/auth-fixture.json', import.meta.url), 'utf8')) as Fixture

t.test('cleanAcl matches Swift clean_acl, including its error messages', async (t) => {
  t.ok(fixture.clean_acl.length > 20)
  for (const c of fixture.clean_acl) {
    if (c.error !== undefined) {
      let caught: unknown
      try {
        cleanAcl(c.name, c.value)
      } catch (err) {
        caught = err
      }
      t.ok(caught instanceof AclError, `${c.name}: ${JSON.stringify(c.value)} is rejected`)
      t.equal((caught as AclError).message, c.error, `message for ${JSON.stringify(c.value)}`)
      t.equal((caught as AclError).code, 'ERR_ACL_INVALID')
    } else {
      t.equal(cleanAcl(c.name, c.value), c.result, `${c.name}: ${JSON.stringify(c.value)}`)
    }
  }
})

t.test('parseAcl matches Swift parse_acl', async (t) => {
  for (const c of fixture.parse_acl) t.same(parseAcl(c.value), { referrers: c.referrers, groups: c.groups }, JSON.stringify(c.value))
  t.same(parseAcl(undefined), { referrers: [], groups: [] })
})

t.test('referrerAllowed matches Swift referrer_allowed', async (t) => {
  t.ok(fixture.referrer_allowed.length > 50)
  for (const c of fixture.referrer_allowed) {
    t.equal(referrerAllowed(c.referrer ?? undefined, c.acl), c.allowed, `${c.referrer} vs ${JSON.stringify(c.acl)}`)
  }
})

t.test('formatAcl joins groups and referrers and cleans when given a header name', async (t) => {
  t.equal(formatAcl(['bob', 'sue:x'], ['*', '-bad.com']), 'bob,sue:x,.r:*,.r:-bad.com')
  t.equal(formatAcl(['bob '], ['*.example.com'], 'X-Container-Read'), 'bob,.r:.example.com')
  t.throws(() => formatAcl([], ['*'], 'X-Container-Write'))
})

t.test('cleanContainerAclHeaders: cleaned values for the controller, 400 with the reason otherwise', async (t) => {
  t.same(cleanContainerAclHeaders({ 'x-container-read': ' .r:* , .rlistings', 'x-container-write': 'a,, b', other: 'x' }), {
    'x-container-read': '.r:*,.rlistings',
    'x-container-write': 'a,b',
  })
  t.same(cleanContainerAclHeaders({}), {})
  let caught: unknown
  try {
    cleanContainerAclHeaders({ 'x-container-write': '.r:*' })
  } catch (err) {
    caught = err
  }
  t.ok(caught instanceof HttpError)
  t.equal((caught as HttpError).status, 400)
  t.equal((caught as HttpError).renderBody(), "Referrers not allowed in write ACL: '.r:*'")
})
