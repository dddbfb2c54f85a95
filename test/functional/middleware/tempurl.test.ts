// TempURL with the real `swift tempurl` links fetched by curl (and raw HTTP for the
// failures): SHA1/SHA256/SHA512, prefix links, account and container keys, PUT links,
// inline/filename dispositions; bad, expired and wrong-method links answer Swift's 401
// "Temp URL invalid" and create nothing.
import t from 'tap'
import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startCluster } from '../../helpers/cluster.ts'
import { requireCommand } from '../../helpers/require-tool.ts'

const run = promisify(execFile)

t.test('tempurl', async (t) => {
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging tempurl tempauth slo dlo proxy-logging proxy-server',
    extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n',
  })
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const h = { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
  t.equal((await c.request('POST', '/v1/AUTH_test', { headers: { ...h, 'X-Account-Meta-Temp-URL-Key': 'acctkey' } })).status, 204)
  t.equal((await c.request('PUT', '/v1/AUTH_test/c', { headers: { ...h, 'X-Container-Meta-Temp-URL-Key-2': 'contkey' } })).status, 201)
  t.equal((await c.request('PUT', '/v1/AUTH_test/c/dir/file.txt', { headers: { ...h, 'X-Object-Meta-Secret': 's', 'X-Object-Meta-Public-Note': 'n' }, body: 'hello tempurl' })).status, 201)
  t.equal((await c.request('GET', '/v1/AUTH_test/c/dir/file.txt')).status, 401, 'no token, no link: refused')

  const sign = (method: string, expires: number, path: string, key: string, digest = 'sha256') => createHmac(digest, key).update(`${method}\n${expires}\n${path}`).digest('hex')
  const future = Math.floor(Date.now() / 1000) + 600
  const path = '/v1/AUTH_test/c/dir/file.txt'

  await t.test('/info lists tempurl with its settings', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, Record<string, unknown>>
    t.same(info.tempurl?.allowed_digests, ['sha1', 'sha256', 'sha512'])
    t.same(info.tempurl?.methods, ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'])
    t.same(info.tempurl?.outgoing_remove_headers, ['x-object-meta-*'])
  })

  await t.test('raw HTTP: each digest, both key scopes', async (t) => {
    for (const digest of ['sha1', 'sha256', 'sha512']) {
      for (const key of ['acctkey', 'contkey']) {
        const res = await c.request('GET', `${path}?temp_url_sig=${sign('GET', future, path, key, digest)}&temp_url_expires=${future}`)
        t.equal(res.status, 200, `${digest} ${key}`)
        t.equal(res.body.toString(), 'hello tempurl')
      }
    }
    const b64 = createHmac('sha512', 'acctkey').update(`GET\n${future}\n${path}`).digest('base64url')
    const res = await c.request('GET', `${path}?temp_url_sig=sha512:${b64}&temp_url_expires=${future}`)
    t.equal(res.status, 200, 'sha512:<base64> form')
    t.equal(res.headers['content-disposition'], `attachment; filename="file.txt"; filename*=UTF-8''file.txt`)
    t.equal(res.headers.expires, new Date(future * 1000).toUTCString())
    t.equal(res.headers['x-object-meta-secret'], undefined, 'x-object-meta-* removed')
    t.equal(res.headers['x-object-meta-public-note'], 'n', 'x-object-meta-public-* kept')
    const head = await c.request('HEAD', `${path}?temp_url_sig=${sign('GET', future, path, 'acctkey')}&temp_url_expires=${future}`)
    t.equal(head.status, 200, 'a GET link allows HEAD')
    const inline = await c.request('GET', `${path}?temp_url_sig=${sign('GET', future, path, 'acctkey')}&temp_url_expires=${future}&inline&filename=My%20File.txt`)
    t.equal(inline.headers['content-disposition'], `inline; filename="My File.txt"; filename*=UTF-8''My%20File.txt`)
    const iso = new Date(future * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
    t.equal((await c.request('GET', `${path}?temp_url_sig=${sign('GET', future, path, 'acctkey')}&temp_url_expires=${iso}`)).status, 200, 'ISO 8601 expiry')
  })

  await t.test('bad links: 401 Temp URL invalid, nothing created', async (t) => {
    const past = Math.floor(Date.now() / 1000) - 10
    const cases: [string, string, string][] = [
      ['bad signature', 'GET', `${path}?temp_url_sig=${'0'.repeat(64)}&temp_url_expires=${future}`],
      ['expired', 'GET', `${path}?temp_url_sig=${sign('GET', past, path, 'acctkey')}&temp_url_expires=${past}`],
      ['wrong method', 'DELETE', `${path}?temp_url_sig=${sign('GET', future, path, 'acctkey')}&temp_url_expires=${future}`],
      ['other object', 'GET', `/v1/AUTH_test/c/other?temp_url_sig=${sign('GET', future, path, 'acctkey')}&temp_url_expires=${future}`],
      ['sig only', 'GET', `${path}?temp_url_sig=${sign('GET', future, path, 'acctkey')}`],
      ['unknown digest length', 'GET', `${path}?temp_url_sig=abc&temp_url_expires=${future}`],
    ]
    for (const [what, method, url] of cases) {
      const res = await c.request(method, url)
      t.equal(res.status, 401, what)
      t.equal(res.body.toString(), '401 Unauthorized: Temp URL invalid\n', what)
    }
    const newPath = '/v1/AUTH_test/c/new'
    const bad = await c.request('PUT', `${newPath}?temp_url_sig=${sign('PUT', future, newPath, 'wrongkey')}&temp_url_expires=${future}`, { body: 'x' })
    t.equal(bad.status, 401)
    t.equal((await c.request('HEAD', newPath, { headers: h })).status, 404, 'nothing created')
    const manifest = await c.request('PUT', `${newPath}?temp_url_sig=${sign('PUT', future, newPath, 'acctkey')}&temp_url_expires=${future}`, { body: '', headers: { 'X-Object-Manifest': 'c/x' } })
    t.equal(manifest.status, 400)
    t.equal(manifest.body.toString(), "The header 'X-Object-Manifest' is not allowed in this tempurl")
  })

  await t.test('swift tempurl links fetched with curl', async (t) => {
    if (!requireCommand(t, '/usr/bin/swift', 'python3-swiftclient') || !requireCommand(t, 'curl', 'curl')) return
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' }
    const link = async (args: string[]) => `${c.url}${(await run('/usr/bin/swift', ['tempurl', ...args], { env })).stdout.trim()}`
    const curl = async (args: string[]) => (await run('curl', ['-s', '-w', '\n%{http_code}', ...args])).stdout
    // One `swift tempurl` per kind of link (python starts slowly on a loaded machine); the
    // digests and ISO 8601 links come from swiftclient's generate_temp_url in one process.
    t.equal(await curl([await link(['GET', '300', path, 'acctkey'])]), 'hello tempurl\n200', 'swift tempurl (sha256)')
    const prefixLink = await link(['--prefix-based', 'GET', '300', '/v1/AUTH_test/c/dir/', 'contkey'])
    t.equal(await curl([prefixLink.replace('/c/dir/?', '/c/dir/file.txt?')]), 'hello tempurl\n200', 'prefix link, container key')
    t.ok((await curl([prefixLink.replace('/c/dir/?', '/c/elsewhere?')])).endsWith('401'), 'the prefix does not cover other names')
    const script = [
      'import sys, json, time',
      'from swiftclient.utils import generate_temp_url',
      'p = sys.argv[1]',
      'out = [generate_temp_url(p, 300, "acctkey", "GET", digest=d) for d in ("sha1", "sha256", "sha512")]',
      'out.append(generate_temp_url(p, 300, "acctkey", "GET", iso8601=True))',
      'out.append(generate_temp_url(p, int(time.time()) - 1, "acctkey", "GET", absolute=True))',
      'print(json.dumps(out))',
    ].join('\n')
    const links = JSON.parse((await run('/usr/bin/python3', ['-c', script, path], { env })).stdout) as string[]
    for (const [i, what] of ['sha1', 'sha256', 'sha512', 'iso8601'].entries()) t.equal(await curl([`${c.url}${links[i]}`]), 'hello tempurl\n200', what)
    t.equal(await curl([`${c.url}${links[4]}`]), '401 Unauthorized: Temp URL invalid\n\n401', 'expired link')
    const work = await mkdtemp(join(tmpdir(), 'tern-tempurl-'))
    t.teardown(() => rm(work, { recursive: true, force: true }))
    await writeFile(join(work, 'up.txt'), 'uploaded through a PUT link')
    const putOut = await curl(['-T', join(work, 'up.txt'), await link(['PUT', '300', '/v1/AUTH_test/c/uploaded.txt', 'acctkey'])])
    t.equal(putOut.split('\n').at(-1), '201')
    t.equal((await c.request('GET', '/v1/AUTH_test/c/uploaded.txt', { headers: h })).body.toString(), 'uploaded through a PUT link')
  })
})
