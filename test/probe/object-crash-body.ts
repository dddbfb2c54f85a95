// Bodies the crash probe can recompute from (object, timestamp) alone, of varied sizes.
import { createCipheriv, createHash } from 'node:crypto'
import type { Timestamp } from '../../common/timestamp.ts'

export const CRASH_SECRETS = { prefix: 'crash', suffix: 'probe' }
const SIZES = [0, 1, 4096, 65_000, 70_000, 300_000]

export function crashBody(obj: string, ts: Timestamp): Buffer {
  const seed = createHash('sha256').update(`${obj}@${ts.internal}`).digest()
  const size = SIZES[seed[0]! % SIZES.length]!
  const cipher = createCipheriv('aes-128-ctr', seed.subarray(0, 16), seed.subarray(16, 32))
  return cipher.update(Buffer.alloc(size))
}
