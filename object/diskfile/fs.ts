// The file-system diskfile (Swift: obj/diskfile.py). Layout under each device:
//   objects[-N]/<partition>/<suffix>/<hash>/<timestamp>.{data,meta,ts}
//   objects[-N]/<partition>/hashes.invalid        suffixes changed since the replicator last looked
//   tmp[-N]/                                       staging; a file is renamed in only when durable
//   async_pending[-N]/<suffix>/<hash>-<timestamp>  container updates to replay
//   quarantined/objects[-N]/<hash>[-<uuid>]         hash directories that failed a check
// Every write: stage in tmp, fdatasync (or one O_DSYNC write for small files), rename into the hash directory, fsync that directory
// (and any directory it created), then unlink what the new file made obsolete.
import { randomBytes, randomUUID } from 'node:crypto'
import { constants as fsConstants, createReadStream, statSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rmdir, statfs } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import type { HashPathSecrets } from '../../common/hash-path.ts'
import { hashPath } from '../../common/hash-path.ts'
import { Timestamp } from '../../common/timestamp.ts'
import { decodeAsyncPending, encodeAsyncPending, policyDir } from './async-pending.ts'
import { DiskFileError, emptyIfMissing, ignoreMissing, isMissing } from './errors.ts'
import { MAX_FOOTER_SIZE, decodeFooter, decodeTrailer } from './format.ts'
import type { FileKind, StoredMetadata } from './format.ts'
import { checkExpiry, mergeMetadata } from './merge.ts'
import type { MergedState } from './merge.ts'
import { chooseFiles } from './ondisk-files.ts'
import type {
  AsyncPendingEntry, AsyncPendingUpdate, DiskFileManager, ObjectName, ObjectWriter, OpenObject, OpenOptions, WriterOptions,
} from './types.ts'
import { bodyMismatch, verifyingTransform } from './verify-stream.ts'
import type { ExpectedBody } from './verify-stream.ts'
import { FsObjectWriter, WRITE_BUFFER } from './fs-writer.ts'
import { asyncIo, closeFd, fdatasyncFd, fsyncFd, syncIo } from './raw-fs.ts'
import type { SmallIo } from './raw-fs.ts'

/** Bytes read at offset 0 on open: metadata and body of small objects come in one pread. */
const READ_AHEAD = 64 * 1024
/**
 * Bytes per read of a streamed body. 1 MiB reads cut the thread-pool round trips, stream
 * chunks and socket writes 16-fold against 64 KiB ones (measured: bench/cpu-per-op.ts). 4 MiB
 * writes cost a PUT twice the CPU (fs-writer.ts); reads stay at 1 MiB for the same reason.
 */
const READ_CHUNK = 1024 * 1024
const OPEN_RETRIES = 3
/**
 * How long a device's statfs answer stands for the fallocate_reserve check: a statfs per PUT
 * was a thread-pool round trip each; sizes asked for since are subtracted from it meanwhile.
 */
const FREE_SPACE_TTL_MS = 1000
const { O_WRONLY, O_CREAT, O_EXCL, O_DSYNC, O_APPEND } = fsConstants
/** 'wx' with every write durable on return (O_DSYNC). */
const DSYNC_CREATE = O_WRONLY | O_CREAT | O_EXCL | O_DSYNC
/** 'a' without O_CREAT: opening an existing file changes nothing on disk. */
const APPEND_EXISTING = O_WRONLY | O_APPEND

export interface FsDiskFileOptions {
  readonly devices: string
  readonly secrets: HashPathSecrets
  /** Seconds after which tombstones are removed (Swift's reclaim_age, a week). */
  readonly reclaimAge?: number
  /** Keep this much free: bytes, or a percentage of the device (Swift's fallocate_reserve). */
  readonly fallocateReserve?: { readonly value: number; readonly isPercent: boolean } | undefined
  /** Run the short metadata syscalls inline on the event loop (default true; see raw-fs.ts). */
  readonly syncMetadataIo?: boolean
}

interface Paths {
  readonly devPath: string
  readonly partDir: string
  readonly suffix: string
  readonly hashDir: string
  readonly hash: string
}

export class FsDiskFileManager implements DiskFileManager {
  readonly devices: string
  private readonly secrets: HashPathSecrets
  private readonly reclaimAge: number
  private readonly reserve: FsDiskFileOptions['fallocateReserve']
  /** Short reads (readdir, open for reading, pread, close). */
  readonly io: SmallIo
  /** Each device's free space as its last statfs saw it, less what writers asked for since. */
  private readonly freeSpace = new Map<string, { at: number; free: number; total: number }>()
  /** Metadata changes (create, unlink, append, write): journaled, so they can wait behind a commit. */
  readonly writeIo: SmallIo

