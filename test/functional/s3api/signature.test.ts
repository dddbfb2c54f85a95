// Refused S3 requests write nothing: wrong secret, altered signed header, skewed clock, a
// body that does not match x-amz-content-sha256, altered / replayed aws-chunked chunks, and
// hostile XML. Requests are signed here with the SigV4 module (itself checked against AWS's
// documented examples in test/unit/proxy/s3api/sigv4.test.ts) and then tampered with.
import t from 'tap'
import { createHash } from 'node:crypto'
import { chunkSignature } from '../../../proxy/middleware/s3api/sigv4.ts'
import { startS3Cluster } from './s3-cluster.ts'
import type { Signed } from './s3-sign.ts'
import { codeOf, sha, sign } from './s3-sign.ts'

t.test('refused requests answer the right S3 error and write nothing', async (t) => {
  const cluster = await startS3Cluster(t)
  const put = async (s: Signed, body: Buffer | string, path: string) => cluster.request('PUT', path, { headers: s.headers, body })
  const exists = async (key: string) => {
    const s = sign(cluster, 'HEAD', `/sig/${key}`, {}, sha(''))
    return (await cluster.request('HEAD', `/sig/${key}`, { headers: s.headers })).status
  }
  const mk = sign(cluster, 'PUT', '/sig', {}, sha(''))
  t.equal((await cluster.request('PUT', '/sig', { headers: mk.headers })).status, 200, 'bucket created')

  const body = Buffer.from('signed body')
  const ok = sign(cluster, 'PUT', '/sig/good', { 'x-amz-meta-a': '1' }, sha(body))
  t.equal((await put(ok, body, '/sig/good')).status, 200, 'a correctly signed PUT is stored')

  const cases: { name: string; key: string; code: string; status: number; make(): Signed; body?: Buffer | string }[] = [
    { name: 'wrong secret', key: 'k1', code: 'SignatureDoesNotMatch', status: 403, make: () => sign(cluster, 'PUT', '/sig/k1', {}, sha(body), { secret: 'wrong' }) },
    {
      name: 'altered signed header', key: 'k2', code: 'SignatureDoesNotMatch', status: 403,
      make: () => {
        const s = sign(cluster, 'PUT', '/sig/k2', { 'x-amz-meta-a': '1' }, sha(body))
        s.headers['x-amz-meta-a'] = '2'
        return s
      },
    },
    { name: 'skewed clock', key: 'k3', code: 'RequestTimeTooSkewed', status: 403, make: () => sign(cluster, 'PUT', '/sig/k3', {}, sha(body), { now: Date.now() - 20 * 60_000 }) },
    { name: 'body not matching x-amz-content-sha256', key: 'k4', code: 'XAmzContentSHA256Mismatch', status: 400, make: () => sign(cluster, 'PUT', '/sig/k4', {}, sha('other')) },
  ]
  for (const c of cases) {
    const r = await put(c.make(), c.body ?? body, `/sig/${c.key}`)
    t.equal(r.status, c.status, `${c.name}: status`)
    t.equal(codeOf(r.body), c.code, `${c.name}: code`)
    t.match(r.body.toString(), /<RequestId>tx[0-9a-f]+-[0-9a-f]+<\/RequestId>/, `${c.name}: RequestId`)
    t.equal(await exists(c.key), 404, `${c.name}: nothing written`)
  }

  // aws-chunked: a 3-chunk body signed chunk by chunk.
  const payload = Buffer.alloc(20_000, 'q')
  const pieces = [payload.subarray(0, 8192), payload.subarray(8192, 16384), payload.subarray(16384)]
  const chunked = (key: string, tamper?: (list: { data: Buffer; sig: string }[]) => void) => {
    const s = sign(cluster, 'PUT', `/sig/${key}`, { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(payload.length) }, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD')
    let previous = s.signature
    const list = [...pieces, Buffer.alloc(0)].map((data) => {
      previous = chunkSignature(s.key, s.amzDate, s.scope, previous, sha(data))
      return { data, sig: previous }
    })
    tamper?.(list)
    const wire = Buffer.concat(list.map((c) => Buffer.concat([Buffer.from(`${c.data.length.toString(16)};chunk-signature=${c.sig}\r\n`), c.data, Buffer.from('\r\n')])))
    s.headers['content-length'] = String(wire.length)
    return put(s, wire, `/sig/${key}`)
  }
  const good = await chunked('chunked-good')
  t.equal(good.status, 200, 'aws-chunked upload stored')
  const g = sign(cluster, 'GET', '/sig/chunked-good', {}, sha(''))
  const got = await cluster.request('GET', '/sig/chunked-good', { headers: g.headers })
  t.ok(got.body.equals(payload), 'aws-chunked payload reads back decoded')
  t.equal(got.headers['content-encoding'], undefined, 'aws-chunked is not stored as the content encoding')

  const replay = await chunked('chunked-replay', (list) => {
    list[1] = list[0]!
  })
  t.equal(codeOf(replay.body), 'SignatureDoesNotMatch', 'replayed chunk refused')
  t.equal(await exists('chunked-replay'), 404, 'replayed chunk: nothing written')
  const altered = await chunked('chunked-altered', (list) => {
    list[2] = { data: Buffer.alloc(list[2]!.data.length, 'x'), sig: list[2]!.sig }
  })
  t.equal(codeOf(altered.body), 'SignatureDoesNotMatch', 'altered chunk refused')
  t.equal(await exists('chunked-altered'), 404, 'altered chunk: nothing written')

  // Hostile XML on DeleteObjects: entity expansion, deep nesting, oversize.
  const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('base64')
  const bomb = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>`
  const deep = `<Delete>${'<Object>'.repeat(5000)}${'</Object>'.repeat(5000)}</Delete>`
  const huge = `<Delete>${'<Object><Key>good</Key></Object>'.repeat(100_000)}</Delete>`
  for (const [name, xml] of [['entity expansion', bomb], ['deep nesting', deep], ['oversize', huge]] as const) {
    const s = sign(cluster, 'POST', '/sig?delete', { 'content-md5': md5(xml) }, sha(xml))
    const r = await cluster.request('POST', '/sig?delete', { headers: s.headers, body: xml })
    t.equal(codeOf(r.body), 'MalformedXML', `${name}: MalformedXML`)
  }
  t.equal(await exists('good'), 200, 'hostile documents deleted nothing')
})
