// Additional checksums and the storage of multipart uploads, with raw signed requests and
// boto3: x-amz-checksum-* verified (BadDigest / InvalidRequest, nothing written), stored and
// returned; a completed multipart upload is a Swift SLO over "<bucket>+segments" parts, as
// Swift's s3api stores it, and its segments go with it on delete.
import t from 'tap'
import type { Test } from 'tap'
import { fileURLToPath } from 'node:url'
import { SYSTEM_PYTHON, requirePython } from '../../helpers/require-tool.ts'
import { S3_USER, run, startS3Cluster } from './s3-cluster.ts'
import type { S3Cluster } from './s3-cluster.ts'
import { codeOf, s3Request, sign } from './s3-sign.ts'

/** CRC-32C of "123456789" is 0xE3069283 (the published check value). */
const CRC32C_CHECK = Buffer.from('e3069283', 'hex').toString('base64')

async function swiftToken(cluster: S3Cluster): Promise<string> {
  const r = await cluster.request('GET', '/auth/v1.0', { headers: { 'x-auth-user': S3_USER.accessKey, 'x-auth-key': S3_USER.secret } })
  return String(r.headers['x-auth-token'])
}

function assertScript(t: Test, stdout: string, stderr: string): void {
  const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; ok: boolean; detail?: unknown })
  for (const l of lines) t.ok(l.ok, l.name, { detail: l.detail })
  t.equal(lines.at(-1)?.name, 'done', 'the script ran to its end', { stderr: stderr.slice(-3000) })
}

// One cluster for both tests (a cluster start is much of their cost).
const cluster = await startS3Cluster(t, { min_segment_size: 1024 })

