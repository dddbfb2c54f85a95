// A pass-through that checks a whole-body read against the stored ETag. It holds back the
// latest chunk until the next one arrives, so on a mismatch the reader errors before the last
// bytes are sent: a client never receives a complete, wrong body (Swift quarantines at the end
// of the read too, but has already sent everything).
import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import { DiskFileError } from './errors.ts'

export function verifyingTransform(expectedEtag: string, onMismatch: (actual: string) => Promise<void>): Transform {
  const md5 = createHash('md5')
  let held: Buffer | undefined
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      md5.update(chunk)
      const out = held
      held = chunk
      callback(null, out)
    },
    flush(callback) {
      const actual = md5.digest('hex')
      if (actual === expectedEtag) {
        callback(null, held)
        return
      }
      onMismatch(actual).then(
        () => callback(new DiskFileError('ERR_DISKFILE_QUARANTINED', `ETag mismatch: stored ${expectedEtag}, body ${actual}`)),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      )
    },
  })
}
