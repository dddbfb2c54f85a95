// A 200 MB object streamed up and down through the proxy: generated on the fly (never held
// in memory whole), stored on three replicas, read back with the same MD5.
import t from 'tap'
import http from 'node:http'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { startCluster } from '../../helpers/cluster.ts'

const SIZE = 200 * 1024 * 1024
const CHUNK = 256 * 1024

/** Deterministic non-repeating bytes: each chunk differs (its index is stamped in it). */
function generated(size: number, md5: ReturnType<typeof createHash>): Readable {
  const base = Buffer.alloc(CHUNK)
  for (let i = 0; i < CHUNK; i++) base[i] = (i * 2654435761) >>> 24
  let sent = 0
  let index = 0
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null)
      const n = Math.min(CHUNK, size - sent)
      const chunk = Buffer.from(base.subarray(0, n))
      chunk.writeUInt32BE(index++, 0)
      md5.update(chunk)
      sent += n
      this.push(chunk)
    },
  })
}

t.test('200 MB streamed upload and download keep their MD5', async (t) => {
  const c = await startCluster(t)
  t.equal((await c.request('PUT', '/v1/AUTH_test/big')).status, 201)
  const sentMd5 = createHash('md5')
  const put = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(`${c.url}/v1/AUTH_test/big/blob`, { method: 'PUT', headers: { 'Content-Length': SIZE } }, resolve)
    req.on('error', reject)
    generated(SIZE, sentMd5).pipe(req)
  })
  put.resume()
  const sentHex = sentMd5.digest('hex')
  t.equal(put.statusCode, 201)
  t.equal(put.headers.etag, sentHex, 'the servers computed the same MD5')
  t.ok(process.memoryUsage().rss < 1024 * 1024 * 1024, 'the body was never held whole')

  const got = createHash('md5')
  let bytes = 0
  const status = await new Promise<number>((resolve, reject) => {
    http.get(`${c.url}/v1/AUTH_test/big/blob`, (res) => {
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
