// Bad bodies, broken clients, missing devices, full disks and corrupted files.
import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chooseFiles } from '../../../object/diskfile/ondisk-files.ts'
import { nextTimestamp, putHeaders, request, startObjectServer } from '../../helpers/object-server.ts'
import type { TestObjectServer } from '../../helpers/object-server.ts'

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex')
const oname = (obj: string) => ({ device: 'sda', partition: '5', account: 'a', container: 'c', obj, policy: 0 })

async function tmpFiles(s: TestObjectServer): Promise<string[]> {
  return readdir(join(s.devices, 'sda', 'tmp')).catch(() => [])
}

t.test('422 on an ETag mismatch, and nothing is stored', async (t) => {
  const s = await startObjectServer(t)
  const r = await request(s.port, 'PUT', '/sda/5/a/c/e', putHeaders(nextTimestamp(), 'body', { ETag: md5('other') }), 'body')
  t.equal(r.status, 422)
  t.equal((await request(s.port, 'GET', '/sda/5/a/c/e')).status, 404)
  t.same(await tmpFiles(s), [])
  t.equal((await request(s.port, 'PUT', '/sda/5/a/c/e', putHeaders(nextTimestamp(), 'body', { ETag: `"${md5('body')}"` }), 'body')).status, 201, 'a quoted matching ETag is fine')
})

t.test('chunked uploads work; no length and no chunking is 411', async (t) => {
  const s = await startObjectServer(t)
  const body = randomBytes(200_000)
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'PUT', path: '/sda/5/a/c/chunked', headers: { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'a/b', 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    for (let at = 0; at < body.length; at += 7000) req.write(body.subarray(at, at + 7000))
    req.end()
  })
  t.equal(status, 201)
  const get = await request(s.port, 'GET', '/sda/5/a/c/chunked')
  t.ok(get.body.equals(body))
  t.equal(get.headers.etag, `"${md5(body)}"`)
  const raw = await rawHttp(s.port, `PUT /sda/5/a/c/nolen HTTP/1.1\r\nHost: x\r\nX-Timestamp: ${nextTimestamp().internal}\r\nContent-Type: a/b\r\nConnection: close\r\n\r\n`)
  t.match(raw, /^HTTP\/1.1 411/)
})

function rawHttp(port: number, text: string, closeAfterWrite = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(text)
      if (closeAfterWrite) sock.end()
    })
    let out = ''
    sock.on('data', (d) => (out += d.toString('latin1')))
    sock.on('close', () => resolve(out))
    sock.on('error', reject)
  })
}

t.test('499 when the client sends less than Content-Length and goes away; temp file removed', async (t) => {
  const s = await startObjectServer(t)
  const ts = nextTimestamp()
  // Announce 100000 bytes, send 10, half-close: the body ends short.
  const reply = await rawHttp(s.port, `PUT /sda/5/a/c/short HTTP/1.1\r\nHost: x\r\nX-Timestamp: ${ts.internal}\r\nContent-Type: a/b\r\nContent-Length: 100000\r\n\r\n0123456789`, true)
  t.notMatch(reply, /^HTTP\/1.1 201/, 'never created')
  const line = await s.accessLog((l) => l.path === '/sda/5/a/c/short')
  t.equal(line.status, 499)
  t.equal((await request(s.port, 'GET', '/sda/5/a/c/short')).status, 404)
  t.same(await tmpFiles(s), [])
})

t.test('507 for a missing device and under mount_check', async (t) => {
  const s = await startObjectServer(t)
  const missing = await request(s.port, 'PUT', '/sdq/5/a/c/o', putHeaders(nextTimestamp(), 'x'), 'x')
  t.equal(missing.status, 507)
  t.match(missing.body.toString(), /Drive: sdq/)
  t.equal((await request(s.port, 'GET', '/sdq/5/a/c/o')).status, 507)
  const mounted = await startObjectServer(t, 'mount_check = true')
  const notMount = await request(mounted.port, 'PUT', '/sda/5/a/c/o', putHeaders(nextTimestamp(), 'x'), 'x')
  t.equal(notMount.status, 507, 'a plain folder is not a mount point')
  t.equal((await request(mounted.port, 'DELETE', '/sda/5/a/c/o', { 'X-Timestamp': nextTimestamp().internal })).status, 507)
})

t.test('a full device (fallocate_reserve) answers 507 and leaves nothing behind', async (t) => {
  const s = await startObjectServer(t, 'fallocate_reserve = 100%')
  const r = await request(s.port, 'PUT', '/sda/5/a/c/full', putHeaders(nextTimestamp(), 'x'), 'x')
  t.equal(r.status, 507)
  t.same(await tmpFiles(s), [])
  t.same(await s.diskfile.listFiles(oname('full')), [])
})

