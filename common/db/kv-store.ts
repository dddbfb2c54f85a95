// One RocksDB database, used synchronously. The container and account servers run their
// database work on the event loop in one process (RocksDB allows only one process to open a
// database), and doing each read-modify-write with the binding's synchronous calls makes it
// atomic with respect to every other request: no request can interleave between reading a
// container's stats and writing them back, so no lock is needed. Reads hit RocksDB's block
// cache and writes go to its WAL; both are short compared with an HTTP round trip.
//
// `keysRead` counts every key an operation touched (gets and iterator steps), so tests can
// prove that a listing page costs O(limit) however large the container.
import { mkdir } from 'node:fs/promises'
import { RocksLevel } from '@nxtedition/rocksdb'
import type { RocksChainedBatch, RocksIterator } from '@nxtedition/rocksdb'

const RAW = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const

/** The binding sizes write buffers only through its compaction presets: 'level' gives budget / 4 each. */
export const MEMTABLE_OPTIONS = { compaction: 'level', memtableMemoryBudget: 16 << 20 } as const

export interface KvRange {
  gt?: Buffer
  gte?: Buffer
  lt?: Buffer
  lte?: Buffer
  reverse?: boolean
}

export class KvStoreError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** A cursor over a key range that can jump forward (or back, when reversed) with seek(). */
export class KvCursor {
  #it: RocksIterator
  #store: KvStore
  #rows: Buffer[] = []
  #pos = 0
  #finished = false
  #batch: number

  constructor(store: KvStore, it: RocksIterator, batch: number) {
    this.#store = store
    this.#it = it
    this.#batch = batch
  }

  /** Next [key, value], or undefined at the end of the range. */
  next(): [Buffer, Buffer] | undefined {
    if (this.#pos >= this.#rows.length) {
      if (this.#finished) return undefined
      const { rows, finished } = this.#it._nextvSync(this.#batch)
      this.#rows = rows
      this.#pos = 0
      this.#finished = finished
      if (rows.length === 0) return undefined
    }
    const key = this.#rows[this.#pos++]!
    const value = this.#rows[this.#pos++]!
    this.#store.keysRead++
    return [key, value]
  }

  /** Repositions at the first key >= target (forward) or <= target (reverse). */
  seek(target: Buffer): void {
    this.#it._seekSync(target)
    this.#rows = []
    this.#pos = 0
    this.#finished = false
  }

  close(): void {
    this.#store.release(this.#it)
  }

  /** @internal */
  get raw(): RocksIterator {
    return this.#it
  }
}

/**
 * A cursor over the values of a key range, decoded as UTF-8 text, without the keys: one JS
 * string per row instead of two copied Buffers, which is what makes a 10,000-row listing
 * page cheap (listing entries carry their own name; see keys.ts). Each native call reads
 * `batch` rows, the next ones four times as many up to `maxBatch`; after a seek it starts
 * again at one row, so a walk that seeks often (a delimiter's subdirectories) reads few rows
 * it then throws away. `keysRead` counts the rows read, used or not.
 */
export class KvTextCursor {
  #it: RocksIterator
  #store: KvStore
  #rows: unknown[] = []
  #pos = 0
  #finished = false
  #batch: number
  #maxBatch: number

  constructor(store: KvStore, it: RocksIterator, batch: number, maxBatch: number) {
    this.#store = store
    this.#it = it
    this.#batch = batch
    this.#maxBatch = Math.max(batch, maxBatch)
  }

