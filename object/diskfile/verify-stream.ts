// Checking a whole-body read against what was stored with it: the body's CRC-32 (format
// version 2, format.ts says why) or, for files without one, the MD5 ETag. The pass-through holds
// back the latest chunk until the next one arrives, so on a mismatch the reader errors before
// the last bytes are sent: a client never receives a complete, wrong body (Swift quarantines at
// the end of the read too, but has already sent everything).
import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import { crc32 } from 'node:zlib'
import { DiskFileError } from './errors.ts'
import { NODE_YOUNG_GC_BYTES, noteBodyBytes } from '../../common/young-gc.ts'

/** What a body must hash to: its stored CRC-32, or its ETag when the file has no CRC. */
export type ExpectedBody = { readonly crc32: number } | { readonly etag: string }

export interface BodyCheck {
  update(chunk: Buffer): void
  /** undefined when the bytes so far match; otherwise why they do not. */
  mismatch(): string | undefined
}

export function bodyCheck(expected: ExpectedBody): BodyCheck {
  if ('crc32' in expected) {
    let crc = 0
    return {
      update: (chunk) => {
        crc = crc32(chunk, crc)
      },
      mismatch: () => (crc === expected.crc32 ? undefined : `body CRC-32 ${hex32(crc)}, stored ${hex32(expected.crc32)}`),
    }
  }
  const md5 = createHash('md5')
  return {
    update: (chunk) => {
      md5.update(chunk)
    },
    mismatch: () => {
      const actual = md5.digest('hex')
      return actual === expected.etag ? undefined : `ETag ${expected.etag} but body hashes to ${actual}`
    },
  }
}

/** Checks a whole body in memory; undefined when it matches. */
export function bodyMismatch(expected: ExpectedBody, body: Buffer): string | undefined {
  const check = bodyCheck(expected)
  check.update(body)
  return check.mismatch()
}

export function verifyingTransform(expected: ExpectedBody, onMismatch: (reason: string) => Promise<void>): Transform {
  const check = bodyCheck(expected)
  let held: Buffer | undefined
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      check.update(chunk)
      if (held) noteBodyBytes(held.length, NODE_YOUNG_GC_BYTES)
      const out = held
      held = chunk
      callback(null, out)
    },
    flush(callback) {
      const reason = check.mismatch()
      if (reason === undefined) {
        callback(null, held)
        return
      }
      onMismatch(reason).then(
        () => callback(new DiskFileError('ERR_DISKFILE_QUARANTINED', reason)),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      )
    },
  })
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0')
}
