// Suffix hashes of one partition, for the replicators (Swift: diskfile.get_hashes,
// consolidate_hashes, hash_suffix). A suffix's hash is the MD5 of the names of the current
// files of each of its hash directories, in order; two replicas hold the same files exactly
// when their hashes match. Hashes are cached in <partition>/hashes.json (versioned) and only
// the suffixes the diskfile appended to hashes.invalid since are recomputed. Recomputing
// also cleans up: obsolete files are unlinked and tombstones older than reclaim_age removed.
//
// The object server (REPLICATE) and a replicator process may both consolidate the same
// partition, so consolidation holds hashes.lock (O_EXCL, owner pid inside; a lock left by a
// dead process is broken).
import { createHash } from 'node:crypto'
import { open, readdir, readFile, rename, rmdir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Timestamp } from '../../common/timestamp.ts'
import { policyDir } from './async-pending.ts'
import { DiskFileError, emptyIfMissing, ignoreMissing, isMissing } from './errors.ts'
import { chooseFiles } from './ondisk-files.ts'

export const HASHES_VERSION = 1
export const HASHES_FILE = 'hashes.json'
export const INVALID_FILE = 'hashes.invalid'
const LOCK_FILE = 'hashes.lock'
const SUFFIX = /^[0-9a-f]{3}$/
const HASH = /^[0-9a-f]{32}$/
const LOCK_WAIT_MS = 30_000

/** suffix → hex MD5 of its files. Suffixes with no files are absent. */
export type SuffixHashes = Record<string, string>

export interface HashesOptions {
  /** Seconds after which tombstones are removed. */
  readonly reclaimAge: number
  /** Suffixes to recompute whatever the cache says (the REPLICATE after a push). */
  readonly recalculate?: readonly string[]
  /** Recompute every suffix (first look, or a periodic reclaim sweep). */
  readonly all?: boolean
  readonly now?: () => number
}

interface HashesRecord {
  v: number
  hashes: SuffixHashes
  /** Unix seconds of the last full recomputation. */
  fullAt: number
}

export function partitionPath(devices: string, device: string, policy: number, partition: string): string {
  return join(devices, device, policyDir('objects', policy), partition)
}

/** The partition's suffix hashes, recomputing what changed; {} for a missing partition. */
export async function getSuffixHashes(partDir: string, options: HashesOptions): Promise<SuffixHashes> {
  return withPartitionLock(partDir, async () => {
    const record = await readRecord(partDir)
    const invalidPath = join(partDir, INVALID_FILE)
    // Taking the invalid list away first: a write appending meanwhile starts a new one, and
    // its file is already in place, so the recomputation below sees it.
    const consumed = `${invalidPath}.${process.pid}`
    let invalid: string[] = []
    try {
      await rename(invalidPath, consumed)
      invalid = (await readFile(consumed, 'utf8')).split('\n')
    } catch (err) {
      if (!isMissing(err)) throw err
    }
    const now = (options.now ?? Date.now)() / 1000
    const full = options.all === true || record === undefined
    let suffixes: string[]
    if (full) {
      suffixes = (await readdir(partDir).catch(emptyIfMissing)).filter((s) => SUFFIX.test(s))
    } else {
      suffixes = [...invalid, ...(options.recalculate ?? [])].filter((s) => SUFFIX.test(s))
    }
    const hashes: SuffixHashes = full ? {} : { ...record.hashes }
    const reclaimBefore = Timestamp.fromSeconds(Math.max(0, now - options.reclaimAge))
    for (const suffix of new Set(suffixes)) {
      const h = await hashSuffix(join(partDir, suffix), reclaimBefore)
      if (h === undefined) delete hashes[suffix]
      else hashes[suffix] = h
    }
    const changed = full || suffixes.length > 0
    if (changed) {
      const out: HashesRecord = { v: HASHES_VERSION, hashes, fullAt: full ? now : (record?.fullAt ?? now) }
      await writeAtomic(partDir, HASHES_FILE, JSON.stringify(out))
    }
    await unlink(consumed).catch(() => undefined)
    return hashes
  })
}

/** Unix seconds of the partition's last full recomputation (undefined: never). */
export async function lastFullHash(partDir: string): Promise<number | undefined> {
  return (await readRecord(partDir))?.fullAt
}

