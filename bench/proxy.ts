// Proxy benchmark: PUT and GET of 4 KiB and 64 MiB objects through the proxy at concurrency
// 16 and 64, Tern side by side with OpenStack Swift 2.30 (peer-swift, 3 replicas, tempauth),
// printing Tern/Swift ratios. Tern runs as two processes like Swift's proxy and storage
// servers: storage (4 nodes x object/container/account servers) and the proxy (one worker,
// as peer-swift's default). Results: bench/results/proxy.{json,md}.
//   node --import=tsx bench/proxy.ts [--small-ops N] [--large-ops N] [--skip-swift]
import { fork, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { writeRingFileSync } from '../ring/io.ts'
import type { RingData } from '../ring/types.ts'

const SECRETS = { prefix: 'bench-prefix', suffix: 'bench-suffix' }
const KIB4 = 4 * 1024
const MIB64 = 64 * 1024 * 1024
const self = fileURLToPath(import.meta.url)

// ---- child roles ---------------------------------------------------------------------------

async function runStorage(root: string): Promise<void> {
  const { parseIni } = await import('../common/config/ini.ts')
  const { dbServerConfig } = await import('../common/config/db-server-config.ts')
  const { parseObjectServerConfig } = await import('../object/config.ts')
  const { createObjectServer } = await import('../object/server.ts')
  const { createContainerServer } = await import('../container/server.ts')
  const { createAccountServer } = await import('../account/server.ts')
  const { createLogger } = await import('../common/logger.ts')
  const logger = createLogger()
  const ports: Record<string, number[]> = { object: [], container: [], account: [] }
  for (let i = 0; i < 4; i++) {
    const devices = join(root, `node${i}`)
    await mkdir(join(devices, `d${i}`), { recursive: true })
    const oc = parseObjectServerConfig(parseIni(`[DEFAULT]\ndevices = ${devices}\nmount_check = false\nbind_ip = 127.0.0.1\nbind_port = 0\nworkers = 1\nlog_requests = false\n`), SECRETS)
    const os = createObjectServer(oc, logger)
    await new Promise<void>((resolve) => os.listen(0, '127.0.0.1', resolve))
    ports.object!.push((os.address() as { port: number }).port)
    for (const kind of ['container', 'account'] as const) {
      const cfg = dbServerConfig(kind, { devices, mountCheck: false, bindIp: '127.0.0.1', bindPort: 0, hashPath: SECRETS })
      const s = kind === 'container' ? createContainerServer(cfg, logger) : createAccountServer(cfg, logger)
      ports[kind]!.push(await s.listen())
    }
  }
  for (const kind of ['object', 'container', 'account']) writeRingFileSync(join(root, `${kind}.ring.gz`), ringData(ports[kind]!))
  process.send?.({ ready: true })
  process.on('disconnect', () => process.exit(0))
}

function ringData(ports: number[]): RingData {
  const parts = 2 ** 10
  return {
    devs: ports.map((port, i) => ({ id: i, region: 1, zone: i + 1, ip: '127.0.0.1', port, replication_ip: '127.0.0.1', replication_port: port, device: `d${i}`, weight: 1, meta: '' })),
    replica2part2dev: [0, 1, 2].map((r) => Uint16Array.from({ length: parts }, (_v, p) => (p + r) % 4)),
    partShift: 32 - 10,
    version: 1,
  }
}

async function runProxy(root: string): Promise<void> {
  const { parseProxyConfigText } = await import('../proxy/config.ts')
  const { createProxyServer } = await import('../proxy/server.ts')
  const { createLogger } = await import('../common/logger.ts')
  const ini = `[pipeline:main]\npipeline = catch_errors healthcheck proxy-logging proxy-server\n[app:proxy-server]\nswift_dir = ${root}\naccount_autocreate = true\n[swift-hash]\nswift_hash_path_prefix = ${SECRETS.prefix}\nswift_hash_path_suffix = ${SECRETS.suffix}\n`
  const proxy = createProxyServer(parseProxyConfigText(ini), createLogger())
  const { port } = await proxy.listen(0, '127.0.0.1')
  process.send?.({ port })
  process.on('disconnect', () => process.exit(0))
}

// ---- driver --------------------------------------------------------------------------------

interface Target {
  name: 'tern' | 'swift'
  storageUrl: string
  token: string | undefined
}

interface Row {
  target: string
  op: 'PUT' | 'GET'
  size: number
  concurrency: number
  ops: number
  errors: number
  seconds: number
  opsPerSec: number
  mbPerSec: number
}

function startChild(role: string, root: string): Promise<{ child: ChildProcess; msg: Record<string, unknown> }> {
  const child = fork(self, [role, root], { execArgv: ['--import=tsx'], stdio: 'ignore' })
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ child, msg: msg as Record<string, unknown> }))
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)))
  })
}

