// Does a listing page's cost depend on where its marker is? Reads JSON pages of 10,000 rows
// straight from the bench's filled listing container (one replica's database, Tern stopped:
// one process owns a RocksDB) at markers from the first row to the last page, and prints CPU
// ms and keys read per page for each. The container server adds the same HTTP cost to all.
// Usage: node --import=tsx bench/listing-depth.ts <tern home> <port base> <proxy port> [rows=1000000]
import { join } from 'node:path'
import { KvStore } from '../common/db/kv-store.ts'
import { hashPathDigest } from '../common/hash-path.ts'
import { readHashPathSecrets } from '../common/swift-conf.ts'
import { ContainerBroker } from '../container/broker.ts'
import { makeLayout } from '../all-in-one/layout.ts'
import { Ring } from '../ring/ring.ts'
import { LISTING_ACCOUNT, listingContainer, listingName } from './lib/listing-fill.ts'

const [home, portBase, proxyPort, rowsArg] = process.argv.slice(2)
if (!home || !portBase || !proxyPort) throw new Error('usage: listing-depth.ts <tern home> <port base> <proxy port> [rows]')
const rows = Number(rowsArg ?? 1_000_000)
const PAGE = 10_000
const REPEAT = 10
const layout = makeLayout({ home, portBase: Number(portBase), proxyPort: Number(proxyPort) })
const secrets = readHashPathSecrets(layout.swiftConfPath)
const container = listingContainer(rows)
const ring = Ring.load(join(layout.etcDir, 'container.ring.gz'), { secrets })
const ringNode = ring.getNodes(LISTING_ACCOUNT, container).nodes[0]!
const node = layout.nodes.find((n) => n.ports.container === ringNode.port)!
const store = await KvStore.open(join(node.devicesDir, ringNode.device, 'containers.db'))
try {
  const broker = new ContainerBroker(store, hashPathDigest(secrets, LISTING_ACCOUNT, container))
  const depths = [0, 0.25, 0.5, 0.75, 1]
  const markerAt = (d: number) => (d === 0 ? '' : listingName(Math.floor(d * (rows - PAGE)) - 1))
  for (const d of depths) broker.listObjectsJson({ limit: PAGE, marker: markerAt(d) }, 0) // warm the block cache alike
  for (const d of depths) {
    const keys0 = store.keysRead
    const cpu0 = process.cpuUsage()
    let bytes = 0
    for (let i = 0; i < REPEAT; i++) bytes = broker.listObjectsJson({ limit: PAGE, marker: markerAt(d) }, 0).length
    const cpu = process.cpuUsage(cpu0)
    process.stdout.write(`marker at ${(d * 100).toFixed(0).padStart(3)}% (${markerAt(d) || 'none'}): ${((cpu.user + cpu.system) / 1000 / REPEAT).toFixed(1)} ms CPU/page, ${(store.keysRead - keys0) / REPEAT} keys read/page, ${bytes} bytes\n`)
  }
} finally {
  await store.close()
}
