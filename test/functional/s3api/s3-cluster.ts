// Shared set-up for the S3 tests: an in-process cluster whose proxy runs
// `s3api tempauth slo versioned_writes symlink proxy-server` (object versioning on), tempauth users as S3 credentials, and runners for the real
// clients (Debian's awscli, boto3 under /usr/bin/python3, s3cmd, rclone) pointed at it.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCluster } from '../../helpers/cluster.ts'
import type { Cluster } from '../../helpers/cluster.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const S3_USER = { accessKey: 'test:tester', secret: 'testing', account: 'AUTH_test' }
export const S3_OTHER = { accessKey: 'test2:tester2', secret: 'testing2', account: 'AUTH_test2' }
export const AWS = '/usr/bin/aws'

export interface S3Cluster extends Cluster {
  /** A scratch folder removed at teardown. */
  readonly scratch: string
}

export async function startS3Cluster(t: Teardown, s3Settings: Record<string, string | number> = {}): Promise<S3Cluster> {
  const s3 = Object.entries({ min_segment_size: 5 * 1024 * 1024, ...s3Settings }).map(([k, v]) => `${k} = ${v}`)
  const cluster = await startCluster(t, {
    pipeline: 's3api tempauth slo versioned_writes symlink proxy-server',
    extraIni: [
      '[filter:tempauth]',
      'user_test_tester = testing .admin',
      'user_test2_tester2 = testing2 .admin',
      'token_secret = s3-test-secret',
      '[filter:versioned_writes]',
      'allow_object_versioning = true',
      '[filter:s3api]',
      ...s3,
    ].join('\n'),
  })
  const scratch = await mkdtemp(join(tmpdir(), 'tern-s3-'))
  t.teardown(() => rm(scratch, { recursive: true, force: true }))
  return Object.assign(Object.create(cluster) as Cluster, cluster, { scratch })
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export function run(command: string, args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) })
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

/** Environment for Debian's awscli: credentials and region from env, no user config, no CA bundle. */
export async function awsEnv(cluster: S3Cluster, user = S3_USER): Promise<Record<string, string | undefined>> {
  const config = join(cluster.scratch, 'aws-config')
  await writeFile(config, '[default]\ns3 =\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n')
  return {
    AWS_ACCESS_KEY_ID: user.accessKey,
    AWS_SECRET_ACCESS_KEY: user.secret,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(cluster.scratch, 'no-credentials'),
    AWS_PAGER: '',
    AWS_CA_BUNDLE: undefined,
  }
}

export function aws(cluster: S3Cluster, env: Record<string, string | undefined>, args: string[]): Promise<RunResult> {
  return run(AWS, ['--endpoint-url', cluster.url, '--output', 'json', ...args], env)
}