t.test('a corrupted small object is quarantined and answers 404', async (t) => {
  const s = await startObjectServer(t)
  const body = randomBytes(4096)
  await request(s.port, 'PUT', '/sda/5/a/c/q', putHeaders(nextTimestamp(), body), body)
  const dir = s.diskfile.paths(oname('q')).hashDir
  const file = join(dir, chooseFiles(await readdir(dir)).data!.name)
  const bytes = await readFile(file)
  bytes[100] = bytes[100]! ^ 0x55
  await writeFile(file, bytes)
  t.equal((await request(s.port, 'HEAD', '/sda/5/a/c/q')).status, 200, 'HEAD does not read the body')
  const get = await request(s.port, 'GET', '/sda/5/a/c/q')
  t.equal(get.status, 404)
  const q = await readdir(join(s.devices, 'sda', 'quarantined', 'objects'))
  t.same(q, [s.diskfile.paths(oname('q')).hash])
  t.equal((await request(s.port, 'GET', '/sda/5/a/c/q')).status, 404)
})

t.test('a size mismatch is quarantined on open', async (t) => {
  const s = await startObjectServer(t)
  const body = randomBytes(500)
  await request(s.port, 'PUT', '/sda/5/a/c/size', putHeaders(nextTimestamp(), body), body)
  const dir = s.diskfile.paths(oname('size')).hashDir
  const file = join(dir, chooseFiles(await readdir(dir)).data!.name)
  await writeFile(file, (await readFile(file)).subarray(3))
  t.equal((await request(s.port, 'HEAD', '/sda/5/a/c/size')).status, 404)
  t.equal((await readdir(join(s.devices, 'sda', 'quarantined', 'objects'))).length, 1)
})

t.test('a corrupted large object: the stream is cut before the end, then quarantined', async (t) => {
  const s = await startObjectServer(t)
  // Several 1 MiB reads (READ_CHUNK), so some bytes go out before the mismatch shows at the end.
  const body = randomBytes(3_000_000)
  await request(s.port, 'PUT', '/sda/5/a/c/big', putHeaders(nextTimestamp(), body), body)
  const dir = s.diskfile.paths(oname('big')).hashDir
  const file = join(dir, chooseFiles(await readdir(dir)).data!.name)
  const bytes = await readFile(file)
  bytes[1_500_000] = bytes[1_500_000]! ^ 0xff
  await writeFile(file, bytes)
  const outcome = await new Promise<{ status: number; received: number; error: boolean }>((resolve) => {
    http.get({ host: '127.0.0.1', port: s.port, path: '/sda/5/a/c/big', agent: false }, (res) => {
      let received = 0
      res.on('data', (c: Buffer) => (received += c.length))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, received, error: true }))
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, received, error: true }))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, received, error: false }))
    })
  })
  t.equal(outcome.status, 200)
  t.ok(outcome.error, 'the connection was cut')
  t.ok(outcome.received < body.length, `only ${outcome.received} of ${body.length} bytes arrived`)
  t.equal((await request(s.port, 'GET', '/sda/5/a/c/big')).status, 404)
  t.equal((await readdir(join(s.devices, 'sda', 'quarantined', 'objects'))).length, 1)
  await rm(join(s.devices, 'sda', 'quarantined'), { recursive: true })
})

t.test('Expect: 100-continue is answered only after the checks pass', async (t) => {
  const s = await startObjectServer(t)
  const put = (ts: string, body: string) =>
    new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
      let continued = false
      const req = http.request({
        host: '127.0.0.1', port: s.port, method: 'PUT', path: '/sda/5/a/c/expect', agent: false,
        headers: { 'X-Timestamp': ts, 'Content-Type': 'a/b', 'Content-Length': body.length, Expect: '100-continue' },
      }, (res) => {
        res.resume()
        res.on('end', () => resolve({ continued, status: res.statusCode ?? 0 }))
      })
      req.on('continue', () => {
        continued = true
        req.end(body)
      })
      req.on('error', reject)
      req.flushHeaders()
    })
  const newer = nextTimestamp()
  const first = await put(newer.internal, 'hello')
  t.same(first, { continued: true, status: 201 })
  const stale = await put('0000000001.00000', 'old')
  t.same(stale, { continued: false, status: 409 }, 'a refused PUT never asks for its body')
})
