// The decompression in front of the tar reader for ?extract-archive=tar.gz / tar.bz2. gzip is
// node:zlib; bzip2 has no decoder in Node, so the system's bzip2 (Debian package "bzip2")
// decodes it as a child process. Failures carry the messages Python's tarfile gives.
import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { TarError } from './tar-reader.ts'

export type ArchiveCompression = '' | 'gz' | 'bz2'

export const BZIP2_COMMAND = '/usr/bin/bzip2'

/** The decompressed bytes of `input`; errors surface as TarError from the iteration. */
export async function* decompressed(input: Readable, compression: ArchiveCompression): AsyncGenerator<Buffer> {
  // Stopping early must leave the request alone (destroying it would drop the connection).
  const chunks = () => input.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>
  if (compression === '') {
    yield* chunks()
    return
  }
  if (compression === 'gz') {
    const gunzip = createGunzip()
    let checkedMagic = false
    const feed = (async () => {
      for await (const b of chunks()) {
        if (!checkedMagic && b.length) {
          checkedMagic = true
          if (b[0] !== 0x1f || (b.length > 1 && b[1] !== 0x8b)) {
            gunzip.destroy(new TarError('not a gzip file'))
            return
          }
        }
        if (gunzip.destroyed) return
        if (!gunzip.write(b)) await new Promise((r) => {
          gunzip.once('drain', r)
          gunzip.once('close', r)
        })
      }
      gunzip.end()
    })().catch((err: unknown) => gunzip.destroy(err instanceof Error ? err : new Error(String(err))))
    try {
      for await (const chunk of gunzip) yield chunk as Buffer
    } catch (err) {
      throw err instanceof TarError ? err : new TarError('invalid compressed data')
    } finally {
      // The tar may end before the gzip stream does: stop feeding.
      if (!gunzip.writableEnded) gunzip.destroy()
      await feed
    }
    if (!checkedMagic) throw new TarError('empty file')
    return
  }
  const child = spawn(BZIP2_COMMAND, ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] })
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1))
    child.once('close', (code) => resolve(code))
  })
  child.stdin.on('error', () => undefined)
  input.pipe(child.stdin)
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer
    if ((await exited) !== 0) throw new TarError('invalid compressed data')
  } finally {
    input.unpipe(child.stdin)
    if (child.exitCode === null) child.kill()
  }
}
