// Debian's s3cmd and rclone against Tern's S3 API on one in-process cluster: s3cmd mb, put
// (single and multipart in 5 MB chunks), ls, get, del; rclone copy, lsjson, check, sync.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { requireCommand } from '../../helpers/require-tool.ts'
import { S3_USER, run, startS3Cluster } from './s3-cluster.ts'

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')

t.test('s3cmd and rclone round trips', async (t) => {
  const haveS3cmd = requireCommand(t, '/usr/bin/s3cmd', 's3cmd')
  const haveRclone = requireCommand(t, '/usr/bin/rclone', 'rclone')
  if (!haveS3cmd && !haveRclone) return
  const cluster = await startS3Cluster(t)
  const hostPort = new URL(cluster.url).host
  const dir = cluster.scratch

  if (haveS3cmd) {
    const cfg = join(dir, 's3cfg')
    await writeFile(cfg, [
      '[default]', `access_key = ${S3_USER.accessKey}`, `secret_key = ${S3_USER.secret}`, `host_base = ${hostPort}`, `host_bucket = ${hostPort}`,
      'signature_v2 = False', 'use_https = False', 'bucket_location = us-east-1', '',
    ].join('\n'))
    const s3cmd = (...args: string[]) => run('/usr/bin/s3cmd', ['-c', cfg, ...args])
    const small = randomBytes(1000)
    const big = randomBytes(12 * 1024 * 1024 + 123)
    await writeFile(join(dir, 'small.bin'), small)
    await writeFile(join(dir, 'big.bin'), big)
    let r = await s3cmd('mb', 's3://s3cmd-bucket')
    t.equal(r.code, 0, 's3cmd mb', { stderr: r.stderr })
    r = await s3cmd('put', join(dir, 'small.bin'), 's3://s3cmd-bucket/small.bin')
    t.equal(r.code, 0, 's3cmd put', { stderr: r.stderr })
    r = await s3cmd('put', '--progress', '--multipart-chunk-size-mb=5', join(dir, 'big.bin'), 's3://s3cmd-bucket/dir/big.bin')
    t.equal(r.code, 0, 's3cmd multipart put', { stderr: r.stderr })
    t.match(r.stdout + r.stderr, /part 3 of 3/, 'uploaded in three parts')
    r = await s3cmd('ls', '-r', 's3://s3cmd-bucket')
    t.equal(r.code, 0, 's3cmd ls')
    t.match(r.stdout, /\b1000\s+s3:\/\/s3cmd-bucket\/small\.bin/, 'ls shows the small object and its size')
    t.match(r.stdout, new RegExp(`\\b${big.length}\\s+s3://s3cmd-bucket/dir/big\\.bin`), 'ls shows the multipart object and its size')
    r = await s3cmd('get', '--force', 's3://s3cmd-bucket/dir/big.bin', join(dir, 'big.out'))
    t.equal(r.code, 0, 's3cmd get', { stderr: r.stderr })
    t.equal(md5(await readFile(join(dir, 'big.out'))), md5(big), 'multipart object reads back intact')
    r = await s3cmd('get', '--force', 's3://s3cmd-bucket/small.bin', join(dir, 'small.out'))
    t.equal(md5(await readFile(join(dir, 'small.out'))), md5(small), 'small object reads back intact')
    r = await s3cmd('del', 's3://s3cmd-bucket/small.bin', 's3://s3cmd-bucket/dir/big.bin')
    t.equal(r.code, 0, 's3cmd del', { stderr: r.stderr })
    r = await s3cmd('ls', '-r', 's3://s3cmd-bucket')
    t.equal(r.stdout.trim(), '', 'bucket empty after del')
  }

  if (haveRclone) {
    const conf = join(dir, 'rclone.conf')
    await writeFile(conf, ['[tern]', 'type = s3', 'provider = Other', `access_key_id = ${S3_USER.accessKey}`, `secret_access_key = ${S3_USER.secret}`,
      `endpoint = ${cluster.url}`, 'region = us-east-1', 'force_path_style = true', ''].join('\n'))
    const rclone = (...args: string[]) => run('/usr/bin/rclone', ['--config', conf, '--retries', '1', '--low-level-retries', '1', ...args], { AWS_CA_BUNDLE: undefined })
    const src = join(dir, 'tree')
    await mkdir(join(src, 'sub'), { recursive: true })
    const files: Record<string, Buffer> = { 'a.txt': randomBytes(10), 'sub/b.bin': randomBytes(70_000), 'sub/c.bin': randomBytes(3) }
    for (const [name, data] of Object.entries(files)) await writeFile(join(src, name), data)
    let r = await rclone('mkdir', 'tern:rclone-bucket')
    t.equal(r.code, 0, 'rclone mkdir', { stderr: r.stderr })
    r = await rclone('copy', src, 'tern:rclone-bucket/tree')
    t.equal(r.code, 0, 'rclone copy', { stderr: r.stderr })
    r = await rclone('lsjson', '-R', '--files-only', 'tern:rclone-bucket/tree')
    t.equal(r.code, 0, 'rclone lsjson', { stderr: r.stderr })
    const listed = (JSON.parse(r.stdout) as { Path: string; Size: number }[]).map((e) => [e.Path, e.Size]).sort()
    t.same(listed, Object.entries(files).map(([n, d]) => [n, d.length]).sort(), 'lsjson lists every file with its size')
    r = await rclone('check', src, 'tern:rclone-bucket/tree')
    t.equal(r.code, 0, 'rclone check finds no differences (MD5)', { stderr: r.stderr })
    await rm(join(src, 'sub/c.bin'))
    await writeFile(join(src, 'a.txt'), randomBytes(20))
    r = await rclone('sync', src, 'tern:rclone-bucket/tree')
    t.equal(r.code, 0, 'rclone sync', { stderr: r.stderr })
    r = await rclone('check', src, 'tern:rclone-bucket/tree')
    t.equal(r.code, 0, 'rclone check after sync', { stderr: r.stderr })
    r = await rclone('lsjson', '-R', '--files-only', 'tern:rclone-bucket/tree')
    t.same((JSON.parse(r.stdout) as { Path: string }[]).map((e) => e.Path).sort(), ['a.txt', 'sub/b.bin'], 'sync removed the deleted file')
  }
})
