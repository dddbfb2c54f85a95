// The log output of a server process: stdout behind one LineBatch shared by every logger of
// the process (the all-in-one runs three servers in one), flushed when the process exits
// (stdout to a file or a pipe is written synchronously on Linux, so nothing is lost then).
import { LineBatch } from '../common/logger.ts'

let shared: LineBatch | undefined

export function serverLogStream(): LineBatch {
  if (!shared) {
    const batch = new LineBatch(process.stdout)
    process.once('exit', () => batch.flush())
    shared = batch
  }
  return shared
}
