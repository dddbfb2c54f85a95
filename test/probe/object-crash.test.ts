// Crash probe: a writer process PUTs new versions over existing objects and is SIGKILLed at
// random moments (on the k-th acknowledged PUT, with others in flight). After every kill each
// object must read back, through the diskfile, as exactly one complete version (old or new)
// whose body matches its ETag, and no acknowledged version may be lost.
import t from 'tap'
import type { Test } from 'tap'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Readable } from 'node:stream'
import { Timestamp } from '../../common/timestamp.ts'
import { FsDiskFileManager } from '../../object/diskfile/fs.ts'
import { decodeTrailer } from '../../object/diskfile/format.ts'
import { crashBody, CRASH_SECRETS } from './object-crash-body.ts'

const here = dirname(fileURLToPath(import.meta.url))
const KILLS = Number(process.env.TERN_CRASH_KILLS ?? 24)
const LANES = 3
const OBJECTS = 4

/** Bundles the writer once so that each spawn starts in milliseconds rather than through tsx. */
async function writerCommand(work: string): Promise<string[]> {
  const entry = join(here, 'object-crash-writer.ts')
  try {
    const esbuild = (await import('esbuild')) as typeof import('esbuild')
    const outfile = join(work, 'writer.mjs')
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent' })
    return [outfile]
  } catch (err) {
    process.stderr.write(`esbuild unavailable (${(err as Error).message}); the writer starts through tsx\n`)
    return ['--import=tsx', entry]
  }
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

t.test('SIGKILL during PUTs never leaves a partial or wrong object', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'tern-crash-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const devices = join(work, 'devices')
  const command = await writerCommand(work)
  const diskfile = new FsDiskFileManager({ devices, secrets: CRASH_SECRETS })
  // Lanes run side by side, each with its own writer and device: spawning dominates the time.
  const lanes = Array.from({ length: LANES }, (_, i) => `sd${String.fromCharCode(97 + i)}`)
  const results = await Promise.all(lanes.map((device, lane) => runLane(t, { command, devices, device, diskfile, kills: Math.ceil(KILLS / LANES), lane })))
  const interrupted = results.reduce((a, b) => a + b, 0)
  t.pass(`${KILLS} kills checked; ${interrupted} left staged temp files behind (never visible)`)
  for (const device of lanes) {
    t.same(await readdir(join(devices, device, 'quarantined')).catch(() => []), [], `${device}: nothing was ever found corrupt`)
  }
})

interface Lane {
  readonly command: string[]
  readonly devices: string
  readonly device: string
  readonly diskfile: FsDiskFileManager
  readonly kills: number
  readonly lane: number
}

async function runLane(t: Test, { command, devices, device, diskfile, kills, lane }: Lane): Promise<number> {
  await mkdir(join(devices, device), { recursive: true })
  const name = (obj: string) => ({ device, partition: '0', account: 'a', container: 'c', obj, policy: 0 })
  const objects = Array.from({ length: OBJECTS }, (_, i) => `obj-${i}`)
  const acked = new Map<string, Timestamp>()

  // The old versions every object starts from.
  const start = Math.floor(Date.now() / 1000) - 100_000 + lane * 50_000
  for (const obj of objects) {
    const ts = Timestamp.fromSeconds(start)
    const body = crashBody(obj, ts)
    const w = await diskfile.createWriter(name(obj))
    await w.write(body)
    await w.commit(ts, { 'X-Timestamp': ts.internal, 'Content-Length': String(body.length), ETag: w.etag(), 'Content-Type': 'x/y' })
    acked.set(obj, ts)
  }

  let interrupted = 0
  for (let kill = 0; kill < kills; kill++) {
    const first = start + 1 + kill * 1000
    const child = spawn(process.execPath, [...command, devices, String(first), String(OBJECTS), device], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // tap's NODE_OPTIONS would load its process hooks (and tsx) into every writer.
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    const killAfter = Math.floor(Math.random() * 2 * OBJECTS)
    let acks = 0
    for await (const line of createInterface({ input: child.stdout })) {
      const [word, obj, ts] = line.split(' ')
      if (word === 'ack') {
        acked.set(obj!, Timestamp.parse(ts!))
        acks++
      }
      if (acks >= killAfter) {
        child.kill('SIGKILL')
        break
      }
    }
    t.equal(await exited, 'SIGKILL', `${device}: kill ${kill} after ${killAfter} acknowledged PUTs`)

    for (const obj of objects) {
      const o = await diskfile.open(name(obj), { now: Timestamp.now() })
      const body = (await o.readWholeBody()) ?? (await drain(o.createReadStream()))
      await o.close()
      const etag = createHash('md5').update(body).digest('hex')
      if (etag !== o.metadata.ETag || !body.equals(crashBody(obj, o.timestamp))) {
        t.fail(`${obj} at ${o.timestamp.internal} does not match its version`)
      }
      if (acked.get(obj)!.newerThan(o.timestamp)) t.fail(`${obj}: acknowledged ${acked.get(obj)!.internal} but found ${o.timestamp.internal}`)
      // Whatever else the kill left in the hash directory is whole (never a partial file).
      const dir = diskfile.paths(name(obj)).hashDir
      for (const f of await readdir(dir)) {
        const bytes = await readFile(join(dir, f))
        const decoded = decodeTrailer(bytes, bytes.length)
        if (decoded.bodyLength !== Number(decoded.metadata['Content-Length'])) t.fail(`${obj}/${f} is partial`)
      }
    }
    const leftovers = await readdir(join(devices, device, 'tmp')).catch(() => [])
    if (leftovers.length) interrupted++
  }
  return interrupted
}