  constructor(options: FsDiskFileOptions) {
    this.devices = options.devices
    this.secrets = options.secrets
    this.reclaimAge = options.reclaimAge ?? 604_800
    this.reserve = options.fallocateReserve
    this.io = options.syncMetadataIo === false ? asyncIo : syncIo
    // Measured: an inline O_CREAT in tmp/ stalled the event loop ~0.4 ms a PUT behind ext4
    // journal commits from the concurrent fsyncs, so changes always go to the pool.
    this.writeIo = asyncIo
  }

  paths(name: ObjectName): Paths {
    const hash = hashPath(this.secrets, name.account, name.container, name.obj)
    const suffix = hash.slice(-3)
    const devPath = join(this.devices, name.device)
    const partDir = join(devPath, policyDir('objects', name.policy), name.partition)
    return { devPath, partDir, suffix, hashDir: join(partDir, suffix, hash), hash }
  }

  async open(name: ObjectName, options: OpenOptions): Promise<OpenObject> {
    const p = this.paths(name)
    for (let attempt = 1; ; attempt++) {
      let names: string[]
      try {
        names = await this.io.readdir(p.hashDir)
      } catch (err) {
        if (isMissing(err)) throw new DiskFileError('ERR_DISKFILE_NOT_EXIST', 'no such object')
        throw err
      }
      const files = chooseFiles(names)
      if (!files.data) {
        if (files.ts) throw new DiskFileError('ERR_DISKFILE_DELETED', 'object deleted', { timestamp: files.ts.timestamp })
        throw new DiskFileError('ERR_DISKFILE_NOT_EXIST', 'no such object')
      }
      try {
        return await this.openData(name, p, join(p.hashDir, files.data.name), files.meta && join(p.hashDir, files.meta.name), options)
      } catch (err) {
        // A newer write may have unlinked what we listed: look again.
        if (isMissing(err) && attempt < OPEN_RETRIES) continue
        throw err
      }
    }
  }

  async readMetadata(name: ObjectName, options: OpenOptions): Promise<OpenObject> {
    const obj = await this.open(name, options)
    await obj.close()
    return obj
  }