function request(agent: http.Agent, url: string, method: string, headers: Record<string, string | number>, body?: Buffer): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let bytes = 0
      res.on('data', (d: Buffer) => (bytes += d.length))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function runOps(target: Target, op: 'PUT' | 'GET', size: number, concurrency: number, count: number, container: string, body: Buffer): Promise<Row> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const headers: Record<string, string | number> = target.token ? { 'X-Auth-Token': target.token } : {}
  let next = 0
  let errors = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const url = `${target.storageUrl}/${container}/o${i}`
        const h = op === 'PUT' ? { ...headers, 'Content-Length': size, 'Content-Type': 'application/octet-stream' } : headers
        try {
          const r = await request(agent, url, op, h, op === 'PUT' ? body : undefined)
          if (r.status >= 300 || (op === 'GET' && r.bytes !== size)) errors++
        } catch {
          errors++
        }
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  return { target: target.name, op, size, concurrency, ops: count, errors, seconds, opsPerSec: count / seconds, mbPerSec: (count * size) / seconds / 1e6 }
}

async function swiftTarget(): Promise<Target | undefined> {
  const r = spawnSync('/work/shared/peer-swift/start', { stdio: 'ignore' })
  if (r.status !== 0) return undefined
  const res = await fetch('http://127.0.0.1:28080/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const url = res.headers.get('x-storage-url')
  const token = res.headers.get('x-auth-token')
  return url && token ? { name: 'swift', storageUrl: url, token } : undefined
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

async function main(): Promise<void> {
  const smallOps = arg('--small-ops', 4000)
  const largeOps = arg('--large-ops', 0)
  const root = await mkdtemp(join(tmpdir(), 'tern-bench-proxy-'))
  const storage = await startChild('--storage', root)
  const proxy = await startChild('--proxy', root)
  const targets: Target[] = [{ name: 'tern', storageUrl: `http://127.0.0.1:${proxy.msg.port as number}/v1/AUTH_bench`, token: undefined }]
  if (!process.argv.includes('--skip-swift')) {
    const s = await swiftTarget()
    if (s) targets.push(s)
  }
  const rows: Row[] = []
  const small = Buffer.alloc(KIB4, 'x')
  const large = largeOps > 0 ? Buffer.alloc(MIB64, 'y') : Buffer.alloc(0)
  try {
    for (const concurrency of [16, 64]) {
      for (const [size, count, body] of [[KIB4, smallOps, small], [MIB64, largeOps, large]] as const) {
        if (count <= 0) continue
        for (const target of targets) {
          const container = `bench-${size}-${concurrency}-${Date.now()}`
          const agent = new http.Agent()
          await request(agent, `${target.storageUrl}/${container}`, 'PUT', target.token ? { 'X-Auth-Token': target.token } : {})
          for (const op of ['PUT', 'GET'] as const) {
            const row = await runOps(target, op, size, concurrency, count, container, body)
            rows.push(row)
            process.stdout.write(`${row.target.padEnd(5)} ${op.padEnd(3)} ${String(size).padStart(8)} B c=${String(concurrency).padStart(2)}: ${row.opsPerSec.toFixed(1)} ops/s ${row.mbPerSec.toFixed(1)} MB/s errors=${row.errors}\n`)
          }
        }
      }
    }
  } finally {
    proxy.child.kill()
    storage.child.kill()
    await rm(root, { recursive: true, force: true })
  }
  const lines = ['# Proxy benchmark: Tern vs OpenStack Swift 2.30 (3 replicas, one proxy worker each)', '', `${cpus().length} CPUs; ${new Date().toISOString()}`, '', '| op | size | concurrency | Tern ops/s | Swift ops/s | ratio | Tern MB/s | Swift MB/s |', '|---|---|---|---|---|---|---|---|']
  for (const r of rows.filter((x) => x.target === 'tern')) {
    const s = rows.find((x) => x.target === 'swift' && x.op === r.op && x.size === r.size && x.concurrency === r.concurrency)
    const ratio = s ? (r.opsPerSec / s.opsPerSec).toFixed(2) : 'n/a'
    lines.push(`| ${r.op} | ${r.size === KIB4 ? '4 KiB' : '64 MiB'} | ${r.concurrency} | ${r.opsPerSec.toFixed(1)} | ${s?.opsPerSec.toFixed(1) ?? 'n/a'} | ${ratio} | ${r.mbPerSec.toFixed(1)} | ${s?.mbPerSec.toFixed(1) ?? 'n/a'} |`)
  }
  const md = lines.join('\n') + '\n'
  process.stdout.write(`\n${md}`)
  const out = join(fileURLToPath(new URL('.', import.meta.url)), 'results')
  await mkdir(out, { recursive: true })
  await writeFile(join(out, 'proxy.json'), JSON.stringify({ format: 'tern-bench-proxy', version: 1, date: new Date().toISOString(), rows }, null, 2) + '\n')
  await writeFile(join(out, 'proxy.md'), md)
}

if (process.argv[2] === '--storage') await runStorage(process.argv[3] as string)
else if (process.argv[2] === '--proxy') await runProxy(process.argv[3] as string)
else await main()
