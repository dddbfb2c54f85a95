// One replica of the bench's listing container filled in a process of its own, so the
// replicas fill side by side (bench/lib/listing-fill.ts starts one per replica).
// Usage: node --import=tsx bench/listing-fill-replica.ts <containers.db dir> <database id hex> <rows>
import { KvStore } from '../common/db/kv-store.ts'
import { ContainerBroker } from '../container/broker.ts'
import { fillReplica } from './lib/listing-fill.ts'

const [db, dbIdHex, rows] = process.argv.slice(2)
if (!db || !dbIdHex || !rows) throw new Error('usage: listing-fill-replica.ts <db dir> <database id hex> <rows>')
const store = await KvStore.open(db)
try {
  fillReplica(new ContainerBroker(store, Buffer.from(dbIdHex, 'hex')), Number(rows))
} finally {
  await store.close()
}
