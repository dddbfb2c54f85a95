// Domain errors of the on-disk layer (Swift: swift/common/exceptions.py DiskFile*). The object
// server maps them to responses by `code`, never by class (they may cross worker threads).
import type { Timestamp } from '../../common/timestamp.ts'

export type DiskFileErrorCode =
  | 'ERR_DISKFILE_NOT_EXIST'
  | 'ERR_DISKFILE_DELETED'
  | 'ERR_DISKFILE_EXPIRED'
  | 'ERR_DISKFILE_QUARANTINED'
  | 'ERR_DISKFILE_NO_SPACE'
  | 'ERR_DISKFILE_DEVICE_UNAVAILABLE'
  | 'ERR_DISKFILE_BAD_FORMAT'
  | 'ERR_DISKFILE_WRITER_STATE'

export class DiskFileError extends Error {
  readonly code: DiskFileErrorCode
  /** Timestamp of the tombstone (deleted) or of the expired object's data, when known. */
  readonly timestamp: Timestamp | undefined
  /** Metadata of an expired object (DELETE needs its X-Delete-At). */
  readonly metadata: Readonly<Record<string, string>> | undefined

  constructor(
    code: DiskFileErrorCode,
    message: string,
    options: { timestamp?: Timestamp; metadata?: Readonly<Record<string, string>>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'DiskFileError'
    this.code = code
    this.timestamp = options.timestamp
    this.metadata = options.metadata
  }
}

/** Errors that mean "there is no readable object here" (404 on GET/HEAD/POST). */
export function isNotFound(err: unknown): err is DiskFileError {
  const code = (err as { code?: unknown } | null)?.code
  return (
    code === 'ERR_DISKFILE_NOT_EXIST' ||
    code === 'ERR_DISKFILE_DELETED' ||
    code === 'ERR_DISKFILE_EXPIRED' ||
    code === 'ERR_DISKFILE_QUARANTINED'
  )
}

/** ENOSPC / EDQUOT from the file system: the device is full. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'ERR_DISKFILE_NO_SPACE'
}

/** Errors the object server answers with 507: a full device, or one that went away. */
export function isInsufficientStorage(err: unknown): boolean {
  return isNoSpace(err) || (err as { code?: unknown } | null)?.code === 'ERR_DISKFILE_DEVICE_UNAVAILABLE'
}

/** A file or folder that is not there (ENOENT). */
export function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT'
}

/** A catch handler: a missing file is fine, anything else is thrown on. */
export function ignoreMissing(err: unknown): void {
  if (!isMissing(err)) throw err
}

/** A catch handler for readdir: a missing folder lists as empty. */
export function emptyIfMissing(err: unknown): string[] {
  if (isMissing(err)) return []
  throw err
}
