// POST Object (browser form uploads) against Tern's s3api: forms signed with SigV4 and SigV2
// policies, ${filename} keys, metadata and tagging fields, success_action_status / success_action_redirect answers, and
// every refused form (expired or violated policy, extra field, file outside
// content-length-range, bad signature, anonymous write, malformed policy) answering AWS's
// error code with nothing written. Swift's own s3api answers NotImplemented to all of these.
import t from 'tap'
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { hmacHex, signingKey } from '../../../proxy/middleware/s3api/sigv4.ts'
import { S3_USER, startS3Cluster } from './s3-cluster.ts'
import type { S3Cluster } from './s3-cluster.ts'
import { amzDateOf, codeOf, s3Request } from './s3-sign.ts'

type Field = [string, string]

function formBody(fields: Field[], file: { filename: string; data: Buffer }, after: Field[] = []): { body: Buffer; type: string } {
  const boundary = `----tern${randomBytes(8).toString('hex')}`
  const parts: Buffer[] = []
  const field = ([name, value]: Field) => parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
  fields.forEach(field)
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), file.data, Buffer.from('\r\n'))
  after.forEach(field)
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` }
}

const b64 = (doc: unknown) => Buffer.from(JSON.stringify(doc)).toString('base64')

/** A SigV4-signed policy and the fields that carry it (the policy must name those fields). */
function v4Fields(conditions: unknown[], options: { expiresInMs?: number; secret?: string } = {}): Field[] {
  const amzDate = amzDateOf(Date.now())
  const scope = { scopeDate: amzDate.slice(0, 8), region: 'us-east-1', service: 's3' }
  const credential = `${S3_USER.accessKey}/${scope.scopeDate}/us-east-1/s3/aws4_request`
  const policy = b64({
    expiration: new Date(Date.now() + (options.expiresInMs ?? 600_000)).toISOString(),
    conditions: [...conditions, { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }],
  })
  const signature = hmacHex(signingKey(options.secret ?? S3_USER.secret, scope), policy)
  return [['x-amz-algorithm', 'AWS4-HMAC-SHA256'], ['x-amz-credential', credential], ['x-amz-date', amzDate], ['policy', policy], ['x-amz-signature', signature]]
}

function post(cluster: S3Cluster, bucket: string, fields: Field[], file: { filename: string; data: Buffer }, after: Field[] = []) {
  const { body, type } = formBody(fields, file, after)
  return cluster.request('POST', `/${bucket}`, { headers: { 'content-type': type }, body })
}

/** An XML answer with its character entities decoded, for matching. */
const xmlText = (b: Buffer) => b.toString().replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')

t.test('POST Object: signed forms store the file; refused forms answer AWS codes and write nothing', async (t) => {
  const cluster = await startS3Cluster(t)
  t.equal((await s3Request(cluster, 'PUT', '/forms')).status, 200, 'bucket created')
  const exists = async (key: string) => (await s3Request(cluster, 'HEAD', `/forms/${key}`)).status === 200

  // SigV4, ${filename}, Content-Type and metadata fields, 201 with its XML; a big file crosses many chunks.
  const data = randomBytes(3 * 1024 * 1024 + 17)
  const conditions = [{ bucket: 'forms' }, ['starts-with', '$key', 'uploads/'], { success_action_status: '201' }, ['starts-with', '$Content-Type', 'text/'], { 'x-amz-meta-color': 'blue' }, ['starts-with', '$tagging', ''], ['content-length-range', 1, 4 * 1024 * 1024]]
  let r = await post(cluster, 'forms', [['key', 'uploads/${filename}'], ['Content-Type', 'text/plain'], ['x-amz-meta-color', 'blue'], ['tagging', '<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>'], ['success_action_status', '201'], ...v4Fields(conditions)], { filename: 'hello.txt', data }, [['ignored-after-file', 'x']])
  t.equal(r.status, 201, 'SigV4 form: 201', { body: r.body.toString() })
  const doc = xmlText(r.body)
  t.match(doc, /<PostResponse[^>]*>.*<Bucket>forms<\/Bucket><Key>uploads\/hello\.txt<\/Key><ETag>"([0-9a-f]{32})"<\/ETag>/s, 'PostResponse document')
  t.equal(/<ETag>"([0-9a-f]+)"/.exec(doc)?.[1], md5(data), 'its ETag is the MD5 of the file')
  const g = await s3Request(cluster, 'GET', '/forms/uploads/hello.txt')
  t.equal(g.status, 200, 'stored under the substituted key')
  t.equal(md5(g.body), md5(data), 'the stored bytes are the file')
  t.equal(g.headers['content-type'], 'text/plain', 'Content-Type field kept')
  t.equal(g.headers['x-amz-meta-color'], 'blue', 'metadata field kept')
  t.match((await s3Request(cluster, 'GET', '/forms/uploads/hello.txt?tagging')).body.toString(), /<Tag><Key>team<\/Key><Value>web<\/Value><\/Tag>/, 'tagging field kept')

  // SigV2 with success_action_redirect: 303 to the URL with bucket, key and etag.
  const v2Policy = b64({ expiration: new Date(Date.now() + 600_000).toISOString(), conditions: [{ bucket: 'forms' }, { key: 'v2.bin' }, ['starts-with', '$success_action_redirect', 'http://example.com/']] })
  const v2Signature = createHmac('sha1', S3_USER.secret).update(v2Policy).digest('base64')
  const small = Buffer.from('form body v2')
  r = await post(cluster, 'forms', [['key', 'v2.bin'], ['AWSAccessKeyId', S3_USER.accessKey], ['policy', v2Policy], ['signature', v2Signature], ['success_action_redirect', 'http://example.com/done?x=1']], { filename: 'a', data: small })
  t.equal(r.status, 303, 'SigV2 form: 303')
  const location = new URL(String(r.headers.location))
  t.same([location.origin + location.pathname, location.searchParams.get('x'), location.searchParams.get('bucket'), location.searchParams.get('key'), location.searchParams.get('etag')], ['http://example.com/done', '1', 'forms', 'v2.bin', `"${md5(small)}"`], 'redirect names bucket, key, etag')
  t.ok(await exists('v2.bin'), 'SigV2 form stored')

  // The default answer is 204.
  r = await post(cluster, 'forms', [['key', 'plain'], ...v4Fields([{ key: 'plain' }])], { filename: 'p', data: small })
  t.equal(r.status, 204, 'default success status 204')

  const refusals: { name: string; key: string; fields: Field[]; data?: Buffer; status: number; code: string; message?: RegExp }[] = [
    { name: 'expired policy', key: 'e1', fields: [['key', 'e1'], ...v4Fields([{ key: 'e1' }], { expiresInMs: -60_000 })], status: 403, code: 'AccessDenied', message: /Policy expired/ },
    { name: 'condition violated', key: 'e2', fields: [['key', 'e2'], ...v4Fields([['starts-with', '$key', 'uploads/']])], status: 403, code: 'AccessDenied', message: /Policy Condition failed: \["starts-with","\$key","uploads\/"\]/ },
    { name: 'field the policy does not name', key: 'e3', fields: [['key', 'e3'], ['x-amz-meta-sneaky', '1'], ...v4Fields([{ key: 'e3' }])], status: 403, code: 'AccessDenied', message: /Extra input fields: x-amz-meta-sneaky/ },
    { name: 'file over content-length-range', key: 'e4', data: Buffer.alloc(2000, 1), fields: [['key', 'e4'], ...v4Fields([{ key: 'e4' }, ['content-length-range', 0, 1000]])], status: 400, code: 'EntityTooLarge' },
    { name: 'file under content-length-range', key: 'e5', data: Buffer.alloc(10, 1), fields: [['key', 'e5'], ...v4Fields([{ key: 'e5' }, ['content-length-range', 100, 1000]])], status: 400, code: 'EntityTooSmall' },
    { name: 'wrong secret', key: 'e6', fields: [['key', 'e6'], ...v4Fields([{ key: 'e6' }], { secret: 'wrong' })], status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'anonymous form to a private bucket', key: 'e7', fields: [['key', 'e7']], status: 403, code: 'AccessDenied' },
    { name: 'no key field', key: 'e8', fields: v4Fields([]), status: 400, code: 'InvalidArgument' },
    { name: 'policy that is not JSON', key: 'e9', fields: [['key', 'e9'], ['AWSAccessKeyId', S3_USER.accessKey], ['policy', 'bm90IGpzb24='], ['signature', createHmac('sha1', S3_USER.secret).update('bm90IGpzb24=').digest('base64')]], status: 400, code: 'InvalidPolicyDocument' },
  ]
  for (const c of refusals) {
    r = await post(cluster, 'forms', c.fields, { filename: 'f', data: c.data ?? small })
    t.equal(r.status, c.status, `${c.name}: status`)
    t.equal(codeOf(r.body), c.code, `${c.name}: ${c.code}`, { body: r.body.toString() })
    if (c.message) t.match(xmlText(r.body), c.message, `${c.name}: message`)
    t.notOk(await exists(c.key), `${c.name}: nothing written`)
  }

  // A public-read-write bucket takes anonymous forms (no policy).
  t.equal((await s3Request(cluster, 'PUT', '/openforms', { 'x-amz-acl': 'public-read-write' })).status, 200, 'public bucket created')
  r = await post(cluster, 'openforms', [['key', 'anon']], { filename: 'f', data: small })
  t.equal(r.status, 204, 'anonymous form to a public-read-write bucket')
  t.equal((await s3Request(cluster, 'GET', '/openforms/anon')).body.toString(), small.toString(), 'anonymous form stored')
})