  private async openData(name: ObjectName, p: Paths, dataPath: string, metaPath: string | undefined, options: OpenOptions): Promise<OpenObject> {
    const io = this.io
    const fd = await io.open(dataPath, 'r')
    let keepOpen = false
    try {
      const { head, bytesRead } = await readHead(io, fd)
      let fileSize = bytesRead
      let tail: Buffer = head.subarray(0, bytesRead)
      const whole = bytesRead < READ_AHEAD
      if (!whole) {
        fileSize = await io.fstatSize(fd)
        tail = await readTail(io, fd, fileSize, READ_AHEAD)
      }
      let dataMeta: StoredMetadata
      let bodyLength: number
      let bodyCrc: number | undefined
      let state: MergedState
      let metaMeta: StoredMetadata | undefined
      try {
        const footer = decodeFooter(tail)
        if (footer.metaLength + footer.size > tail.length && tail.length < fileSize) {
          tail = await readTail(io, fd, fileSize, footer.metaLength + footer.size)
        }
        const decoded = decodeTrailer(tail, fileSize)
        if (decoded.kind !== 'data') throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', 'not a data file')
        dataMeta = decoded.metadata
        bodyLength = decoded.bodyLength
        bodyCrc = decoded.bodyCrc
        if (metaPath) metaMeta = await this.readMetaFile(metaPath, 'meta')
        state = mergeMetadata(dataMeta, metaMeta)
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'ERR_DISKFILE_BAD_FORMAT') throw err
        throw await this.quarantineAndError(name, p, (err as Error).message)
      }
      if (bodyLength !== state.contentLength) {
        throw await this.quarantineAndError(name, p, `body is ${bodyLength} bytes, metadata says ${state.contentLength}`)
      }
      checkExpiry(state, options.now, options.openExpired)
      const body = whole ? head.subarray(0, bodyLength) : undefined
      keepOpen = body === undefined
      return this.openObject(name, state, dataMeta, metaMeta, bodyCrc, body, keepOpen ? fd : undefined)
    } finally {
      if (!keepOpen) await io.close(fd)
    }
  }

  private openObject(
    name: ObjectName, state: MergedState, dataMeta: StoredMetadata, metaMeta: StoredMetadata | undefined,
    bodyCrc: number | undefined, body: Buffer | undefined, fd: number | undefined,
  ): OpenObject {
    const expected: ExpectedBody = bodyCrc === undefined ? { etag: state.metadata.ETag ?? '' } : { crc32: bodyCrc }
    const quarantine = async (reason: string) => {
      await this.quarantine(name, reason)
    }
    let closed = false
    return {
      ...state,
      dataMetadata: dataMeta,
      metaMetadata: metaMeta,
      readWholeBody: async () => {
        if (!body) return undefined
        const mismatch = bodyMismatch(expected, body)
        if (mismatch !== undefined) {
          await quarantine(mismatch)
          throw new DiskFileError('ERR_DISKFILE_QUARANTINED', mismatch)
        }
        return body
      },
      prefetched: (start, end) => body?.subarray(start, end),
      createReadStream: (start = 0, end = state.contentLength): Readable => {
        const full = start === 0 && end === state.contentLength
        if (fd === undefined) throw new DiskFileError('ERR_DISKFILE_WRITER_STATE', 'small objects are read with readWholeBody/prefetched')
        if (end <= start) return Readable.from([])
        const raw = createReadStream('', { fd, start, end: end - 1, autoClose: false, highWaterMark: READ_CHUNK })
        return full ? raw.pipe(verifyingTransform(expected, quarantine)) : raw
      },
      close: async () => {
        if (closed || fd === undefined) return
        closed = true
        await closeFd(fd)
      },
    }
  }

  private async readMetaFile(path: string, kind: FileKind): Promise<StoredMetadata> {
    const bytes = await this.io.readFile(path)
    const decoded = decodeTrailer(bytes, bytes.length)
    if (decoded.kind !== kind || decoded.bodyLength !== 0) throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', `bad .${kind} file`)
    return decoded.metadata
  }

  private async quarantineAndError(name: ObjectName, p: Paths, reason: string): Promise<DiskFileError> {
    await this.quarantinePaths(name, p)
    return new DiskFileError('ERR_DISKFILE_QUARANTINED', `quarantined: ${reason}`)
  }

  async quarantine(name: ObjectName, _reason: string): Promise<string | undefined> {
    return this.quarantinePaths(name, this.paths(name))
  }

  private async quarantinePaths(name: ObjectName, p: Paths): Promise<string | undefined> {
    const base = join(p.devPath, 'quarantined', policyDir('objects', name.policy), p.hash)
    await mkdir(dirname(base), { recursive: true })
    for (const to of [base, `${base}-${randomUUID().replaceAll('-', '')}`]) {
      try {
        await rename(p.hashDir, to)
        await this.invalidate(p)
        return to
      } catch (err) {
        const code = (err as { code?: unknown }).code
        if (isMissing(err)) return undefined
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err
      }
    }
    return undefined
  }

  async createWriter(name: ObjectName, options: WriterOptions = {}): Promise<ObjectWriter> {
    const p = this.paths(name)
    if (options.size !== undefined && options.size > 0) await this.checkReserve(p.devPath, options.size)
    // A body that fits the writer's buffer goes out in one write with its trailer at commit:
    // opened O_DSYNC, that write is durable when it returns, and the fdatasync a second
    // thread-pool round trip would make is not needed.
    const oneWrite = options.size !== undefined && options.size <= WRITE_BUFFER
    const { tmpPath, fd } = await this.openStaging(p.devPath, name.policy, oneWrite)
    return new FsObjectWriter(this, p, tmpPath, fd, oneWrite)
  }

  async writeMetadata(name: ObjectName, timestamp: Timestamp, metadata: StoredMetadata): Promise<void> {
    await this.writeSmallFile(name, 'meta', timestamp, metadata)
  }

  async delete(name: ObjectName, timestamp: Timestamp): Promise<void> {
    await this.writeSmallFile(name, 'ts', timestamp, { 'X-Timestamp': timestamp.internal })
  }

  private async writeSmallFile(name: ObjectName, kind: 'meta' | 'ts', timestamp: Timestamp, metadata: StoredMetadata): Promise<void> {
    const writer = await this.createWriter(name, { size: 0 })
    try {
      await (writer as FsObjectWriter<Paths>).commitAs(kind, timestamp, metadata)
    } finally {
      await writer.abort()
    }
  }

  private async checkReserve(devPath: string, size: number): Promise<void> {
    if (!this.reserve || this.reserve.value <= 0) return
    const now = Date.now()
    let known = this.freeSpace.get(devPath)
    if (!known || now - known.at > FREE_SPACE_TTL_MS) {
      const st = await statfs(devPath)
      known = { at: now, free: st.bavail * st.bsize, total: st.blocks * st.bsize }
      this.freeSpace.set(devPath, known)
    }
    // Between two statfs calls the bytes promised to writers count as used.
    known.free -= size
    const free = known.free
    const ok = this.reserve.isPercent ? (free / known.total) * 100 > this.reserve.value : free > this.reserve.value
    if (!ok) throw new DiskFileError('ERR_DISKFILE_NO_SPACE', `free space under fallocate_reserve on ${devPath}`)
  }

  /** mkdir -p, for callers that stage files of their own (replication). */
  async ensureDir(dir: string): Promise<string | undefined> {
    return mkdir(dir, { recursive: true })
  }

  /**
   * Opens a new staging file in the device's tmp folder, creating that folder (and only that
   * one: never the device folder itself, which would put data on the root file system of an
   * unmounted device) when it is missing.
   */
  async openStaging(devPath: string, policy: number, dsync = false): Promise<{ tmpPath: string; fd: number }> {
    const tmpDir = join(devPath, policyDir('tmp', policy))
    const tmpPath = join(tmpDir, randomBytes(12).toString('hex'))
    const flags = dsync ? DSYNC_CREATE : 'wx'
    try {
      return { tmpPath, fd: await this.writeIo.open(tmpPath, flags) }
    } catch (err) {
      if (!isMissing(err)) throw err
    }
    try {
      await mkdir(tmpDir)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (code === 'ENOENT') throw new DiskFileError('ERR_DISKFILE_DEVICE_UNAVAILABLE', `no device folder ${devPath}`, { cause: err })
      if (code !== 'EEXIST') throw err
    }
    return { tmpPath, fd: await this.writeIo.open(tmpPath, flags) }
  }

  /** Renames `tmpPath` into the hash directory, creating and fsyncing directories as needed. */
  async install(p: Paths, tmpPath: string, target: string): Promise<void> {
    // Folders whose entry in their parent must be made durable: the ones this call created, and
    // any another request created under our feet (it may not have fsynced their parent yet).
    let fresh: string[] = []
    // A new object's hash directory does not exist yet: an inline stat (no journal wait)
    // spares it a rename that would fail first.
    if (!statSync(p.hashDir, { throwIfNoEntry: false })) fresh = await makeDirs(p.hashDir)
    try {
      await rename(tmpPath, join(p.hashDir, target))
    } catch (err) {
      if (!isMissing(err)) throw err
      // A cleanup removed the emptied hash directory meanwhile.
      fresh = [...fresh, ...(await makeDirs(p.hashDir))]
      await rename(tmpPath, join(p.hashDir, target))
    }
    await fsyncDir(p.hashDir)
    for (const dir of new Set(fresh.map(dirname))) await fsyncDir(dir)
  }

  /** Unlinks files the newest ones made obsolete, then marks the suffix as changed. */
  async cleanup(p: Paths): Promise<void> {
    let names: string[]
    try {
      names = await this.io.readdir(p.hashDir)
    } catch (err) {
      if (isMissing(err)) return
      throw err
    }
    const reclaimBefore = Timestamp.fromSeconds(Math.max(0, Date.now() / 1000 - this.reclaimAge))
    const { obsolete } = chooseFiles(names, reclaimBefore)
    for (const f of obsolete) {
      try {
        await this.writeIo.unlink(join(p.hashDir, f.name))
      } catch (err) {
        ignoreMissing(err)
      }
    }
    if (obsolete.length === names.length) await rmdir(p.hashDir).catch(() => undefined)
    await this.invalidate(p)
  }

  private async invalidate(p: Paths): Promise<void> {
    // Opening the partition's existing file to append, appending four bytes to the page cache
    // and closing do not wait on the disk: inline, no thread-pool round trip. Only creating the
    // file (a journal wait) goes to the pool.
    const path = join(p.partDir, 'hashes.invalid')
    let fd: number
    try {
      fd = syncIo.open(path, APPEND_EXISTING) as number
    } catch (err) {
      if (!isMissing(err)) throw err
      fd = await this.writeIo.open(path, 'a')
    }
    try {
      syncIo.writev(fd, [Buffer.from(p.suffix + '\n')])
    } finally {
      syncIo.close(fd)
    }
  }

  async writeAsyncPending(device: string, policy: number, update: AsyncPendingUpdate, timestamp: Timestamp): Promise<void> {
    const devPath = join(this.devices, device)
    const hash = hashPath(this.secrets, update.account, update.container, update.obj)
    const dir = join(devPath, policyDir('async_pending', policy), hash.slice(-3))
    const { tmpPath, fd } = await this.openStaging(devPath, policy)
    try {
      await this.writeIo.writev(fd, [encodeAsyncPending(update)])
      await fdatasyncFd(fd)
    } finally {
      await this.writeIo.close(fd)
    }
    const target = join(dir, `${hash}-${timestamp.internal}`)
    try {
      await rename(tmpPath, target)
    } catch (err) {
      if (!isMissing(err)) throw err
      await mkdir(dir, { recursive: true })
      await rename(tmpPath, target)
    }
  }

  async listAsyncPending(device: string, policy: number): Promise<AsyncPendingEntry[]> {
    const root = join(this.devices, device, policyDir('async_pending', policy))
    const out: AsyncPendingEntry[] = []
    for (const suffix of (await readdir(root).catch(emptyIfMissing)).sort()) {
      for (const file of (await readdir(join(root, suffix)).catch(emptyIfMissing)).sort()) {
        out.push({ key: `${suffix}/${file}`, update: decodeAsyncPending(await readFile(join(root, suffix, file))) })
      }
    }
    return out
  }

  async invalidatedSuffixes(device: string, partition: string, policy: number): Promise<string[]> {
    const path = join(this.devices, device, policyDir('objects', policy), partition, 'hashes.invalid')
    const text = await readFile(path, 'utf8').catch((err: unknown) => {
      if (isMissing(err)) return ''
      throw err
    })
    return [...new Set(text.split('\n').filter((s) => /^[0-9a-f]{3}$/.test(s)))].sort()
  }

  async listFiles(name: ObjectName): Promise<string[]> {
    return (await readdir(this.paths(name).hashDir).catch(emptyIfMissing)).sort()
  }
}


