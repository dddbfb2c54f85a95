// Several ranges of a large object: an SLO answers 206 multipart/byteranges with each range
// read across segment boundaries (nested manifests and inline data included), laid out
// byte for byte as Swift's swob lays them out (checked against swob itself when python3-swift
// is installed); a DLO answers the whole object, as Swift's dlo drops a multi-range header.
// Bad and unsatisfiable range sets answer as swob does.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { startCluster } from '../../helpers/cluster.ts'
import { SYSTEM_PYTHON, requirePython } from '../../helpers/require-tool.ts'

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex')

interface Part {
  headers: Record<string, string>
  body: Buffer
}

/** Splits a multipart/byteranges body (independently of the code under test). */
function parseMultipart(body: Buffer, boundary: string): Part[] {
  const text = body.toString('latin1')
  const sections = text.split(`--${boundary}`)
  t.equal(sections.at(-1), '--', 'closing delimiter ends the body')
  const out: Part[] = []
  for (const section of sections.slice(1, -1)) {
    const trimmed = section.startsWith('\r\n') ? section.slice(2) : section
    const split = trimmed.indexOf('\r\n\r\n')
    const headers: Record<string, string> = {}
    for (const line of trimmed.slice(0, split).split('\r\n')) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const data = trimmed.slice(split + 4)
    out.push({ headers, body: Buffer.from(data.endsWith('\r\n') ? data.slice(0, -2) : data, 'latin1') })
  }
  return out
}

/** swob's answer to `range` over `body` with `boundary`, or undefined when swob is not installed. */
function swobMultipart(body: Buffer, contentType: string, range: string, boundary: string): Buffer | undefined {
  const script = `
import sys
from swift.common import swob
body = sys.stdin.buffer.read()
req = swob.Request.blank('/v1/a/c/o', headers={'Range': sys.argv[1]})
resp = swob.Response(body=body, content_type=sys.argv[2], request=req, conditional_response=True)
resp.boundary = sys.argv[3].encode()
sys.stdout.buffer.write(b''.join(resp({'REQUEST_METHOD': 'GET'}, lambda *a: None)))
`
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script, range, contentType, boundary], { input: body, maxBuffer: 64 * 1024 * 1024 })
  return r.status === 0 ? r.stdout : undefined
}

