// The machine's own limits on the data file system, measured with the same clock as the
// servers: a sequential 1 MiB-chunk write of one file followed by fsync, reading it back with
// the page cache dropped (or, where that is not allowed, with O_DIRECT through dd), and fsynced
// 4 KiB file creations done the way an object server stores an object (tmp file, write, fsync,
// rename, fsync of the directory).
import { spawnSync } from 'node:child_process'
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

const MiB = 1024 * 1024

export interface DiskLimits {
  dir: string
  fileBytes: number
  writeMBps: number
  readMBps: number
  /** How the read avoided the page cache. */
  readMethod: string
  creates: { concurrency: number; perSec: number; seconds: number }[]
}

function dropPageCache(): boolean {
  try {
    spawnSync('sync')
    writeFileSync('/proc/sys/vm/drop_caches', '1\n')
    return true
  } catch {
    return false
  }
}

export function sequentialWrite(path: string, bytes: number): number {
  const chunk = Buffer.alloc(MiB, 0x5a)
  const t0 = performance.now()
  const fd = openSync(path, 'w')
  try {
    for (let done = 0; done < bytes; done += MiB) writeSync(fd, chunk, 0, Math.min(MiB, bytes - done))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return bytes / 1e6 / ((performance.now() - t0) / 1000)
}

export function sequentialRead(path: string, bytes: number): { mbps: number; method: string } {
  if (dropPageCache()) {
    const buf = Buffer.allocUnsafe(MiB)
    const t0 = performance.now()
    const fd = openSync(path, constants.O_RDONLY)
    let total = 0
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, MiB, null)
        if (n === 0) break
        total += n
      }
    } finally {
      closeSync(fd)
    }
    return { mbps: total / 1e6 / ((performance.now() - t0) / 1000), method: 'page cache dropped (echo 1 > /proc/sys/vm/drop_caches), 1 MiB reads' }
  }
  const t0 = performance.now()
  const r = spawnSync('dd', [`if=${path}`, 'of=/dev/null', 'bs=1M', 'iflag=direct'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`dd iflag=direct failed: ${r.stderr}`)
  return { mbps: bytes / 1e6 / ((performance.now() - t0) / 1000), method: 'O_DIRECT (dd bs=1M iflag=direct; drop_caches not permitted)' }
}

async function createOne(dir: string, tmpDir: string, name: string, body: Buffer): Promise<void> {
  const tmp = join(tmpDir, name)
  const fh = await open(tmp, 'w')
  try {
    await fh.write(body)
    await fh.datasync()
  } finally {
    await fh.close()
  }
  await rename(tmp, join(dir, name))
  const dh = await open(dir, 'r')
  try {
    await dh.sync()
  } finally {
    await dh.close()
  }
}

/** Fsynced 4 KiB creations per second with `concurrency` in flight (libuv's thread pool). */
export async function fsyncedCreates(base: string, concurrency: number, seconds: number): Promise<number> {
  const dir = join(base, `creates-${concurrency}`)
  const tmpDir = join(base, 'tmp')
  mkdirSync(dir, { recursive: true })
  mkdirSync(tmpDir, { recursive: true })
  const body = Buffer.alloc(4096, 0x61)
  let n = 0
  const t0 = performance.now()
  const deadline = t0 + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await createOne(dir, tmpDir, `f-${w}-${i}`, body)
        n++
      }
    }),
  )
  const rate = n / ((performance.now() - t0) / 1000)
  rmSync(dir, { recursive: true, force: true })
  return rate
}

export async function measureDisk(dir: string, fileBytes: number, createSeconds: number): Promise<DiskLimits> {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'seq.bin')
  try {
    const writeMBps = sequentialWrite(file, fileBytes)
    const read = sequentialRead(file, fileBytes)
    const creates = []
    for (const c of [1, 16]) creates.push({ concurrency: c, perSec: await fsyncedCreates(dir, c, createSeconds), seconds: createSeconds })
    return { dir, fileBytes, writeMBps, readMBps: read.mbps, readMethod: read.method, creates }
  } finally {
    rmSync(file, { force: true })
    renameSync(dir, `${dir}.done`)
    rmSync(`${dir}.done`, { recursive: true, force: true })
  }
}
