// temp_url_ip_range: links made by the real `swift tempurl --ip-range` and fetched by curl
// from 127.0.0.1 work inside the range and answer Swift's 401 "Temp URL invalid" outside it;
// a range that is not part of the signature, or that Python's strict ip_network refuses,
// is refused, and a refused PUT link stores nothing.
import t from 'tap'
import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { promisify } from 'node:util'
import { startCluster } from '../../helpers/cluster.ts'
import { requireCommand } from '../../helpers/require-tool.ts'

const run = promisify(execFile)
const INVALID = '401 Unauthorized: Temp URL invalid\n'

t.test('tempurl ip ranges', async (t) => {
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging tempurl tempauth proxy-logging proxy-server',
    extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n',
  })
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const h = { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
  t.equal((await c.request('POST', '/v1/AUTH_test', { headers: { ...h, 'X-Account-Meta-Temp-URL-Key': 'acctkey' } })).status, 204)
  t.equal((await c.request('PUT', '/v1/AUTH_test/c', { headers: h })).status, 201)
  t.equal((await c.request('PUT', '/v1/AUTH_test/c/o', { headers: h, body: 'in range' })).status, 201)
  const path = '/v1/AUTH_test/c/o'
  const expires = Math.floor(Date.now() / 1000) + 600
  const sign = (method: string, p: string, range?: string) =>
    createHmac('sha256', 'acctkey')
      .update(`${range ? `ip=${range}\n` : ''}${method}\n${expires}\n${p}`)
      .digest('hex')
  const link = (method: string, p: string, signed: string | undefined, sent: string | undefined) =>
    `${p}?temp_url_sig=${sign(method, p, signed)}&temp_url_expires=${expires}${sent === undefined ? '' : `&temp_url_ip_range=${encodeURIComponent(sent)}`}`

  await t.test('swift tempurl --ip-range links fetched with curl', async (t) => {
    if (!requireCommand(t, '/usr/bin/swift', 'python3-swiftclient') || !requireCommand(t, 'curl', 'curl')) return
    for (const [range, status] of [['127.0.0.0/8', '200'], ['10.0.0.0/8', '401']] as const) {
      const made = (await run('/usr/bin/swift', ['tempurl', '--ip-range', range, 'GET', '600', path, 'acctkey'])).stdout.trim()
      t.match(made, /temp_url_ip_range=/)
      const out = (await run('curl', ['-s', '-w', '\n%{http_code}', `${c.url}${made}`])).stdout
      const code = out.slice(out.lastIndexOf('\n') + 1)
      t.equal(code, status, `range ${range}`)
      t.equal(out.slice(0, out.lastIndexOf('\n')), status === '200' ? 'in range' : INVALID)
    }
  })

  await t.test('raw HTTP: the range is signed and checked strictly', async (t) => {
    t.equal((await c.request('GET', link('GET', path, '127.0.0.1', '127.0.0.1'))).status, 200)
    t.equal((await c.request('HEAD', link('GET', path, '127.0.0.0/8', '127.0.0.0/8'))).status, 200, 'HEAD with a GET link')
    const cases: [string, string | undefined, string | undefined][] = [
      ['signed with a range, sent without', '127.0.0.1', undefined],
      ['sent with a range, signed without', undefined, '127.0.0.1'],
      ['another range than signed', '127.0.0.1', '127.0.0.0/8'],
      ['host bits set (strict ip_network)', '127.0.0.1/8', '127.0.0.1/8'],
      ['not an address', 'localhost', 'localhost'],
      ['leading zeros', '127.000.0.1', '127.000.0.1'],
      ['prefix too long', '127.0.0.1/33', '127.0.0.1/33'],
    ]
    for (const [what, signed, sent] of cases) {
      const res = await c.request('GET', link('GET', path, signed, sent))
      t.equal(res.status, 401, what)
      t.equal(res.body.toString(), INVALID)
    }
    const put = await c.request('PUT', link('PUT', '/v1/AUTH_test/c/new', '192.168.0.0/16', '192.168.0.0/16'), { body: 'nope' })
    t.equal(put.status, 401)
    t.equal((await c.request('HEAD', '/v1/AUTH_test/c/new', { headers: h })).status, 404, 'nothing stored')
    const ok = await c.request('PUT', link('PUT', '/v1/AUTH_test/c/new', '127.0.0.1/32', '127.0.0.1/32'), { body: 'yes' })
    t.equal(ok.status, 201)
  })
})
