// The all-in-one as `npm start` runs it, driven by the real swift CLI (python3-swiftclient)
// and raw HTTP: auth, upload/download/stat/list/post/copy/delete, listings with every
// parameter and format, an ACL grant to another account, CORS, and a storage node killed
// in the middle of a stream of writes.
import t from 'tap'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { requireCommand } from '../helpers/require-tool.ts'
import { startAllInOneProcess } from '../helpers/all-in-one.ts'
import { generatedBody } from '../helpers/generated-body.ts'
import { Ring } from '../../ring/ring.ts'
import { parseIni } from '../../common/config/ini.ts'
import { nodeSpec } from '../../all-in-one/start.ts'
import { Supervisor } from '../../all-in-one/supervisor.ts'

const run = promisify(execFile)
const SWIFT = '/usr/bin/swift'

const aio = await startAllInOneProcess(t)
const work = await mkdtemp(join(tmpdir(), 'tern-e2e-files-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

/** The swift CLI as test:tester (or another user), with no OS_/ST_ variables leaking in. */
async function swift(args: string[], user = 'test:tester', key = 'testing', extra: string[] = []) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' }
  return run(SWIFT, ['-A', aio.authUrl, '-U', user, '-K', key, ...extra, ...args], { env, cwd: work })
}

async function token(user: string, key: string): Promise<{ token: string; url: string }> {
  const r = await fetch(aio.authUrl, { headers: { 'X-Auth-User': user, 'X-Auth-Key': key } })
  if (r.status !== 200) throw new Error(`auth ${user}: ${r.status}`)
  return { token: r.headers.get('x-auth-token')!, url: r.headers.get('x-storage-url')! }
}

const tester = await token('test:tester', 'testing')
const req = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${tester.url}${path}`, { ...init, headers: { 'X-Auth-Token': tester.token, ...init.headers } })

t.test('the ready banner names the auth URL, the users and examples', async (t) => {
  const out = aio.output()
  t.match(out, `Tern is ready: ${aio.proxyUrl}`)
  t.match(out, aio.authUrl)
  for (const u of ['admin:admin', 'test:tester', 'test:tester2', 'test:tester3', 'test2:tester2', 'test5:tester5']) t.match(out, u)
  t.match(out, `swift -A ${aio.authUrl} -U test:tester -K testing stat`)
  t.match(out, /curl -i -H 'X-Auth-User: test:tester'/)
  const health = await fetch(`${aio.proxyUrl}/healthcheck`)
  t.equal(health.status, 200)
  t.equal(await health.text(), 'OK')
})

t.test('raw HTTP auth', async (t) => {
  t.match(tester.url, `${aio.proxyUrl}/v1/AUTH_test`)
  t.match(tester.token, /^AUTH_tk[0-9a-f]+$/)
  const bad = await fetch(aio.authUrl, { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'wrong' } })
  t.equal(bad.status, 401)
  const anon = await fetch(`${aio.proxyUrl}/v1/AUTH_test`)
  t.equal(anon.status, 401)
  t.equal(anon.headers.get('www-authenticate'), 'Swift realm="AUTH_test"')
  const other = await token('test2:tester2', 'testing2')
  const forbidden = await fetch(`${aio.proxyUrl}/v1/AUTH_test`, { headers: { 'X-Auth-Token': other.token } })
  t.equal(forbidden.status, 403)
})

t.test('swift CLI: upload, stat, list, download, post, copy, delete', async (t) => {
  if (!requireCommand(t, SWIFT, 'python3-swiftclient')) return
  const body = 'hello from tern\n'.repeat(100)
  await writeFile(join(work, 'hello.txt'), body)
  await swift(['upload', 'docs', 'hello.txt'])
  const list = await swift(['list', 'docs'])
  t.equal(list.stdout, 'hello.txt\n')
  const down = await swift(['download', 'docs', 'hello.txt', '-o', '-'])
  t.equal(down.stdout, body)
  await swift(['post', '-m', 'Color:blue', 'docs', 'hello.txt'])
  const stat = await swift(['stat', 'docs', 'hello.txt'])
  t.match(stat.stdout, /Meta Color: blue/)
  t.match(stat.stdout, new RegExp(`Content Length: ${body.length}`))
  // Each swift run costs a Python start-up: the checks in between use raw HTTP.
  await swift(['copy', '-d', '/docs/copy.txt', 'docs', 'hello.txt'])
  t.equal(await (await req('/docs/copy.txt')).text(), body)
  await swift(['delete', 'docs', 'copy.txt'])
  t.equal(await (await req('/docs')).text(), 'hello.txt\n')
  t.equal((await req('/docs/copy.txt')).status, 404)
})

t.test('listings with every parameter and format', async (t) => {
  t.equal((await req('/lst', { method: 'PUT' })).status, 201)
  const names = ['a/1', 'a/2', 'b/1', 'b/2', 'c', 'd%20e', 'ü']
  for (const n of names) {
    const r = await req(`/lst/${encodeURIComponent(n).replace(/%2F/g, '/')}`, { method: 'PUT', body: n, headers: { 'Content-Type': 'text/plain' } })
    t.equal(r.status, 201, `PUT ${n}`)
  }
  const list = async (q: string) => {
    const r = await req(`/lst?${q}`)
    t.equal(r.status, 200, q)
    return (await r.text()).split('\n').filter(Boolean)
  }
  const sorted = [...names].sort()
  t.same(await list(''), sorted, 'plain')
  t.same(await list('limit=2'), sorted.slice(0, 2))
  t.same(await list('marker=b/1'), sorted.filter((n) => n > 'b/1'))
  t.same(await list('end_marker=b/1'), sorted.filter((n) => n < 'b/1'))
  t.same(await list('prefix=a/'), ['a/1', 'a/2'])
  t.same(await list('delimiter=/'), ['a/', 'b/', 'c', 'd%20e', 'ü'])
  t.same(await list('prefix=b/&delimiter=/'), ['b/1', 'b/2'])
  t.same(await list('reverse=true'), [...sorted].reverse())
  t.same(await list('reverse=true&limit=2&marker=c'), sorted.filter((n) => n < 'c').reverse().slice(0, 2))
  const json = (await (await req('/lst?format=json&prefix=a/')).json()) as { name: string; bytes: number; hash: string; content_type: string; last_modified: string }[]
  t.same(json.map((o) => o.name), ['a/1', 'a/2'])
  t.equal(json[0]!.bytes, 3)
  t.match(json[0]!.content_type, 'text/plain')
  t.match(json[0]!.hash, /^[0-9a-f]{32}$/)
  const dirs = (await (await req('/lst?format=json&delimiter=/')).json()) as { subdir?: string; name?: string }[]
  t.same(dirs.filter((o) => o.subdir).map((o) => o.subdir), ['a/', 'b/'])
  const xml = await (await req('/lst?format=xml&prefix=b/')).text()
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<container name="lst"><object><name>b\/1<\/name>/)
  const acceptJson = await req('/lst?prefix=c', { headers: { Accept: 'application/json' } })
  t.match(acceptJson.headers.get('content-type'), 'application/json')
  const account = (await (await req('?format=json')).json()) as { name: string; count: number }[]
  // Object counts reach the account asynchronously (Swift's container updater), so only the name is checked.
  t.ok(account.some((c) => c.name === 'lst'), 'the account lists the container')
  t.same((await (await req('?prefix=ls')).text()).trim(), 'lst')
})

t.test('ACL: test2:tester2 reads a container of test after X-Container-Read', async (t) => {
  t.equal((await req('/shared', { method: 'PUT' })).status, 201)
  t.equal((await req('/shared/doc', { method: 'PUT', body: 'shared data' })).status, 201)
  const other = await token('test2:tester2', 'testing2')
  const asOther = (path: string, method = 'GET', body?: string) => fetch(`${tester.url}${path}`, { method, body, headers: { 'X-Auth-Token': other.token } })
  t.equal((await asOther('/shared/doc')).status, 403, 'before the grant')
  t.equal((await req('/shared', { method: 'POST', headers: { 'X-Container-Read': 'test2:tester2' } })).status, 204)
  const got = await asOther('/shared/doc')
  t.equal(got.status, 200, 'after the grant')
  t.equal(await got.text(), 'shared data')
  t.equal((await asOther('/shared')).status, 200, 'a group ACL lets the user list too')
  t.equal((await asOther('/shared/new', 'PUT', 'x')).status, 403, 'read is not write')
  t.equal((await req('/shared', { method: 'POST', headers: { 'X-Container-Write': '.r:*' } })).status, 400, 'referrers are refused in write ACLs')
  if (requireCommand(t, SWIFT, 'python3-swiftclient')) {
    const viaCli = await swift(['download', 'shared', 'doc', '-o', '-'], 'test2:tester2', 'testing2', ['--os-storage-url', tester.url])
    t.equal(viaCli.stdout, 'shared data', 'swift CLI as test2:tester2')
  }
  const anon = await fetch(`${tester.url}/shared/doc`)
  t.equal(anon.status, 401)
  t.equal((await req('/shared', { method: 'POST', headers: { 'X-Container-Read': '.r:*' } })).status, 204)
  t.equal((await fetch(`${tester.url}/shared/doc`)).status, 200, '.r:* opens objects to anonymous')
  t.equal((await fetch(`${tester.url}/shared`)).status, 401, 'but not the listing without .rlistings')
})

t.test('CORS preflight and actual responses', async (t) => {
  t.equal((await req('/web', { method: 'PUT', headers: { 'X-Container-Meta-Access-Control-Allow-Origin': 'http://app.example.com', 'X-Container-Meta-Access-Control-Max-Age': '300' } })).status, 201)
  t.equal((await req('/web/page', { method: 'PUT', body: 'page' })).status, 201)
  const pre = await fetch(`${tester.url}/web/page`, { method: 'OPTIONS', headers: { Origin: 'http://app.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-auth-token' } })
  t.equal(pre.status, 200)
  t.equal(pre.headers.get('access-control-allow-origin'), 'http://app.example.com')
  t.equal(pre.headers.get('access-control-max-age'), '300')
  t.match(pre.headers.get('access-control-allow-methods'), /GET/)
  t.equal(pre.headers.get('access-control-allow-headers'), 'x-auth-token')
  const denied = await fetch(`${tester.url}/web/page`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example.com', 'Access-Control-Request-Method': 'GET' } })
  t.equal(denied.status, 401)
  const actual = await req('/web/page', { headers: { Origin: 'http://app.example.com' } })
  t.equal(actual.status, 200)
  t.equal(actual.headers.get('access-control-allow-origin'), 'http://app.example.com')
  t.match(actual.headers.get('access-control-expose-headers'), /etag/)
})

t.test('a storage node killed during a stream of writes loses nothing, and is used again when it returns', async (t) => {
  t.equal((await req('/stream', { method: 'PUT' })).status, 201)
  const victim = aio.layout.nodes[1]!
  const pid = Number(readFileSync(join(aio.home, 'run', `${victim.name}-server.pid`), 'utf8'))
  const acknowledged = new Map<string, string>()
  const failures: string[] = []
  let next = 0
  const total = 60
  let killed = false
  const writer = async () => {
    while (next < total) {
      const i = next++
      if (i === 15 && !killed) {
        killed = true
        // The node's object, container and account servers all go at once.
        process.kill(pid, 'SIGKILL')
      }
      const name = `obj-${String(i).padStart(3, '0')}`
      const body = `payload ${i} ${'x'.repeat(i * 37)}`
      const r = await req(`/stream/${name}`, { method: 'PUT', body })
      if (r.status === 201) acknowledged.set(name, body)
      else failures.push(`${name}: ${r.status}`)
    }
  }
  await Promise.all([writer(), writer(), writer(), writer()])
  t.ok(killed, 'the node was killed mid-stream')
  t.same(failures, [], 'every write succeeded with 2 of 3 replicas')
  t.equal(acknowledged.size, total)
  for (const [name, body] of acknowledged) {
    const r = await req(`/stream/${name}`)
    if (r.status !== 200 || (await r.text()) !== body) t.fail(`${name} unreadable (${r.status})`)
  }
  t.pass(`all ${acknowledged.size} acknowledged objects read back`)

  // Bring the node back, as an operator restarting its servers would.
  const supervisor = new Supervisor(join(aio.home, 'log'), join(aio.home, 'run'))
  t.teardown(() => supervisor.stopAll())
  await supervisor.start(nodeSpec(victim))
  // New writes whose primaries include the node land on it once the proxy tries it again
  // (error_suppression_interval is 5 s in the all-in-one's proxy config).
  const secrets = parseIni(await readFile(aio.layout.swiftConfPath, 'utf8'))['swift-hash']!
  const ring = Ring.load(join(aio.layout.etcDir, 'object.ring.gz'), { secrets: { prefix: secrets.swift_hash_path_prefix ?? '', suffix: secrets.swift_hash_path_suffix ?? '' } })
  const deadline = Date.now() + 30_000
  let landed = false
  for (let i = 0; !landed && Date.now() < deadline; i++) {
    const name = `back-${i}`
    const part = ring.getPart('AUTH_test', 'stream', name)
    if (!ring.getPartNodes(part).some((n) => n.port === victim.ports.object)) continue
    t.equal((await req(`/stream/${name}`, { method: 'PUT', body: name })).status, 201)
    const direct = await fetch(`http://127.0.0.1:${victim.ports.object}/${victim.device}/${part}/AUTH_test/stream/${name}`, { method: 'HEAD' })
    landed = direct.status === 200
  }
  t.ok(landed, 'a write reached the returned node')
})

