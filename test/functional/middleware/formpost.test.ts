// FormPost from a real HTML page in headless Chromium (Debian's chromium driven by
// playwright-core): the page's form, signed as Swift documents, uploads two files and is
// redirected with status=201; then raw HTTP for the failures (bad signature, expired form,
// too many files, a file over max_file_size), each with Swift's status and body and nothing
// stored.
import t from 'tap'
import http from 'node:http'
import { createHmac } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { startCluster } from '../../helpers/cluster.ts'
import { requireCommand } from '../../helpers/require-tool.ts'

const CHROMIUM = '/usr/bin/chromium'

t.test('formpost', async (t) => {
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging tempurl formpost tempauth slo dlo proxy-logging proxy-server',
    extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n',
  })
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const h = { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
  t.equal((await c.request('POST', '/v1/AUTH_test', { headers: { ...h, 'X-Account-Meta-Temp-URL-Key': 'formkey' } })).status, 204)
  t.equal((await c.request('PUT', '/v1/AUTH_test/uploads', { headers: h })).status, 201)
  const path = '/v1/AUTH_test/uploads/in/'
  const sign = (redirect: string, size: number, count: number, expires: number, digest = 'sha256') =>
    createHmac(digest, 'formkey').update(`${path}\n${redirect}\n${size}\n${count}\n${expires}`).digest('hex')
  const expires = Math.floor(Date.now() / 1000) + 600

  const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, Record<string, unknown>>
  t.same(info.formpost?.allowed_digests, ['sha1', 'sha256', 'sha512'], '/info lists formpost')

  await t.test('an HTML form in headless Chromium', async (t) => {
    if (!requireCommand(t, CHROMIUM, 'chromium')) return
    const { chromium } = await import('playwright-core')
    // The page and the redirect target live on a little web server of their own, as a web app's would.
    let landed: URL | undefined
    let onLanded: () => void = () => {}
    const landedOnce = new Promise<void>((resolve) => (onLanded = resolve))
    const site = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname === '/done') {
        landed = url
        res.end('<html><body>thanks</body></html>')
        onLanded()
        return
      }
      const redirect = `http://127.0.0.1:${(site.address() as AddressInfo).port}/done`
      const sig = sign(redirect, 1024 * 1024, 2, expires)
      res.setHeader('Content-Type', 'text/html')
      res.end(`<!doctype html><html><body>
        <form id="f" action="${c.url}${path}" method="POST" enctype="multipart/form-data">
          <input type="hidden" name="redirect" value="${redirect}">
          <input type="hidden" name="max_file_size" value="${1024 * 1024}">
          <input type="hidden" name="max_file_count" value="2">
          <input type="hidden" name="expires" value="${expires}">
          <input type="hidden" name="signature" value="${sig}">
          <input type="file" name="file1"><input type="file" name="file2">
          <input type="submit" id="go">
        </form></body></html>`)
    })
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => site.close(() => resolve())))
    const work = await mkdtemp(join(tmpdir(), 'tern-formpost-'))
    t.teardown(() => rm(work, { recursive: true, force: true }))
    await writeFile(join(work, 'hello.txt'), 'hello from chromium')
    await writeFile(join(work, 'photo.bin'), Buffer.alloc(50_000, 7))
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    t.teardown(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/form`)
    await page.setInputFiles('input[name=file1]', join(work, 'hello.txt'))
    await page.setInputFiles('input[name=file2]', join(work, 'photo.bin'))
    await Promise.all([landedOnce, page.click('#go')])
    t.equal(landed?.searchParams.get('status'), '201', 'redirected with status=201')
    t.equal(landed?.searchParams.get('message'), '')
    const one = await c.request('GET', '/v1/AUTH_test/uploads/in/hello.txt', { headers: h })
    t.equal(one.body.toString(), 'hello from chromium')
    t.equal(one.headers['content-type'], 'text/plain')
    t.equal((await c.request('GET', '/v1/AUTH_test/uploads/in/photo.bin', { headers: h })).body.length, 50_000)
  })

  await t.test('bad forms: Swift status and body, nothing stored', async (t) => {
    const form = (fields: Record<string, string>, files: [string, string][]) => {
      const b = 'XXboundaryXX'
      const parts = [
        ...Object.entries(fields).map(([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
        ...files.map(([name, data], i) => `--${b}\r\nContent-Disposition: form-data; name="file${i}"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${data}\r\n`),
      ]
      return { body: `${parts.join('')}--${b}--\r\n`, headers: { 'Content-Type': `multipart/form-data; boundary=${b}` } }
    }
    const fields = (over: Partial<Record<string, string>> = {}) => {
      const f = { redirect: '', max_file_size: '100', max_file_count: '1', expires: String(expires), ...over }
      return { ...f, signature: over.signature ?? sign(f.redirect, Number(f.max_file_size), Number(f.max_file_count), Number(f.expires)) }
    }
    const cases: [string, ReturnType<typeof form>, number, string][] = [
      ['bad signature', form(fields({ signature: 'f'.repeat(64) }), [['a.txt', 'x']]), 401, 'FormPost: Invalid Signature'],
      ['expired', form(fields({ expires: String(expires - 3600) }), [['a.txt', 'x']]), 401, 'FormPost: Form Expired'],
      ['too big', form(fields(), [['a.txt', 'y'.repeat(101)]]), 400, 'FormPost: max_file_size exceeded'],
      ['too many (the first is stored, as in Swift)', form(fields(), [['a.txt', 'x'], ['b.txt', 'x']]), 400, '400 Bad Request\r\nFormPost: Max File Count Exceeded'],
      ['no files', form(fields(), []), 400, '400 Bad Request\r\nFormPost: No Files To Process'],
    ]
    for (const [what, f, status, body] of cases) {
      const res = await c.request('POST', path, f)
      t.equal(res.body.toString(), body, what)
      t.equal(res.status, status, what)
    }
    t.equal((await c.request('HEAD', '/v1/AUTH_test/uploads/in/b.txt', { headers: h })).status, 404, 'the file over the count was not stored')
    const stored = await c.request('GET', '/v1/AUTH_test/uploads?prefix=in/&format=json', { headers: h })
    t.same((JSON.parse(stored.body.toString()) as { name: string }[]).map((o) => o.name).sort(), ['in/a.txt', 'in/hello.txt', 'in/photo.bin'], 'only the allowed files exist')
  })
})
