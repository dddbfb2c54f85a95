// Every constraint of swift/common/constraints.py answers Swift's status and body through the
// proxy, and a refused request leaves nothing behind.
import t from 'tap'
import net from 'node:net'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { DEFAULT_CONSTRAINTS as C } from '../../../common/constraints.ts'
import { startCluster } from '../../helpers/cluster.ts'

/** One raw HTTP/1.1 exchange (for requests node's client will not send as they are). */
function rawRequest(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(text))
    let out = ''
    socket.on('data', (d) => {
      out += d.toString('latin1')
      if (/\r\n\r\n/.test(out)) socket.end()
    })
    socket.on('end', () => resolve(out))
    socket.on('close', () => resolve(out))
    socket.on('error', reject)
  })
}

t.test('constraints', async (t) => {
  const c = await startCluster(t)
  t.equal((await c.request('PUT', '/v1/AUTH_test/k')).status, 201)
  const listing = async () => JSON.parse((await c.request('GET', '/v1/AUTH_test/k?format=json')).body.toString()) as unknown[]

  const longName = 'o'.repeat(C.maxObjectNameLength + 1)
  let r = await c.request('PUT', `/v1/AUTH_test/k/${longName}`, { body: 'x' })
  t.equal(r.status, 400)
  t.equal(r.body.toString(), `Object name length of ${C.maxObjectNameLength + 1} longer than ${C.maxObjectNameLength}`)
  t.equal((await c.request('PUT', `/v1/AUTH_test/k/${'o'.repeat(C.maxObjectNameLength)}`, { body: 'x' })).status, 201, 'the maximum itself is fine')
  t.equal((await c.request('DELETE', `/v1/AUTH_test/k/${'o'.repeat(C.maxObjectNameLength)}`)).status, 204)

  r = await c.request('PUT', `/v1/AUTH_test/${'c'.repeat(C.maxContainerNameLength + 1)}`)
  t.equal(r.status, 400)
  t.equal(r.body.toString(), `Container name length of ${C.maxContainerNameLength + 1} longer than ${C.maxContainerNameLength}`)

  const metaCases: [string, Record<string, string>, string][] = [
    ['name too long', { [`X-Object-Meta-${'n'.repeat(C.maxMetaNameLength + 1)}`]: 'v' }, `Metadata name too long: x-object-meta-${'n'.repeat(C.maxMetaNameLength + 1)}`],
    ['value too long', { 'X-Object-Meta-K': 'v'.repeat(C.maxMetaValueLength + 1) }, `Metadata value longer than ${C.maxMetaValueLength}: x-object-meta-k`],
    ['too many', Object.fromEntries(Array.from({ length: C.maxMetaCount + 1 }, (_v, i) => [`X-Object-Meta-M${i}`, 'v'])), `Too many metadata items; max ${C.maxMetaCount}`],
    ['too large overall', Object.fromEntries(Array.from({ length: 20 }, (_v, i) => [`X-Object-Meta-Big${i}`, 'v'.repeat(250)])), `Total metadata too large; max ${C.maxMetaOverallSize}`],
  ]
  for (const [what, headers, body] of metaCases) {
    r = await c.request('PUT', '/v1/AUTH_test/k/meta', { body: 'x', headers })
    t.equal(r.status, 400, `object metadata ${what}: 400`)
    t.equal(r.body.toString(), body)
    const cr = await c.request('PUT', '/v1/AUTH_test/kmeta', { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.replace('Object', 'Container'), v])) })
    t.equal(cr.status, 400, `container metadata ${what}: 400`)
  }
  t.equal((await c.request('HEAD', '/v1/AUTH_test/kmeta')).status, 404, 'no container was created')

  r = await c.request('PUT', '/v1/AUTH_test/k/big', { headers: { 'Content-Length': String(C.maxFileSize + 1), Connection: 'close' } })
  t.equal(r.status, 413)
  t.equal(r.body.toString(), 'Your request is too large.')

  const noLength = await rawRequest(c.url, 'PUT /v1/AUTH_test/k/nolength HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(noLength, /^HTTP\/1\.1 411 /, 'no Content-Length and not chunked: 411')

  r = await c.request('GET', `/v1/AUTH_test/k?limit=${C.containerListingLimit + 1}`)
  t.equal(r.status, 412)
  t.equal(r.body.toString(), `Maximum limit is ${C.containerListingLimit}`)
  r = await c.request('GET', `/v1/AUTH_test?limit=${C.accountListingLimit + 1}`)
  t.equal(r.status, 412)

  for (const bad of ['%FF', 'a%00b', '%ED%A0%80']) {
    r = await c.request('PUT', `/v1/AUTH_test/k/${bad}`, { body: 'x' })
    t.equal(r.status, 412, `path ${bad}: 412`)
    t.equal(r.body.toString(), 'Invalid UTF8 or contains NULL')
  }
  t.equal((await c.request('GET', '/v2/AUTH_test')).status, 400, 'unknown API version')
  t.equal((await c.request('GET', '/v1')).status, 412, 'no account: Bad URL')

  const longHeader = await rawRequest(c.url, `GET /v1/AUTH_test/k HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(C.maxHeaderSize + 10)}\r\nConnection: close\r\n\r\n`)
  t.match(longHeader, /^HTTP\/1\.1 400 /, 'a header line over max_header_size: 400')
  const hugeHeaders = await rawRequest(c.url, `GET /v1/AUTH_test/k HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 12 }, (_v, i) => `X-H${i}: ${'a'.repeat(8000)}\r\n`).join('')}Connection: close\r\n\r\n`)
  t.match(hugeHeaders, /^HTTP\/1\.1 400 /, 'headers over the parser limit: 400, not 431')

  const delCases: [Record<string, string>, string][] = [
    [{ 'X-Delete-After': 'soon' }, 'Non-integer X-Delete-After'],
    [{ 'X-Delete-After': '-5' }, 'X-Delete-After in past'],
    [{ 'X-Delete-At': '12.5' }, 'Non-integer X-Delete-At'],
    [{ 'X-Delete-At': String(Math.floor(Date.now() / 1000) - 10) }, 'X-Delete-At in past'],
  ]
  for (const [headers, body] of delCases) {
    r = await c.request('PUT', '/v1/AUTH_test/k/expiring', { body: 'x', headers })
    t.equal(r.status, 400, body)
    t.equal(r.body.toString(), body)
  }

  r = await c.request('PUT', '/v1/AUTH_test/k/etag', { body: 'abc', headers: { ETag: createHash('md5').update('abd').digest('hex') } })
  t.equal(r.status, 422, 'ETag mismatch: 422')
  t.same(await listing(), [], 'nothing was created by any refused request')
  t.equal((await c.request('HEAD', '/v1/AUTH_test/k/etag')).status, 404)

  r = await c.request('PUT', '/v1/AUTH_test/k/chunked', { body: Readable.from([Buffer.from('chunk-1,'), Buffer.from('chunk-2')]) })
  t.equal(r.status, 201, 'chunked upload')
  r = await c.request('GET', '/v1/AUTH_test/k/chunked')
  t.equal(r.body.toString(), 'chunk-1,chunk-2')
  r = await c.request('PUT', '/v1/AUTH_test/k/etag-ok', { body: 'abc', headers: { ETag: createHash('md5').update('abc').digest('hex') } })
  t.equal(r.status, 201, 'matching ETag accepted')
})
