// Conditional and range requests, as swob answers them.
import t from 'tap'
import type { Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { nextTimestamp, putHeaders, request, startObjectServer } from '../../helpers/object-server.ts'

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')

t.test('conditional GET and HEAD', async (t) => {
  const s = await startObjectServer(t)
  const body = Buffer.from('conditional body')
  const ts = nextTimestamp()
  await request(s.port, 'PUT', '/sda/1/a/c/o', putHeaders(ts, body), body)
  const etag = md5(body)
  const lastModified = Math.ceil(ts.seconds)
  const date = (s: number) => new Date(s * 1000).toUTCString()
  const cases: [Record<string, string>, number][] = [
    [{ 'If-Match': `"${etag}"` }, 200],
    [{ 'If-Match': etag }, 200],
    [{ 'If-Match': '"nope", "other"' }, 412],
    [{ 'If-Match': '*' }, 200],
    [{ 'If-None-Match': `"${etag}"` }, 304],
    [{ 'If-None-Match': '*' }, 304],
    [{ 'If-None-Match': '"nope"' }, 200],
    [{ 'If-Modified-Since': date(lastModified) }, 304],
    [{ 'If-Modified-Since': date(lastModified - 1) }, 200],
    [{ 'If-Modified-Since': 'garbage' }, 200],
    [{ 'If-Unmodified-Since': date(lastModified - 1) }, 412],
    [{ 'If-Unmodified-Since': date(lastModified) }, 200],
  ]
  for (const [headers, want] of cases) {
    for (const method of ['GET', 'HEAD']) {
      const r = await request(s.port, method, '/sda/1/a/c/o', headers)
      t.equal(r.status, want, `${method} ${JSON.stringify(headers)}`)
      if (want !== 200) {
        t.equal(r.body.length, 0)
        t.equal(r.headers['content-length'], '0')
        t.equal(r.headers.etag, `"${etag}"`, 'the ETag still comes back')
      } else if (method === 'GET') {
        t.ok(r.body.equals(body))
      }
    }
  }
  t.equal((await request(s.port, 'GET', '/sda/1/a/c/missing', { 'If-Match': '*' })).status, 412, 'If-Match: * on nothing')
  t.equal((await request(s.port, 'GET', '/sda/1/a/c/missing', { 'If-Match': '"x"' })).status, 404)
  const again = await request(s.port, 'PUT', '/sda/1/a/c/o', putHeaders(nextTimestamp(), body, { 'If-None-Match': '*' }), body)
  t.equal(again.status, 412, 'PUT If-None-Match: * over an existing object')
})

async function rangeChecks(t: Test, size: number): Promise<void> {
  const s = await startObjectServer(t)
  const body = randomBytes(size)
  await request(s.port, 'PUT', '/sda/1/a/c/r', putHeaders(nextTimestamp(), body, { 'Content-Type': 'image/png' }), body)
  const get = (range: string) => request(s.port, 'GET', '/sda/1/a/c/r', { Range: range })

  const single = await get('bytes=2-9')
  t.equal(single.status, 206)
  t.equal(single.headers['content-range'], `bytes 2-9/${size}`)
  t.ok(single.body.equals(body.subarray(2, 10)))
  const suffix = await get('bytes=-5')
  t.equal(suffix.headers['content-range'], `bytes ${size - 5}-${size - 1}/${size}`)
  t.ok(suffix.body.equals(body.subarray(size - 5)))
  const open = await get(`bytes=${size - 3}-`)
  t.ok(open.body.equals(body.subarray(size - 3)))
  const past = await get(`bytes=${size + 10}-${size + 20}`)
  t.equal(past.status, 416)
  t.equal(past.headers['content-range'], `bytes */${size}`)
  t.match(past.body.toString(), /Requested Range Not Satisfiable/)
  const invalid = await get('bytes=9-2')
  t.equal(invalid.status, 200, 'a malformed Range is ignored')
  t.ok(invalid.body.equals(body))

  const ranges: [number, number][] = [[0, 3], [10, 19], [size - 4, size - 1]]
  const multi = await get(`bytes=${ranges.map(([a, b]) => `${a}-${b}`).join(',')}`)
  t.equal(multi.status, 206)
  const ctype = multi.headers['content-type'] ?? ''
  const m = /^multipart\/byteranges;boundary=([0-9a-f]{32})$/.exec(ctype)
  t.ok(m, `Swift's boundary format: ${ctype}`)
  const boundary = m?.[1] ?? ''
  const expected = Buffer.concat([
    ...ranges.flatMap(([a, b], i) => [
      Buffer.from(`${i ? '\r\n' : ''}--${boundary}\r\nContent-Type: image/png\r\nContent-Range: bytes ${a}-${b}/${size}\r\n\r\n`),
      body.subarray(a, b + 1),
    ]),
    Buffer.from(`\r\n--${boundary}--`),
  ])
  t.ok(multi.body.equals(expected), 'multipart/byteranges body as swob writes it')
  t.equal(multi.headers['content-length'], String(expected.length))
  const tooMany = await get('bytes=0-5,1-6,2-7,3-8')
  t.equal(tooMany.status, 416, 'more than two overlapping ranges are refused')
}

t.test('ranges on a small object', async (t) => rangeChecks(t, 100))
t.test('ranges on a large (streamed) object', async (t) => rangeChecks(t, 300_000))