/**
 * The read-ahead buffer of inline opens, reused: a fresh 64 KiB buffer per GET or HEAD was a
 * new ArrayBuffer each time, ~2% of a HEAD's CPU plus the scavenges its external memory set
 * off. It is filled and copied out with no await in between, so no other request sees it.
 */
let inlineReadAhead: Buffer | undefined

/** The first READ_AHEAD bytes of the file: a small file's right-sized copy, else a buffer of its own. */
async function readHead(io: SmallIo, fd: number): Promise<{ head: Buffer; bytesRead: number }> {
  if (io !== syncIo) {
    const head = Buffer.allocUnsafe(READ_AHEAD)
    return { head, bytesRead: await io.read(fd, head, READ_AHEAD, 0) }
  }
  const shared = (inlineReadAhead ??= Buffer.allocUnsafeSlow(READ_AHEAD))
  const bytesRead = syncIo.read(fd, shared, READ_AHEAD, 0) as number
  if (bytesRead === READ_AHEAD) {
    // A large object keeps reading through it: hand it over and start a new one next time.
    inlineReadAhead = undefined
    return { head: shared, bytesRead }
  }
  const head = Buffer.allocUnsafe(bytesRead)
  shared.copy(head, 0, 0, bytesRead)
  return { head, bytesRead }
}

