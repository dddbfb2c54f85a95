// Deterministic, non-repeating request bodies generated on the fly (never held whole), with
// their MD5 computed as they stream.
import type { Hash } from 'node:crypto'
import { Readable } from 'node:stream'

const CHUNK = 256 * 1024

/** `size` bytes in 256 KiB chunks, each stamped with its index so that no two are equal. */
export function generatedBody(size: number, md5: Hash): Readable {
  const base = Buffer.alloc(CHUNK)
  for (let i = 0; i < CHUNK; i++) base[i] = (i * 2654435761) >>> 24
  let sent = 0
  let index = 0
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null)
      const n = Math.min(CHUNK, size - sent)
      const chunk = Buffer.from(base.subarray(0, n))
      chunk.writeUInt32BE(index++, 0)
      md5.update(chunk)
      sent += n
      this.push(chunk)
    },
  })
}