/**
 * MD5 over each hash directory's current file names (after cleanup), or undefined when the
 * suffix holds nothing (the empty directories are removed).
 */
export async function hashSuffix(suffixDir: string, reclaimBefore: Timestamp): Promise<string | undefined> {
  const md5 = createHash('md5')
  let any = false
  const hashDirs = (await readdir(suffixDir).catch(emptyIfMissing)).sort()
  for (const hash of hashDirs) {
    const hashDir = join(suffixDir, hash)
    if (!HASH.test(hash)) continue
    const names = await readdir(hashDir).catch(emptyIfMissing)
    const set = chooseFiles(names, reclaimBefore)
    for (const f of set.obsolete) await unlink(join(hashDir, f.name)).catch(ignoreMissing)
    const current = [set.data, set.meta, set.ts].filter((f) => f !== undefined).map((f) => f.name).sort()
    if (current.length === 0) {
      // Only unparseable debris (an rsync temp file) keeps the directory.
      await rmdir(hashDir).catch(() => undefined)
      continue
    }
    any = true
    md5.update(hash)
    for (const name of current) md5.update(name)
  }
  if (!any) {
    await rmdir(suffixDir).catch(() => undefined)
    return undefined
  }
  return md5.digest('hex')
}

/** The current files of every hash directory of a suffix: hash → file names. */
export async function listSuffix(suffixDir: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const hash of (await readdir(suffixDir).catch(emptyIfMissing)).sort()) {
    if (!HASH.test(hash)) continue
    const set = chooseFiles(await readdir(join(suffixDir, hash)).catch(emptyIfMissing))
    const current = [set.data, set.meta, set.ts].filter((f) => f !== undefined).map((f) => f.name)
    if (current.length) out[hash] = current.sort()
  }
  return out
}

/** The suffixes whose hashes differ (or that the remote lacks), sorted. */
export function differingSuffixes(local: SuffixHashes, remote: SuffixHashes): string[] {
  return Object.keys(local).filter((s) => remote[s] !== local[s]).sort()
}

async function readRecord(partDir: string): Promise<HashesRecord | undefined> {
  let text: string
  try {
    text = await readFile(join(partDir, HASHES_FILE), 'utf8')
  } catch (err) {
    if (isMissing(err)) return undefined
    throw err
  }
  try {
    const r = JSON.parse(text) as HashesRecord
    if (r.v !== HASHES_VERSION || typeof r.hashes !== 'object' || r.hashes === null) return undefined
    return r
  } catch {
    // A damaged cache is only a cache: recompute everything.
    return undefined
  }
}

async function writeAtomic(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`)
  try {
    await writeFile(tmp, text)
  } catch (err) {
    // The partition went away meanwhile (a handoff removed): nothing to cache.
    if (isMissing(err)) return
    throw err
  }
  await rename(tmp, join(dir, name))
}

const localLocks = new Map<string, Promise<unknown>>()

/** Runs `fn` holding the partition's lock, in this process (a queue) and across processes (a lock file). */
export async function withPartitionLock<T>(partDir: string, fn: () => Promise<T>): Promise<T> {
  const prev = localLocks.get(partDir) ?? Promise.resolve()
  const run = prev.catch(() => undefined).then(async () => {
    const release = await lockFile(partDir)
    try {
      return await fn()
    } finally {
      await release()
    }
  })
  localLocks.set(partDir, run)
  try {
    return await run
  } finally {
    if (localLocks.get(partDir) === run) localLocks.delete(partDir)
  }
}

async function lockFile(partDir: string): Promise<() => Promise<void>> {
  const path = join(partDir, LOCK_FILE)
  const deadline = Date.now() + LOCK_WAIT_MS
  let delay = 2
  for (;;) {
    try {
      const fh = await open(path, 'wx')
      await fh.writeFile(String(process.pid))
      await fh.close()
      return () => unlink(path).catch(() => undefined)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (code === 'ENOENT') return async () => undefined // no partition: nothing to guard
      if (code !== 'EEXIST') throw err
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
      await unlink(path).catch(() => undefined)
      continue
    }
    if (Date.now() > deadline) throw new DiskFileError('ERR_DISKFILE_WRITER_STATE', `${path} held by pid ${owner} for ${LOCK_WAIT_MS / 1000}s`)
    // Another process holds it for one consolidation (milliseconds): poll with a short backoff.
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(delay * 2, 50)
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM'
  }
}