t.test('multi-range GETs of large objects', async (t) => {
  const c = await startCluster(t, { pipeline: 'catch_errors proxy-logging slo dlo proxy-logging proxy-server' })
  const A = '/v1/AUTH_test'
  t.equal((await c.request('PUT', `${A}/segs`)).status, 201)
  t.equal((await c.request('PUT', `${A}/c`)).status, 201)
  const parts = [Buffer.alloc(1000, 'a'), Buffer.alloc(2000, 'b'), Buffer.from('tail-bytes')]
  for (const [i, p] of parts.entries()) t.equal((await c.request('PUT', `${A}/segs/part-${i}`, { body: p })).status, 201)
  // An inner manifest with a ranged segment and inline data, nested in the outer one.
  const inner = [{ path: '/segs/part-1', range: '10-19' }, { data: Buffer.from('XYZ').toString('base64') }, { path: '/segs/part-2' }]
  t.equal((await c.request('PUT', `${A}/c/inner?multipart-manifest=put`, { body: JSON.stringify(inner) })).status, 201)
  const innerBytes = Buffer.concat([parts[1]!.subarray(10, 20), Buffer.from('XYZ'), parts[2]!])
  const innerEtag = md5(`${md5(parts[1]!)}:10-19;${md5('XYZ')}${md5(parts[2]!)}`)
  const outer = [{ path: '/segs/part-0' }, { path: '/segs/part-1' }, { path: '/c/inner', etag: innerEtag, size_bytes: innerBytes.length }]
  const put = await c.request('PUT', `${A}/c/slo?multipart-manifest=put`, { body: JSON.stringify(outer), headers: { 'Content-Type': 'text/plain' } })
  t.equal(put.status, 201, put.body.toString())
  const whole = Buffer.concat([parts[0]!, parts[1]!, innerBytes])

  await t.test('SLO: 206 multipart/byteranges across segments', async (t) => {
    const range = 'bytes=995-1004,2998-3014,-4'
    const res = await c.request('GET', `${A}/c/slo`, { headers: { Range: range } })
    t.equal(res.status, 206)
    const m = /^multipart\/byteranges;boundary=([0-9a-f]{32})$/.exec(String(res.headers['content-type']))
    t.ok(m, `content type ${res.headers['content-type']}`)
    const boundary = m?.[1] ?? ''
    t.equal(res.headers['content-length'], String(res.body.length))
    t.equal(res.headers.etag, put.headers.etag, 'the SLO ETag')
    t.ok(res.headers['x-manifest-etag'])
    t.notOk(res.headers['content-range'])
    const got = parseMultipart(res.body, boundary)
    const want: [number, number][] = [[995, 1004], [2998, 3014], [whole.length - 4, whole.length - 1]]
    t.equal(got.length, want.length)
    for (const [i, [s, e]] of want.entries()) {
      t.equal(got[i]?.headers['content-type'], 'text/plain')
      t.equal(got[i]?.headers['content-range'], `bytes ${s}-${e}/${whole.length}`)
      t.same(got[i]?.body, whole.subarray(s, e + 1), `range ${s}-${e}`)
    }
    if (requirePython(t, 'swift', 'python3-swift')) {
      const swob = swobMultipart(whole, 'text/plain', range, boundary)
      t.ok(swob, 'swob answered')
      t.equal(res.body.toString('latin1'), swob?.toString('latin1'), "byte for byte swob's multipart body")
    }
  })

  await t.test('SLO: unsatisfiable, egregious, partly satisfiable and bad range sets', async (t) => {
    const none = await c.request('GET', `${A}/c/slo`, { headers: { Range: `bytes=${whole.length}-,${whole.length + 5}-${whole.length + 9}` } })
    t.equal(none.status, 416)
    t.equal(none.headers['content-range'], `bytes */${whole.length}`)
    t.match(none.body.toString(), /Requested Range Not Satisfiable/)
    // swob refuses more than two overlapping ranges.
    const overlapping = await c.request('GET', `${A}/c/slo`, { headers: { Range: 'bytes=0-100,50-150,60-160,70-170' } })
    t.equal(overlapping.status, 416)
    // One satisfiable range left: a plain 206 with Content-Range.
    const one = await c.request('GET', `${A}/c/slo`, { headers: { Range: `bytes=10-19,${whole.length + 1}-` } })
    t.equal(one.status, 206)
    t.equal(one.headers['content-range'], `bytes 10-19/${whole.length}`)
    t.same(one.body, whole.subarray(10, 20))
    // A syntactically bad header is ignored.
    const bad = await c.request('GET', `${A}/c/slo`, { headers: { Range: 'bytes=1-2,x-3' } })
    t.equal(bad.status, 200)
    t.same(bad.body, whole)
    // swob ignores Range on HEAD.
    const head = await c.request('HEAD', `${A}/c/slo`, { headers: { Range: 'bytes=0-1,5-6' } })
    t.equal(head.status, 200)
    t.equal(head.headers['content-length'], String(whole.length))
    const headOne = await c.request('HEAD', `${A}/c/slo`, { headers: { Range: 'bytes=0-1' } })
    t.equal(headOne.status, 200)
    t.equal(headOne.headers['content-length'], String(whole.length))
  })

  await t.test('SLO: a missing first segment is a 409 before any byte', async (t) => {
    t.equal((await c.request('PUT', `${A}/segs/gone`, { body: 'short-lived' })).status, 201)
    const m = [{ path: '/segs/gone' }, { path: '/segs/part-0' }]
    t.equal((await c.request('PUT', `${A}/c/broken?multipart-manifest=put`, { body: JSON.stringify(m) })).status, 201)
    t.equal((await c.request('DELETE', `${A}/segs/gone`)).status, 204)
    const res = await c.request('GET', `${A}/c/broken`, { headers: { Range: 'bytes=0-1,20-21' } })
    t.equal(res.status, 409)
  })

  await t.test('DLO: several ranges get the whole object, as Swift', async (t) => {
    for (const [i, p] of parts.entries()) t.equal((await c.request('PUT', `${A}/segs/dlo/${i}`, { body: p })).status, 201)
    t.equal((await c.request('PUT', `${A}/c/dyn`, { body: '', headers: { 'X-Object-Manifest': 'segs/dlo/' } })).status, 201)
    const dloWhole = Buffer.concat(parts)
    const res = await c.request('GET', `${A}/c/dyn`, { headers: { Range: 'bytes=0-1,1500-1600' } })
    t.equal(res.status, 200)
    t.same(res.body, dloWhole)
    const single = await c.request('GET', `${A}/c/dyn`, { headers: { Range: 'bytes=998-1001' } })
    t.equal(single.status, 206)
    t.same(single.body, dloWhole.subarray(998, 1002))
  })
})