t.test('200 MB streamed upload and download keep their MD5', async (t) => {
  const SIZE = 200 * 1024 * 1024
  t.equal((await req('/big', { method: 'PUT' })).status, 201)
  const sentMd5 = createHash('md5')
  const put = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const r = http.request(`${tester.url}/big/blob`, { method: 'PUT', headers: { 'X-Auth-Token': tester.token, 'Content-Length': SIZE } }, resolve)
    r.on('error', reject)
    generatedBody(SIZE, sentMd5).pipe(r)
  })
  put.resume()
  const sentHex = sentMd5.digest('hex')
  t.equal(put.statusCode, 201)
  t.equal(put.headers.etag, sentHex, 'the servers computed the same MD5')

  const got = createHash('md5')
  let bytes = 0
  const status = await new Promise<number>((resolve, reject) => {
    http.get(`${tester.url}/big/blob`, { headers: { 'X-Auth-Token': tester.token } }, (res) => {
      res.on('data', (d: Buffer) => {
        bytes += d.length
        got.update(d)
      })
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    }).on('error', reject)
  })
  t.equal(status, 200)
  t.equal(bytes, SIZE)
  t.equal(got.digest('hex'), sentHex, 'downloaded MD5 matches')
})

t.test('a second start reuses the configuration and the data', async (t) => {
  t.equal((await req('/restart', { method: 'PUT' })).status, 201)
  t.equal((await req('/restart/kept', { method: 'PUT', body: 'still here' })).status, 201)
  const swiftConf = await readFile(aio.layout.swiftConfPath, 'utf8')
  t.equal(await aio.stop(), 0, 'Ctrl-C stops every server cleanly')

  const again = await startAllInOneProcess(t, {
    home: aio.home,
    env: { TERN_PORT_BASE: String(aio.layout.portBase), TERN_PROXY_PORT: String(aio.layout.proxyPort) },
  })
  t.equal(await readFile(aio.layout.swiftConfPath, 'utf8'), swiftConf, 'the hash secrets are kept')
  const auth = await fetch(again.authUrl, { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const token = auth.headers.get('x-auth-token')!
  const r = await fetch(`${auth.headers.get('x-storage-url')}/restart/kept`, { headers: { 'X-Auth-Token': token } })
  t.equal(r.status, 200)
  t.equal(await r.text(), 'still here')
})
