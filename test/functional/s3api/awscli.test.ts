// Debian's awscli (/usr/bin/aws, v2) against Tern's S3 API: mb, cp up and down (a file in
// 8 MB multipart parts, its ETag checked as md5 of the part MD5s + "-N"), ls, sync,
// presign, rm, rb. Each CLI start costs seconds, so the calls are few and do much.
import t from 'tap'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { requireCommand } from '../../helpers/require-tool.ts'
import { AWS, aws, awsEnv, startS3Cluster } from './s3-cluster.ts'

const PART = 8 * 1024 * 1024
// The 100 MB run takes ~90 s on a loaded 2-core machine: TERN_S3_BIG_MB=100 runs it;
// the default keeps three 8 MB parts (the same multipart path) so the suite stays fast.
const SIZE_MB = Number(process.env.TERN_S3_BIG_MB ?? 20)
const SIZE = SIZE_MB * 1024 * 1024

async function multipartEtag(path: string): Promise<{ etag: string; md5: string }> {
  const md5s: Buffer[] = []
  const whole = createHash('md5')
  let part = createHash('md5')
  let inPart = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const buf = chunk as Buffer
    whole.update(buf)
    part.update(buf)
    inPart += buf.length
    if (inPart === PART) {
      md5s.push(part.digest())
      part = createHash('md5')
      inPart = 0
    }
  }
  if (inPart > 0) md5s.push(part.digest())
  return { etag: `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${md5s.length}"`, md5: whole.digest('hex') }
}

t.test(`aws s3 / s3api: multipart cp of ${SIZE_MB} MB in 8 MB parts, ls, sync, presign, rm`, async (t) => {
  if (!requireCommand(t, AWS, 'awscli')) return
  const cluster = await startS3Cluster(t)
  const env = await awsEnv(cluster)
  const big = join(cluster.scratch, 'big.bin')
  // Deterministic but not compressible-looking: each MiB a distinct hash-seeded pattern.
  const mib = Buffer.alloc(1024 * 1024)
  const chunks: Buffer[] = []
  for (let i = 0; i < SIZE / mib.length; i++) {
    const seed = createHash('sha256').update(String(i)).digest()
    for (let j = 0; j < mib.length; j += seed.length) seed.copy(mib, j)
    chunks.push(Buffer.from(mib))
  }
  await writeFile(big, Buffer.concat(chunks))
  const expected = await multipartEtag(big)

  let r = await aws(cluster, env, ['s3', 'mb', 's3://cli-bucket'])
  t.equal(r.code, 0, `mb: ${r.stderr}`)
  r = await aws(cluster, env, ['s3', 'cp', big, 's3://cli-bucket/dir/big.bin'])
  t.equal(r.code, 0, `multipart cp up: ${r.stderr}`)
  r = await aws(cluster, env, ['s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'dir/big.bin'])
  t.equal(r.code, 0, r.stderr)
  const head = JSON.parse(r.stdout || '{}') as { ETag?: string; ContentLength?: number }
  t.equal(head.ETag, expected.etag, `ETag is md5 of the 8 MB part MD5s + "-${Math.ceil(SIZE / PART)}"`)
  t.equal(head.ContentLength, SIZE)

  const down = join(cluster.scratch, 'down.bin')
  r = await aws(cluster, env, ['s3', 'cp', 's3://cli-bucket/dir/big.bin', down])
  t.equal(r.code, 0, `cp down: ${r.stderr}`)
  t.equal((await multipartEtag(down)).md5, expected.md5, 'downloaded bytes match')

  const tree = join(cluster.scratch, 'tree')
  await mkdir(join(tree, 'sub'), { recursive: true })
  await writeFile(join(tree, 'a.txt'), 'alpha')
  await writeFile(join(tree, 'sub', 'b.txt'), 'beta')
  r = await aws(cluster, env, ['s3', 'sync', tree, 's3://cli-bucket/tree/'])
  t.equal(r.code, 0, `sync up: ${r.stderr}`)
  r = await aws(cluster, env, ['s3', 'ls', '--recursive', 's3://cli-bucket/'])
  t.equal(r.code, 0, r.stderr)
  const listed = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).at(-1))
  t.same(listed, ['dir/big.bin', 'tree/a.txt', 'tree/sub/b.txt'], 'ls --recursive')
  const back = join(cluster.scratch, 'back')
  r = await aws(cluster, env, ['s3', 'sync', 's3://cli-bucket/tree/', back])
  t.equal(r.code, 0, `sync down: ${r.stderr}`)
  t.same((await readdir(back)).sort(), ['a.txt', 'sub'])
  t.equal(await readFile(join(back, 'sub', 'b.txt'), 'utf8'), 'beta')

  r = await aws(cluster, env, ['s3', 'presign', 's3://cli-bucket/tree/a.txt', '--expires-in', '300'])
  t.equal(r.code, 0, r.stderr)
  const fetched = await fetch(r.stdout.trim())
  t.equal(fetched.status, 200, 'presigned URL works without credentials')
  t.equal(await fetched.text(), 'alpha')

  r = await aws(cluster, env, ['s3', 'rm', '--recursive', 's3://cli-bucket/'])
  t.equal(r.code, 0, `rm: ${r.stderr}`)
  r = await aws(cluster, env, ['s3', 'rb', 's3://cli-bucket'])
  t.equal(r.code, 0, `rb: ${r.stderr}`)
  const auth = await cluster.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const segs = await cluster.request('HEAD', '/v1/AUTH_test/cli-bucket+segments', { headers: { 'X-Auth-Token': String(auth.headers['x-auth-token']) } })
  t.equal(segs.status, 404, 'the segments went with the multipart object, then their container with the bucket')
})
