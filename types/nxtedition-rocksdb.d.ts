// Minimal declaration of the parts of @nxtedition/rocksdb that Tern uses (the package ships
// no types). The *Sync methods are the binding's synchronous paths ("nxt API"); Tern wraps
// them in common/db/kv-store.ts only, so a change of this package touches one file.
declare module '@nxtedition/rocksdb' {
  export type Encoding = 'buffer' | 'utf8' | 'view'

  export interface RangeOptions {
    gt?: Buffer
    gte?: Buffer
    lt?: Buffer
    lte?: Buffer
    reverse?: boolean
    limit?: number
    keys?: boolean
    values?: boolean
    keyEncoding?: Encoding
    valueEncoding?: Encoding
    fillCache?: boolean
  }

  export interface RocksIterator {
    _seekSync(target: Buffer): void
    /** Flat rows: key, value, key, value ... */
    _nextvSync(size: number, options?: object): { rows: Buffer[]; finished: boolean }
    _closeSync(): void
    nextv(size: number): Promise<[Buffer, Buffer][]>
    close(): Promise<void>
  }

  export interface RocksChainedBatch {
    put(key: Buffer, value: Buffer): this
    del(key: Buffer): this
    readonly length: number
    _writeSync(options?: { sync?: boolean }): void
    _closeSync(): void
    write(options?: { sync?: boolean }): Promise<void>
    close(): Promise<void>
  }

  export interface RocksLevelOptions {
    keyEncoding?: Encoding
    valueEncoding?: Encoding
    createIfMissing?: boolean
    errorIfExists?: boolean
    [option: string]: unknown
  }

  export class RocksLevel {
    constructor(location: string, options?: RocksLevelOptions)
    readonly status: 'opening' | 'open' | 'closing' | 'closed'
    readonly location: string
    open(options?: RocksLevelOptions): Promise<void>
    close(): Promise<void>
    get(key: Buffer, options?: { keyEncoding?: Encoding; valueEncoding?: Encoding }): Promise<Buffer>
    put(key: Buffer, value: Buffer): Promise<void>
    batch(): RocksChainedBatch
    iterator(options?: RangeOptions): RocksIterator
    /** abstract-level: forget a resource (batch, iterator) closed by other means than its close(). */
    detachResource(resource: object): void
    /** A RocksDB property (e.g. rocksdb.cur-size-all-mem-tables), as a string. */
    getProperty(property: string): string
    _getManySync(keys: Buffer[], options?: { keyEncoding?: Encoding; valueEncoding?: Encoding; fillCache?: boolean }): (Buffer | undefined)[]
  }
}
