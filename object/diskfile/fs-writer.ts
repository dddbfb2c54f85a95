// The staging writer of the fs diskfile: body bytes go to a file in tmp/ (buffered up to 1 MiB
// between writes, MD5 computed on the way); commit appends the metadata trailer, fdatasyncs
// (unless the file was opened O_DSYNC for a body known to fit one write),
// and hands the file to the manager to rename into place and clean up. Abort closes and
// unlinks the staged file, so a failed PUT leaves nothing behind.
import { createHash } from 'node:crypto'
import { unlink } from 'node:fs/promises'
import type { Timestamp } from '../../common/timestamp.ts'
import { DiskFileError, ignoreMissing, isNoSpace } from './errors.ts'
import { encodeTrailer } from './format.ts'
import type { FileKind, StoredMetadata } from './format.ts'
import { fileName } from './ondisk-files.ts'
import { fdatasyncFd } from './raw-fs.ts'
import { syncIo } from './raw-fs.ts'
import type { SmallIo } from './raw-fs.ts'
import type { ObjectWriter } from './types.ts'

/** Body bytes buffered before a write to the staging file. */
export const WRITE_BUFFER = 1024 * 1024

/** What the writer needs of its manager. */
export interface WriterHost<P> {
  readonly writeIo: SmallIo
  install(p: P, tmpPath: string, target: string): Promise<void>
  cleanup(p: P): Promise<void>
}

export class FsObjectWriter<P> implements ObjectWriter {
  private readonly md5 = createHash('md5')
  private pending: Buffer[] = []
  private pendingBytes = 0
  private done = false
  bytesWritten = 0

  constructor(
    private readonly manager: WriterHost<P>,
    private readonly p: P,
    private readonly tmpPath: string,
    private readonly fd: number,
    /** Opened O_DSYNC: each write is durable when it returns, no fdatasync needed. */
    private readonly durableWrites = false,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    if (this.done) throw new DiskFileError('ERR_DISKFILE_WRITER_STATE', 'write after commit or abort')
    this.md5.update(chunk)
    this.bytesWritten += chunk.length
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes >= WRITE_BUFFER) await this.flush([])
  }

  etag(): string {
    return this.md5.copy().digest('hex')
  }

  private async flush(extra: Buffer[]): Promise<void> {
    const buffers = [...this.pending, ...extra]
    this.pending = []
    this.pendingBytes = 0
    try {
      await writeAll(this.manager.writeIo, this.fd, buffers)
    } catch (err) {
      if (isNoSpace(err)) throw new DiskFileError('ERR_DISKFILE_NO_SPACE', 'device full', { cause: err })
      throw err
    }
  }

  async commit(timestamp: Timestamp, metadata: StoredMetadata): Promise<void> {
    await this.commitAs('data', timestamp, metadata)
  }

  async commitAs(kind: FileKind, timestamp: Timestamp, metadata: StoredMetadata): Promise<void> {
    if (this.done) throw new DiskFileError('ERR_DISKFILE_WRITER_STATE', 'commit after commit or abort')
    try {
      await this.flush([encodeTrailer(kind, metadata)])
      if (!this.durableWrites) await fdatasyncFd(this.fd)
    } catch (err) {
      if (isNoSpace(err)) throw new DiskFileError('ERR_DISKFILE_NO_SPACE', 'device full', { cause: err })
      throw err
    }
    this.done = true
    // Nothing is left to write back after the fdatasync: closing cannot wait on the disk.
    syncIo.close(this.fd)
    await this.manager.install(this.p, this.tmpPath, fileName(timestamp, kind))
    await this.manager.cleanup(this.p)
  }

  async abort(): Promise<void> {
    if (this.done) return
    this.done = true
    try {
      await this.manager.writeIo.close(this.fd)
    } catch {
      // already closed
    }
    await unlink(this.tmpPath).catch(ignoreMissing)
  }
}

async function writeAll(io: SmallIo, fd: number, buffers: Buffer[]): Promise<void> {
  let rest = buffers.filter((b) => b.length > 0)
  while (rest.length > 0) {
    const total = rest.reduce((n, b) => n + b.length, 0)
    const bytesWritten = await io.writev(fd, rest)
    if (bytesWritten >= total) return
    // A short write: drop what went out and go again with the rest.
    let skip = bytesWritten
    const next: Buffer[] = []
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length
      else {
        next.push(skip > 0 ? b.subarray(skip) : b)
        skip = 0
      }
    }
    rest = next
  }
}
