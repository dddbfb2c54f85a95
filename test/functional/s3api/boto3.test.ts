// boto3 (Debian's python3-boto3, run by /usr/bin/python3) against Tern's S3 API: every check
// the script prints must hold. The script's lines name what each one covers.
import t from 'tap'
import type { Test } from 'tap'
import { fileURLToPath } from 'node:url'
import { SYSTEM_PYTHON, requirePython } from '../../helpers/require-tool.ts'
import { S3_OTHER, S3_USER, run, startS3Cluster } from './s3-cluster.ts'

const script = (name: string) => fileURLToPath(new URL(`../../fixtures/s3api/${name}`, import.meta.url))

function assertLines(t: Test, stdout: string, stderr: string): void {
  const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; ok: boolean; detail?: unknown })
  for (const l of lines) t.ok(l.ok, l.name, { detail: l.detail })
  t.equal(lines.at(-1)?.name, 'done', 'the script ran to its end', { stderr: stderr.slice(-3000) })
}

t.test('boto3: buckets, objects, listings, copy, multi-delete, presign, SigV2, signature failures; ACLs with anonymous and second-user requests, tagging, CORS', async (t) => {
  if (!requirePython(t, 'boto3', 'python3-boto3')) return
  const cluster = await startS3Cluster(t)
  const r = await run(SYSTEM_PYTHON, [script('boto3-basic.py'), cluster.url, S3_USER.accessKey, S3_USER.secret, S3_OTHER.accessKey, S3_OTHER.secret])
  assertLines(t, r.stdout, r.stderr)
})

t.test('boto3: multipart uploads (list, complete errors, abort, ranges, partNumber, part copy, delete)', async (t) => {
  if (!requirePython(t, 'boto3', 'python3-boto3')) return
  const cluster = await startS3Cluster(t, { min_segment_size: 1024 })
  const r = await run(SYSTEM_PYTHON, [script('boto3-multipart.py'), cluster.url, S3_USER.accessKey, S3_USER.secret])
  assertLines(t, r.stdout, r.stderr)
})
