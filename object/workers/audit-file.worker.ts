// Checks one object data file in a piscina worker thread, for the object auditor
// (object/auditor.ts): the metadata trailer must decode and its Content-Length match the body;
// in a full pass the body is re-read and its MD5 compared with the stored ETag, at no more
// than `bytesPerSecond` (this worker's share of the auditor's limit). Answers plain data:
// errors lose their class across threads, and a file gone meanwhile is not a failure.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeFooter, decodeTrailer } from '../diskfile/format.ts'

export interface AuditFileTask {
  readonly path: string
  /** Only sizes and metadata (the zero-byte fast pass). */
  readonly zeroByteOnly: boolean
  /** 0: unlimited. */
  readonly bytesPerSecond: number
}

export interface AuditFileResult {
  /** Why the file is bad; absent when it is good. */
  readonly problem?: string
  /** The file vanished (a newer write, a replication cleanup): nothing to audit. */
  readonly missing?: boolean
  readonly bytes: number
}

const READ_SIZE = 256 * 1024

async function readTrailer(path: string): Promise<{ metadata: Record<string, string>; bodyLength: number } | string> {
  const fh = await open(path, 'r')
  try {
    const size = (await fh.stat()).size
    const tailLen = Math.min(size, 64 * 1024)
    const tail = Buffer.alloc(tailLen)
    await fh.read(tail, 0, tailLen, size - tailLen)
    try {
      const footer = decodeFooter(tail)
      let bytes = tail
      if (footer.metaLength + footer.size > tailLen && tailLen < size) {
        bytes = Buffer.alloc(Math.min(size, footer.metaLength + footer.size))
        await fh.read(bytes, 0, bytes.length, size - bytes.length)
      }
      return decodeTrailer(bytes, size)
    } catch (err) {
      return `metadata: ${(err as Error).message}`
    }
  } finally {
    await fh.close()
  }
}

export async function auditFile(task: AuditFileTask): Promise<AuditFileResult> {
  try {
    const trailer = await readTrailer(task.path)
    if (typeof trailer === 'string') return { problem: trailer, bytes: 0 }
    const { metadata, bodyLength } = trailer
    if (String(bodyLength) !== metadata['Content-Length']) {
      return { problem: `body is ${bodyLength} bytes, metadata says ${metadata['Content-Length']}`, bytes: 0 }
    }
    if (task.zeroByteOnly) return { bytes: 0 }
    const md5 = createHash('md5')
    let bytes = 0
    const started = performance.now()
    if (bodyLength > 0) {
      for await (const chunk of createReadStream(task.path, { start: 0, end: bodyLength - 1, highWaterMark: READ_SIZE })) {
        md5.update(chunk as Buffer)
        bytes += (chunk as Buffer).length
        if (task.bytesPerSecond > 0) {
          // Ahead of the allowed rate: wait until the bytes read so far are due.
          const due = (bytes / task.bytesPerSecond) * 1000 - (performance.now() - started)
          if (due > 1) await sleep(due)
        }
      }
    }
    const actual = md5.digest('hex')
    return actual === metadata.ETag ? { bytes } : { problem: `ETag ${metadata.ETag} but the body hashes to ${actual}`, bytes }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { missing: true, bytes: 0 }
    throw err
  }
}

export default auditFile
