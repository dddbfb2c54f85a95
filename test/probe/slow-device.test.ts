// One stalled device must not stall the object server's other devices (issue 6). Two XFS
// images are loop-mounted as devices sda and sdb of one `tern object-server` process, started
// with the environment the all-in-one gives its servers; sda's file system is frozen
// (fsfreeze: every write waits until it is thawed, as a hung disk would), more PUTs than the
// server's thread pool has threads are sent to it, and PUTs to sdb must still be answered
// while sda stays frozen. Needs root (mount, fsfreeze) and xfsprogs.
import t from 'tap'
import http from 'node:http'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { withIoThreads } from '../../common/io-threads.ts'
import { requireCommand } from '../helpers/require-tool.ts'

const REPO = new URL('../..', import.meta.url).pathname
const isRoot = process.getuid?.() === 0

interface Answer {
  status: number
  ms: number
}

function put(port: number, device: string, name: string, timestamp: string): Promise<Answer> {
  const body = Buffer.alloc(4096, 1)
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: 'PUT', path: `/${device}/1/a/c/${name}`,
      headers: { 'X-Timestamp': timestamp, 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
    }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }))
    })
    req.on('error', reject)
    // Generous: only a write stuck behind the frozen device takes this long.
    if (device === 'sdb') req.setTimeout(20_000, () => req.destroy(new Error(`PUT to ${device} unanswered after 20 s`)))
    req.end(body)
  })
}

let clock = Date.now() / 1000
const nextTimestamp = () => (clock += 0.001).toFixed(5)

t.test('PUTs to a healthy device are answered while another device of the same server is frozen', {
  skip: isRoot ? false : 'needs root (loop mounts and fsfreeze)',
}, async (t) => {
  if (!requireCommand(t, 'mkfs.xfs', 'xfsprogs') || !requireCommand(t, 'fsfreeze', 'util-linux')) return
  const root = await mkdtemp(join(tmpdir(), 'tern-slow-device-'))
  const devices = join(root, 'devices')
  const mounted: string[] = []
  let frozen: string | undefined
  // tap runs teardowns last-registered first: thaw before unmounting, unmount before removing.
  t.teardown(() => rm(root, { recursive: true, force: true }))
  t.teardown(() => {
    for (const dir of mounted) execFileSync('umount', [dir])
  })
  for (const dev of ['sda', 'sdb']) {
    const image = join(root, `${dev}.img`)
    const dir = join(devices, dev)
    await mkdir(dir, { recursive: true })
    execFileSync('truncate', ['-s', '320M', image])
    execFileSync('mkfs.xfs', ['-q', '-f', image])
    execFileSync('mount', ['-o', 'loop', image, dir])
    mounted.push(dir)
  }
  // Below Linux's ephemeral range (32768-60999), where outgoing connections could take it first.
  const port = 20_000 + Math.floor(Math.random() * 12_000)
  const conf = join(root, 'object-server.conf')
  await writeFile(conf, [
    '[DEFAULT]', `devices = ${devices}`, 'mount_check = true', 'bind_ip = 127.0.0.1', `bind_port = ${port}`, 'workers = 1',
    '[swift-hash]', 'swift_hash_path_suffix = slow-device-test',
    '[app:object-server]', 'fallocate_reserve = 0', 'log_requests = false', '',
  ].join('\n'))
  const server = spawn(process.execPath, ['--import=tsx', join(REPO, 'bin/tern.ts'), 'object-server', conf], {
    cwd: REPO, env: withIoThreads(process.env), stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(async () => {
    if (server.exitCode === null) {
      server.kill('SIGKILL')
      await once(server, 'exit')
    }
  })
  server.stdout.resume()
  for (let i = 0; ; i++) {
    const up = await put(port, 'sdb', 'warm-up', nextTimestamp()).catch(() => undefined)
    if (up?.status === 201) break
    if (i > 300) throw new Error('object server did not start')
    await new Promise((r) => setTimeout(r, 100))
  }
  t.equal((await put(port, 'sda', 'before', nextTimestamp())).status, 201, 'both devices take writes before the freeze')

  frozen = join(devices, 'sda')
  execFileSync('fsfreeze', ['-f', frozen])
  t.teardown(() => {
    if (frozen) execFileSync('fsfreeze', ['-u', frozen])
  })
  // More stuck writes than the pool has threads: without a per-device cap they would hold all.
  const stuck = Array.from({ length: 80 }, (_, i) => put(port, 'sda', `stuck-${i}`, nextTimestamp()))
  let settled = 0
  for (const s of stuck) void s.then(() => settled++, () => settled++)
  await new Promise((r) => setTimeout(r, 500))

  const during: Answer[] = []
  for (let i = 0; i < 5; i++) during.push(await put(port, 'sdb', `during-${i}`, nextTimestamp()).catch(() => ({ status: 0, ms: 20_000 })))
  t.same(during.map((a) => a.status), [201, 201, 201, 201, 201], 'sdb answers every PUT while sda is frozen')
  t.equal(settled, 0, 'sda really was stalled: none of its writes was answered meanwhile')
  t.comment(`sdb PUT latency while sda is frozen: ${during.map((a) => a.ms.toFixed(0)).join(', ')} ms`)

  execFileSync('fsfreeze', ['-u', frozen])
  frozen = undefined
  const after = await Promise.all(stuck)
  t.ok(after.every((a) => a.status === 201), 'once thawed, every write that waited on sda is stored')
})
