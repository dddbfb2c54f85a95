import { RocksLevel } from '@nxtedition/rocksdb'
import { randomBytes } from 'node:crypto'
const RAW = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const
const mode = process.argv[2]
const dir = '/tmp/perf/mt-' + process.pid
const db = new RocksLevel(dir, RAW)
await db.open({ cacheSize: 64 << 20, filterPolicy: 'bloomfilter:10:false' } as any)
const rss = () => Math.round(process.memoryUsage().rss / 1e6)
const out: string[] = [`${mode}: start ${rss()}`]
const shared = db.batch() as any
for (let round = 0; round < 8; round++) {
  for (let i = 0; i < 20000; i++) {
    if (mode === 'reuse') { shared.put(randomBytes(40), randomBytes(250)); shared.put(randomBytes(40), randomBytes(60)); shared._writeSync(); shared._clear() }
    else { const b = db.batch() as any; b.put(randomBytes(40), randomBytes(250)); b.put(randomBytes(40), randomBytes(60)); b._writeSync(); b._closeSync(); (db as any).detachResource(b) }
  }
  global.gc?.()
  out.push(`${rss()}`)
}
console.log(out.join(' '), 'mem-tables', (db as any).getProperty?.('rocksdb.cur-size-all-mem-tables'))
await db.close()