t.test('checksums: refused writes store nothing; CRC32C; multipart objects are SLOs', async (t) => {
  t.equal((await s3Request(cluster, 'PUT', '/rawsums')).status, 200, 'bucket created')
  const exists = async (key: string) => (await s3Request(cluster, 'HEAD', `/rawsums/${key}`)).status === 200

  let r = await s3Request(cluster, 'PUT', '/rawsums/c32c', { 'x-amz-checksum-crc32c': CRC32C_CHECK, 'x-amz-sdk-checksum-algorithm': 'CRC32C' }, '123456789')
  t.equal(r.status, 200, 'CRC32C of the check string accepted')
  t.equal(r.headers['x-amz-checksum-crc32c'], CRC32C_CHECK, 'and echoed')
  r = await s3Request(cluster, 'HEAD', '/rawsums/c32c', { 'x-amz-checksum-mode': 'ENABLED' })
  t.same([r.headers['x-amz-checksum-crc32c'], r.headers['x-amz-checksum-type']], [CRC32C_CHECK, 'FULL_OBJECT'], 'HEAD with checksum mode returns it')
  r = await s3Request(cluster, 'GET', '/rawsums/c32c', { 'x-amz-checksum-mode': 'ENABLED', range: 'bytes=0-3' })
  t.equal(r.headers['x-amz-checksum-crc32c'], undefined, 'a ranged GET returns no whole-object checksum')

  const refusals: { name: string; headers: Record<string, string>; code: string }[] = [
    { name: 'CRC32C mismatch', headers: { 'x-amz-checksum-crc32c': Buffer.from('00000000', 'hex').toString('base64') }, code: 'BadDigest' },
    { name: 'two checksum headers', headers: { 'x-amz-checksum-crc32c': CRC32C_CHECK, 'x-amz-checksum-crc32': 'AAAAAA==' }, code: 'InvalidRequest' },
    { name: 'checksum of the wrong length', headers: { 'x-amz-checksum-sha256': 'AAAAAA==' }, code: 'InvalidRequest' },
    { name: 'algorithm without a checksum', headers: { 'x-amz-sdk-checksum-algorithm': 'SHA1' }, code: 'InvalidRequest' },
    { name: 'unknown algorithm', headers: { 'x-amz-sdk-checksum-algorithm': 'MD4' }, code: 'InvalidRequest' },
  ]
  for (const [i, c] of refusals.entries()) {
    r = await s3Request(cluster, 'PUT', `/rawsums/bad${i}`, c.headers, '123456789')
    t.equal(r.status, 400, `${c.name}: 400`)
    t.equal(codeOf(r.body), c.code, `${c.name}: ${c.code}`, { body: r.body.toString() })
    t.notOk(await exists(`bad${i}`), `${c.name}: nothing written`)
  }

  // aws-chunked with unsigned chunks and a checksum trailer (what SDKs send over TLS).
  const trailed = async (key: string, trailerValue: string) => {
    const data = Buffer.from('123456789')
    const body = Buffer.from(`5\r\n12345\r\n4\r\n6789\r\n0\r\nx-amz-checksum-crc32c:${trailerValue}\r\n\r\n`)
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32c', 'x-amz-sdk-checksum-algorithm': 'CRC32C' }
    const s = sign(cluster, 'PUT', `/rawsums/${key}`, headers, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER')
    return cluster.request('PUT', `/rawsums/${key}`, { headers: s.headers, body })
  }
  r = await trailed('trailer-good', CRC32C_CHECK)
  t.equal(r.status, 200, 'trailer checksum accepted')
  t.equal((await s3Request(cluster, 'GET', '/rawsums/trailer-good')).body.toString(), '123456789', 'the decoded body is stored')
  r = await trailed('trailer-bad', 'AAAAAA==')
  t.equal(codeOf(r.body), 'BadDigest', 'trailer checksum mismatch: BadDigest')
  t.notOk(await exists('trailer-bad'), 'trailer checksum mismatch: nothing written')

  // A completed multipart upload, seen through the Swift API.
  const init = await s3Request(cluster, 'POST', '/rawsums/big?uploads')
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString())?.[1] ?? ''
  const parts = [Buffer.alloc(1500, 'a'), Buffer.alloc(700, 'b')]
  const etags: string[] = []
  for (const [i, p] of parts.entries()) etags.push(String((await s3Request(cluster, 'PUT', `/rawsums/big?partNumber=${i + 1}&uploadId=${uploadId}`, {}, p)).headers.etag))
  const complete = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`
  t.equal((await s3Request(cluster, 'POST', `/rawsums/big?uploadId=${uploadId}`, {}, complete)).status, 200, 'upload completed')
  const token = await swiftToken(cluster)
  const head = await cluster.request('HEAD', '/v1/AUTH_test/rawsums/big', { headers: { 'x-auth-token': token } })
  t.equal(head.headers['x-static-large-object'], 'True', 'the object is a Swift SLO')
  t.equal(Number(head.headers['content-length']), 2200, 'Swift serves its assembled length')
  const manifest = await cluster.request('GET', '/v1/AUTH_test/rawsums/big?multipart-manifest=get', { headers: { 'x-auth-token': token } })
  const segments = JSON.parse(manifest.body.toString()) as { name: string; bytes: number }[]
  t.same(segments.map((s) => [s.name, s.bytes]), [[`/rawsums+segments/big/${uploadId}/1`, 1500], [`/rawsums+segments/big/${uploadId}/2`, 700]], 'its manifest names the parts in <bucket>+segments')
  t.equal((await s3Request(cluster, 'DELETE', '/rawsums/big')).status, 204, 'DeleteObject')
  const left = await cluster.request('GET', '/v1/AUTH_test/rawsums+segments?format=json', { headers: { 'x-auth-token': token } })
  t.same(JSON.parse(left.body.toString() || '[]'), [], 'its segments went with it')
})

t.test('boto3: checksums (stored, returned, attributes, composite multipart) and bucket versioning over Swift object versioning', async (t) => {
  if (!requirePython(t, 'boto3', 'python3-boto3')) return
  const script = fileURLToPath(new URL('../../fixtures/s3api/boto3-features.py', import.meta.url))
  const r = await run(SYSTEM_PYTHON, [script, cluster.url, S3_USER.accessKey, S3_USER.secret])
  assertScript(t, r.stdout, r.stderr)
})
