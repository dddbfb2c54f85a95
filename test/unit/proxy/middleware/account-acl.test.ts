// Version-2 ACLs and tempauth's account ACL checks against Swift's own acl.py and tempauth
// (run live through the system python3-swift: format_acl(version=2), parse_acl(version=2),
// acls_from_account_info, extract_acl_and_report_errors).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { accountAclError, accountAclHeaderValue, accountAclsFromSysmeta } from '../../../../proxy/middleware/account-acl.ts'
import { formatAclV2, parseAclV2 } from '../../../../proxy/middleware/acl.ts'
import { SYSTEM_PYTHON, requirePython } from '../../../helpers/require-tool.ts'

const inputs = [
  '',
  '{}',
  '[]',
  'null',
  '{"admin":["a","b"],"read-only":["c"]}',
  '{"read-write":["t\\u00ebst","\\u65e5\\u672c","\\ud83d\\ude00"],"admin":[]}',
  '{"z":{"b":1,"a":[true,false,null]},"a":"x/y"}',
  '{"admin":"x"}',
  '{"read-only":[1]}',
  '{"bogus":[]}',
  'not json',
  '{"admin": ["spaced" ,  "out"]}',
]

interface SwiftAnswer {
  parsed: unknown
  formatted: string | null
  acls: Record<string, string[]> | null
  reason: string | null
}

t.test('v2 ACLs as Swift parses and formats them', async (t) => {
  if (!requirePython(t, 'swift', 'python3-swift')) return
  const script = `
import json, sys
from swift.common import swob
from swift.common.middleware import acl, tempauth
ta = tempauth.filter_factory({})(lambda env, start: [])
out = []
for v in json.load(sys.stdin):
    parsed = acl.parse_acl(version=2, data=v)
    try:
        acls = acl.acls_from_account_info({'sysmeta': {'core-access-control': v}})
    except Exception:
        acls = 'error'
    req = swob.Request.blank('/v1/AUTH_test', headers={'X-Account-Access-Control': v})
    out.append({'parsed': parsed, 'formatted': acl.format_acl(version=2, acl_dict=parsed) if parsed else None,
                'acls': acls, 'reason': ta.extract_acl_and_report_errors(req)})
print(json.dumps(out))
`
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify(inputs) })
  t.equal(r.status, 0, r.stderr.toString())
  const swift = JSON.parse(r.stdout.toString()) as SwiftAnswer[]
  for (const [i, input] of inputs.entries()) {
    const want = swift[i]!
    const parsed = parseAclV2(input)
    t.same(parsed ?? null, want.parsed, `parse ${input}`)
    t.equal(parsed && Object.keys(parsed).length ? formatAclV2(parsed) : null, want.formatted, `format ${input}`)
    t.equal(accountAclHeaderValue(input) ?? null, want.formatted, `header shown for ${input}`)
    t.equal(accountAclError(input) ?? null, want.reason, `tempauth's reason for ${input}`)
    if (want.acls !== null && typeof want.acls === 'object' && want.reason === null) {
      const ours = accountAclsFromSysmeta({ 'core-access-control': input })
      t.same(ours ? { admin: ours.admin, 'read-write': ours.readWrite, 'read-only': ours.readOnly } : null, want.acls, `grants of ${input}`)
    }
  }
})