async function readTail(io: SmallIo, fd: number, fileSize: number, want: number): Promise<Buffer> {
  const len = Math.min(fileSize, Math.max(want, MAX_FOOTER_SIZE))
  const buf = Buffer.allocUnsafe(len)
  const bytesRead = await io.read(fd, buf, len, fileSize - len)
  return buf.subarray(0, bytesRead)
}

/**
 * mkdir -p of `dir` with one thread-pool round trip per missing folder: which ones are missing
 * is found with inline stats (Node's recursive mkdir first tries the deepest folder, a failing
 * round trip for every new suffix folder). Returns the folders created, and those another
 * request created between our stat and our mkdir (EEXIST): their entry may not be durable yet.
 */
async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = []
  for (let d = dir; !statSync(d, { throwIfNoEntry: false }); d = dirname(d)) {
    if (dirname(d) === d) break
    missing.unshift(d)
  }
  for (const d of missing) {
    try {
      await mkdir(d)
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err
    }
  }
  return missing
}

/**
 * Opening and closing a directory read-only change nothing on disk and never wait on the
 * journal, so they run inline; only the fsync goes to the pool (two thread round trips less
 * per directory, one to three of them a PUT).
 */
async function fsyncDir(dir: string): Promise<void> {
  const fd = syncIo.open(dir, 'r') as number
  try {
    await fsyncFd(fd)
  } finally {
    syncIo.close(fd)
  }
}
