// The diskfile interface shared by the file-system implementation and its in-memory twin
// (Swift: DiskFileManager / DiskFile / DiskFileWriter / DiskFileReader, and mem_diskfile).
// Both pass test/suites/diskfile-compliance.ts.
import type { Readable } from 'node:stream'
import type { Timestamp } from '../../common/timestamp.ts'
import type { StoredMetadata } from './format.ts'

export type { StoredMetadata } from './format.ts'

export interface ObjectName {
  readonly device: string
  readonly partition: string
  readonly account: string
  readonly container: string
  readonly obj: string
  readonly policy: number
}

export interface OpenOptions {
  /** Objects whose X-Delete-At is at or before this time read as expired. */
  readonly now: Timestamp
  /** Replication reads expired objects too. */
  readonly openExpired?: boolean
}

export interface OpenObject {
  /** Data-file metadata merged with the newest POST (.meta), as the object server serves it. */
  readonly metadata: Readonly<StoredMetadata>
  readonly dataMetadata: Readonly<StoredMetadata>
  /** The POSTed metadata alone, when there is a .meta file. */
  readonly metaMetadata: Readonly<StoredMetadata> | undefined
  readonly dataTimestamp: Timestamp
  /** Newest of the data and .meta timestamps (the object's X-Timestamp). */
  readonly timestamp: Timestamp
  readonly contentTypeTimestamp: Timestamp
  readonly contentLength: number
  /**
   * The whole body, checked against its stored CRC-32 (or the ETag, in files without one; see
   * verify-stream.ts), when it came in with the metadata read (small
   * objects); undefined for larger objects (stream them). On a mismatch the object is
   * quarantined and this throws ERR_DISKFILE_QUARANTINED.
   */
  readWholeBody(): Promise<Buffer | undefined>
  /** The body bytes [start, end) when they came in with the metadata read, unchecked. */
  prefetched(start: number, end: number): Buffer | undefined
  /**
   * Streams bytes [start, end) of the body. A read of the whole body is checked as
   * readWholeBody's is; on a mismatch the object is quarantined and the stream errors with
   * ERR_DISKFILE_QUARANTINED before its last chunk, so no wrong body ever completes.
   */
  createReadStream(start?: number, end?: number): Readable
  close(): Promise<void>
}

export interface WriterOptions {
  /** Expected body size when known (Content-Length), for the free-space check. */
  readonly size?: number | undefined
}

export interface ObjectWriter {
  /** Appends body bytes (awaiting it applies backpressure to the disk). */
  write(chunk: Buffer): Promise<void>
  readonly bytesWritten: number
  /** Hex MD5 of everything written so far. */
  etag(): string
  /** Makes the object durable under `timestamp` with `metadata`, then cleans up older files. */
  commit(timestamp: Timestamp, metadata: StoredMetadata): Promise<void>
  /** Drops the staged data (idempotent; a no-op after commit). */
  abort(): Promise<void>
}

export interface AsyncPendingUpdate {
  readonly op: 'PUT' | 'DELETE'
  readonly account: string
  readonly container: string
  readonly obj: string
  readonly headers: Readonly<Record<string, string>>
  readonly containerPath?: string | undefined
}

export interface AsyncPendingEntry {
  /** "<suffix>/<hash>-<timestamp>" under the device's async_pending folder. */
  readonly key: string
  readonly update: AsyncPendingUpdate
}

export interface DiskFileManager {
  open(name: ObjectName, options: OpenOptions): Promise<OpenObject>
  /** Metadata of the current object (open + close). */
  readMetadata(name: ObjectName, options: OpenOptions): Promise<OpenObject>
  createWriter(name: ObjectName, options?: WriterOptions): Promise<ObjectWriter>
  /** Writes a .meta file (a POST). */
  writeMetadata(name: ObjectName, timestamp: Timestamp, metadata: StoredMetadata): Promise<void>
  /** Writes a tombstone (.ts). */
  delete(name: ObjectName, timestamp: Timestamp): Promise<void>
  /** Moves the object's hash directory to quarantine; returns where it went (or undefined). */
  quarantine(name: ObjectName, reason: string): Promise<string | undefined>
  /** Records a container update to replay later (`timestamp` names the record). */
  writeAsyncPending(device: string, policy: number, update: AsyncPendingUpdate, timestamp: Timestamp): Promise<void>
  listAsyncPending(device: string, policy: number): Promise<AsyncPendingEntry[]>
  /** Suffixes of a partition invalidated since the last consolidation (for the replicator). */
  invalidatedSuffixes(device: string, partition: string, policy: number): Promise<string[]>
  /** Names of the files in the object's hash directory (tests, audits). */
  listFiles(name: ObjectName): Promise<string[]>
}
