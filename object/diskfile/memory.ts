// The in-memory twin of the fs diskfile (Swift: obj/mem_diskfile.py): the same interface and
// the same file-selection rules over a map of "files", for tests of the object server that
// need no disk, and as the reference the compliance suite holds the fs implementation to.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { HashPathSecrets } from '../../common/hash-path.ts'
import { hashPath } from '../../common/hash-path.ts'
import { Timestamp } from '../../common/timestamp.ts'
import { DiskFileError } from './errors.ts'
import type { FileKind, StoredMetadata } from './format.ts'
import { checkExpiry, mergeMetadata } from './merge.ts'
import { chooseFiles, fileName } from './ondisk-files.ts'
import type {
  AsyncPendingEntry, AsyncPendingUpdate, DiskFileManager, ObjectName, ObjectWriter, OpenObject, OpenOptions, WriterOptions,
} from './types.ts'
import { bodyMismatch, verifyingTransform } from './verify-stream.ts'

interface MemFile {
  readonly kind: FileKind
  readonly metadata: StoredMetadata
  body: Buffer
}

export interface MemoryDiskFileOptions {
  readonly secrets: HashPathSecrets
  /** Total body bytes the "device" holds; a write past it fails as a full disk. */
  readonly capacity?: number
  readonly reclaimAge?: number
}

export class MemoryDiskFileManager implements DiskFileManager {
  private readonly dirs = new Map<string, Map<string, MemFile>>()
  private readonly quarantined = new Map<string, Map<string, MemFile>>()
  private readonly asyncPending = new Map<string, Map<string, AsyncPendingUpdate>>()
  private readonly invalid = new Map<string, Set<string>>()
  private readonly secrets: HashPathSecrets
  private readonly capacity: number
  private readonly reclaimAge: number
  private used = 0

  constructor(options: MemoryDiskFileOptions) {
    this.secrets = options.secrets
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY
    this.reclaimAge = options.reclaimAge ?? 604_800
  }

  private key(name: ObjectName): { dir: string; hash: string; part: string } {
    const hash = hashPath(this.secrets, name.account, name.container, name.obj)
    const part = `${name.device}/${name.policy}/${name.partition}`
    return { dir: `${part}/${hash}`, hash, part }
  }

  async open(name: ObjectName, options: OpenOptions): Promise<OpenObject> {
    const { dir } = this.key(name)
    const files = this.dirs.get(dir)
    if (!files) throw new DiskFileError('ERR_DISKFILE_NOT_EXIST', 'no such object')
    const chosen = chooseFiles([...files.keys()])
    if (!chosen.data) {
      if (chosen.ts) throw new DiskFileError('ERR_DISKFILE_DELETED', 'object deleted', { timestamp: chosen.ts.timestamp })
      throw new DiskFileError('ERR_DISKFILE_NOT_EXIST', 'no such object')
    }
    const data = files.get(chosen.data.name)!
    const metaMeta = chosen.meta ? files.get(chosen.meta.name)!.metadata : undefined
    let state
    try {
      state = mergeMetadata(data.metadata, metaMeta)
    } catch (err) {
      await this.quarantine(name, (err as Error).message)
      throw new DiskFileError('ERR_DISKFILE_QUARANTINED', 'bad metadata')
    }
    if (data.body.length !== state.contentLength) {
      await this.quarantine(name, 'size mismatch')
      throw new DiskFileError('ERR_DISKFILE_QUARANTINED', `body is ${data.body.length} bytes, metadata says ${state.contentLength}`)
    }
    checkExpiry(state, options.now, options.openExpired)
    const body = data.body
    const etag = state.metadata.ETag ?? ''
    const quarantine = async (reason: string) => {
      await this.quarantine(name, reason)
    }
    return {
      ...state,
      dataMetadata: data.metadata,
      metaMetadata: metaMeta,
      readWholeBody: async () => {
        // Large bodies are streamed, as the fs diskfile does past its read-ahead.
        if (body.length > 64 * 1024 - 4096) return undefined
        const mismatch = bodyMismatch({ etag }, body)
        if (mismatch !== undefined) {
          await quarantine(mismatch)
          throw new DiskFileError('ERR_DISKFILE_QUARANTINED', mismatch)
        }
        return body
      },
      prefetched: (start, end) => (body.length > 64 * 1024 - 4096 ? undefined : body.subarray(start, end)),
      createReadStream: (start = 0, end = state.contentLength) => {
        const chunks: Buffer[] = []
        for (let at = start; at < end; at += 64 * 1024) chunks.push(body.subarray(at, Math.min(end, at + 64 * 1024)))
        const raw = Readable.from(chunks)
        return start === 0 && end === state.contentLength ? raw.pipe(verifyingTransform({ etag }, quarantine)) : raw
      },
      close: async () => undefined,
    }
  }

  async readMetadata(name: ObjectName, options: OpenOptions): Promise<OpenObject> {
    return this.open(name, options)
  }

