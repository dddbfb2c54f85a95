// Quarantining a broken container or account database (Swift: swift.common.db_auditor and
// DatabaseBroker.possibly_quarantine move the SQLite file under
// <device>/quarantined/<type>s/). A Tern database is a key range inside its device's RocksDB,
// so its raw records are written out, one JSON line each ({"k": base64 key, "v": base64
// value}, after a header line with the format version and the reason), to
// <device>/quarantined/<type>s/<hash>-<uuid>.ndjson, and then deleted: the database no longer
// exists here, so the replicators of the other primaries copy a sound replica back.
import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KvStore } from './kv-store.ts'
import { KEY_INFO, KEY_LIST, KEY_META, KEY_ROW, KEY_SEQ, KEY_SYNC, dbKey, partitionKey, prefixEnd } from './keys.ts'

export const QUARANTINE_FORMAT = 1

/** Moves every record of database `hash` out of `store`; resolves to the file written. */
export async function quarantineDatabase(opts: {
  readonly store: KvStore
  readonly devicePath: string
  readonly type: 'container' | 'account'
  readonly partition: number
  readonly hash: string
  readonly reason: string
}): Promise<string> {
  const { store } = opts
  const dbId = Buffer.from(opts.hash, 'hex')
  const keys: Buffer[] = []
  const lines = [JSON.stringify({ v: QUARANTINE_FORMAT, type: opts.type, hash: opts.hash, partition: opts.partition, reason: opts.reason })]
  for (const type of [KEY_INFO, KEY_META, KEY_ROW, KEY_LIST, KEY_SEQ, KEY_SYNC]) {
    const start = dbKey(type, dbId)
    const cursor = store.cursor({ gte: start, lt: prefixEnd(start) }, 1000)
    try {
      for (let e = cursor.next(); e; e = cursor.next()) {
        keys.push(e[0])
        lines.push(JSON.stringify({ k: e[0].toString('base64'), v: e[1].toString('base64') }))
      }
    } finally {
      cursor.close()
    }
  }
  const dir = join(opts.devicePath, 'quarantined', `${opts.type}s`)
  await mkdir(dir, { recursive: true })
  const file = join(dir, `${opts.hash}-${randomUUID().replaceAll('-', '')}.ndjson`)
  await writeFile(file, lines.join('\n') + '\n')
  const batch = store.batch()
  for (const key of keys) batch.del(key)
  batch.del(partitionKey(opts.partition, dbId))
  store.write(batch)
  return file
}