  next(): string | undefined {
    if (this.#pos >= this.#rows.length) {
      if (this.#finished) return undefined
      const { rows, finished } = this.#it._nextvSync(this.#batch)
      this.#store.keysRead += rows.length / 2
      this.#batch = Math.min(this.#maxBatch, this.#batch * 4)
      this.#rows = rows
      this.#pos = 0
      this.#finished = finished
      if (rows.length === 0) return undefined
    }
    this.#pos++ // the (undefined) key
    return this.#rows[this.#pos++] as string
  }

  seek(target: Buffer): void {
    this.#it._seekSync(target)
    this.#rows = []
    this.#pos = 0
    this.#finished = false
    this.#batch = 1
  }

  close(): void {
    this.#store.release(this.#it)
  }

  /** @internal */
  get raw(): RocksIterator {
    return this.#it
  }
}

export class KvBatch {
  readonly #batch: RocksChainedBatch
  constructor(batch: RocksChainedBatch) {
    this.#batch = batch
  }
  put(key: Buffer, value: Buffer): this {
    this.#batch.put(key, value)
    return this
  }
  del(key: Buffer): this {
    this.#batch.del(key)
    return this
  }
  get length(): number {
    return this.#batch.length
  }
  /** @internal */
  get raw(): RocksChainedBatch {
    return this.#batch
  }
}

export class KvStore {
  /** Keys read by gets and cursors since the store was opened (a cost measure for tests). */
  keysRead = 0
  readonly location: string
  readonly #db: RocksLevel

  private constructor(location: string, db: RocksLevel) {
    this.location = location
    this.#db = db
  }

  static async open(location: string): Promise<KvStore> {
    await mkdir(location, { recursive: true })
    const db = new RocksLevel(location, RAW)
    try {
      // A bloom filter makes the point reads of merges (mostly new names) skip SST files; a
      // block cache larger than the 8 MiB default keeps hot containers' listings in memory.
      // Memtables of 4 MiB (the binding's level style with a 16 MiB budget: up to 6 of them):
      // with RocksDB's default 64 MiB write buffer a database kept every row written in memory
      // until 64 MiB had come, and a storage node's RSS climbed with its container updates
      // (a script of 160,000 two-key batches: 96 -> 242 MB, against 98 -> 127 MB with these).
      await db.open({ cacheSize: 64 << 20, filterPolicy: 'bloomfilter:10:false', ...MEMTABLE_OPTIONS })
    } catch (err) {
      throw new KvStoreError('ERR_DB_OPEN', `cannot open database ${location}`, { cause: err })
    }
    return new KvStore(location, db)
  }

  get(key: Buffer): Buffer | undefined {
    this.keysRead++
    return this.#db._getManySync([key], RAW)[0]
  }

  getMany(keys: Buffer[]): (Buffer | undefined)[] {
    if (keys.length === 0) return []
    this.keysRead += keys.length
    return this.#db._getManySync(keys, RAW)
  }

  /** A cursor over `range`; `batch` is how many rows each native call fetches. */
  cursor(range: KvRange, batch = 256): KvCursor {
    return new KvCursor(this, this.#db.iterator({ ...range, ...RAW }), batch)
  }

  /** A cursor over the values of `range` as text (values must be UTF-8); batches as KvTextCursor says. */
  textCursor(range: KvRange, batch = 256, maxBatch = batch): KvTextCursor {
    return new KvTextCursor(this, this.#db.iterator({ ...range, keys: false, values: true, keyEncoding: 'buffer', valueEncoding: 'utf8' }), batch, maxBatch)
  }

  batch(): KvBatch {
    return new KvBatch(this.#db.batch())
  }

  write(batch: KvBatch): void {
    try {
      if (batch.length > 0) batch.raw._writeSync()
    } finally {
      this.release(batch.raw)
    }
  }

  /**
   * Closes a batch or iterator. The binding's _closeSync frees the native side only: the
   * database's set of open resources (abstract-level, emptied by db.close()) kept every
   * batch and iterator ever made, and with them their keys and values: 2-3 MB of heap per
   * thousand container updates (heap snapshots of a container server).
   */
  release(resource: RocksChainedBatch | RocksIterator): void {
    try {
      resource._closeSync()
    } finally {
      this.#db.detachResource(resource)
    }
  }

  /** Bytes RocksDB holds in memtables (rocksdb.cur-size-all-mem-tables). */
  memtableBytes(): number {
    return Number(this.#db.getProperty('rocksdb.cur-size-all-mem-tables'))
  }

  get isOpen(): boolean {
    return this.#db.status === 'open'
  }

  async close(): Promise<void> {
    if (this.#db.status === 'open') await this.#db.close()
  }
}