  async createWriter(name: ObjectName, options: WriterOptions = {}): Promise<ObjectWriter> {
    if (options.size !== undefined && this.used + options.size > this.capacity) {
      throw new DiskFileError('ERR_DISKFILE_NO_SPACE', 'device full')
    }
    const chunks: Buffer[] = []
    const md5 = createHash('md5')
    let done = false
    let staged = 0
    const writer: ObjectWriter & { commitAs(kind: FileKind, ts: Timestamp, m: StoredMetadata): Promise<void> } = {
      get bytesWritten() {
        return staged
      },
      write: async (chunk) => {
        if (done) throw new DiskFileError('ERR_DISKFILE_WRITER_STATE', 'write after commit or abort')
        if (this.used + chunk.length > this.capacity) throw new DiskFileError('ERR_DISKFILE_NO_SPACE', 'device full')
        this.used += chunk.length
        staged += chunk.length
        chunks.push(chunk)
        md5.update(chunk)
      },
      etag: () => md5.copy().digest('hex'),
      commit: (timestamp, metadata) => writer.commitAs('data', timestamp, metadata),
      commitAs: async (kind, timestamp, metadata) => {
        if (done) throw new DiskFileError('ERR_DISKFILE_WRITER_STATE', 'commit after commit or abort')
        done = true
        const { dir, part, hash } = this.key(name)
        let files = this.dirs.get(dir)
        if (!files) this.dirs.set(dir, (files = new Map()))
        files.set(fileName(timestamp, kind), { kind, metadata: { ...metadata }, body: Buffer.concat(chunks) })
        this.cleanup(dir, files)
        this.markInvalid(part, hash)
      },
      abort: async () => {
        if (done) return
        done = true
        this.used -= staged
      },
    }
    return writer
  }

  private cleanup(dir: string, files: Map<string, MemFile>): void {
    const reclaimBefore = Timestamp.fromSeconds(Math.max(0, Date.now() / 1000 - this.reclaimAge))
    for (const f of chooseFiles([...files.keys()], reclaimBefore).obsolete) {
      this.used -= files.get(f.name)?.body.length ?? 0
      files.delete(f.name)
    }
    if (files.size === 0) this.dirs.delete(dir)
  }

  private markInvalid(part: string, hash: string): void {
    let set = this.invalid.get(part)
    if (!set) this.invalid.set(part, (set = new Set()))
    set.add(hash.slice(-3))
  }

  private async writeSmall(name: ObjectName, kind: 'meta' | 'ts', timestamp: Timestamp, metadata: StoredMetadata): Promise<void> {
    const w = (await this.createWriter(name)) as ObjectWriter & { commitAs(k: FileKind, t: Timestamp, m: StoredMetadata): Promise<void> }
    await w.commitAs(kind, timestamp, metadata)
  }

  async writeMetadata(name: ObjectName, timestamp: Timestamp, metadata: StoredMetadata): Promise<void> {
    await this.writeSmall(name, 'meta', timestamp, metadata)
  }

  async delete(name: ObjectName, timestamp: Timestamp): Promise<void> {
    await this.writeSmall(name, 'ts', timestamp, { 'X-Timestamp': timestamp.internal })
  }

  async quarantine(name: ObjectName, _reason: string): Promise<string | undefined> {
    const { dir, hash, part } = this.key(name)
    const files = this.dirs.get(dir)
    if (!files) return undefined
    this.dirs.delete(dir)
    let to = `${name.device}/quarantined/${name.policy}/${hash}`
    if (this.quarantined.has(to)) to += `-${this.quarantined.size}`
    this.quarantined.set(to, files)
    this.markInvalid(part, hash)
    return to
  }

  async writeAsyncPending(device: string, policy: number, update: AsyncPendingUpdate, timestamp: Timestamp): Promise<void> {
    const hash = hashPath(this.secrets, update.account, update.container, update.obj)
    const k = `${device}/${policy}`
    let m = this.asyncPending.get(k)
    if (!m) this.asyncPending.set(k, (m = new Map()))
    m.set(`${hash.slice(-3)}/${hash}-${timestamp.internal}`, structuredClone(update))
  }

  async listAsyncPending(device: string, policy: number): Promise<AsyncPendingEntry[]> {
    const m = this.asyncPending.get(`${device}/${policy}`)
    if (!m) return []
    return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, update]) => ({ key, update }))
  }

  async invalidatedSuffixes(device: string, partition: string, policy: number): Promise<string[]> {
    return [...(this.invalid.get(`${device}/${policy}/${partition}`) ?? [])].sort()
  }

  async listFiles(name: ObjectName): Promise<string[]> {
    return [...(this.dirs.get(this.key(name).dir)?.keys() ?? [])].sort()
  }

  /** Test hook: damages the current .data body ('truncate' drops its last byte, 'flip' changes one). */
  corruptData(name: ObjectName, how: 'truncate' | 'flip'): void {
    const files = this.dirs.get(this.key(name).dir)
    const data = files && chooseFiles([...files.keys()]).data
    const f = data && files.get(data.name)
    if (!f || f.body.length === 0) throw new Error('no data to corrupt')
    if (how === 'truncate') f.body = f.body.subarray(0, f.body.length - 1)
    else {
      f.body = Buffer.from(f.body)
      f.body[0] = f.body[0]! ^ 0xff
    }
  }

  quarantinedCount(): number {
    return this.quarantined.size
  }
}
