// Fills the listing scenario's container with N object rows directly in each replica's
// container database, because a million PUTs through the proxy would take hours on a small
// machine and the scenario measures reading pages, not writing rows. Tern: its RocksDB device
// databases, with the cluster stopped (one process may own a RocksDB); Swift: its SQLite
// databases through Swift's own ContainerBroker (bench/swift-fill-listing.py).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KvStore } from '../../common/db/kv-store.ts'
import { hashPathDigest } from '../../common/hash-path.ts'
import { readHashPathSecrets } from '../../common/swift-conf.ts'
import { Timestamp } from '../../common/timestamp.ts'
import { ContainerBroker } from '../../container/broker.ts'
import type { ObjectItem } from '../../container/broker.ts'
import { makeLayout } from '../../all-in-one/layout.ts'
import { Ring } from '../../ring/ring.ts'

export const LISTING_ACCOUNT = 'AUTH_test'
const BATCH = 20_000
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'

/** Row i's object name: sorts in numeric order, so any marker's page is known in advance. */
export function listingName(i: number): string {
  return `obj-${String(i).padStart(7, '0')}`
}

/** Rows start..end-1 as the fill merges them (zero-byte objects, one a millisecond apart). */
export function listingItems(start: number, end: number): ObjectItem[] {
  const items: ObjectItem[] = []
  for (let i = start; i < end; i++) {
    items.push({ name: listingName(i), createdAt: Timestamp.fromSeconds(1_700_000_000 + i / 1000).internal, size: 0, contentType: 'application/octet-stream', etag: EMPTY_MD5, deleted: 0, storagePolicyIndex: 0 })
  }
  return items
}

export function listingContainer(rows: number): string {
  return `bench-listing-${rows}`
}

/** Merges rows 0..rows-1 into the container's database on each of its ring nodes (Tern stopped). */
export async function fillTernListing(home: string, portBase: number, proxyPort: number, container: string, rows: number): Promise<number> {
  const layout = makeLayout({ home, portBase, proxyPort })
  const secrets = readHashPathSecrets(layout.swiftConfPath)
  const ring = Ring.load(join(layout.etcDir, 'container.ring.gz'), { secrets })
  const { nodes } = ring.getNodes(LISTING_ACCOUNT, container)
  const dbId = hashPathDigest(secrets, LISTING_ACCOUNT, container)
  let filled = 0
  for (const ringNode of nodes) {
    const node = layout.nodes.find((n) => n.ports.container === ringNode.port)
    if (!node) throw new Error(`no all-in-one node serves containers on port ${ringNode.port}`)
    const store = await KvStore.open(join(node.devicesDir, ringNode.device, 'containers.db'))
    try {
      const broker = new ContainerBroker(store, dbId)
      if (!broker.getInfo()) throw new Error(`container ${container} missing on ${node.name} (create it through the API first)`)
      for (let start = 0; start < rows; start += BATCH) {
        broker.mergeItems(listingItems(start, Math.min(rows, start + BATCH)))
      }
      filled++
    } finally {
      await store.close()
    }
  }
  return filled
}

/** The same rows in the peer's SQLite databases, through Swift's ContainerBroker. */
export function fillSwiftListing(peerRoot: string, container: string, rows: number): void {
  const script = fileURLToPath(new URL('../swift-fill-listing.py', import.meta.url))
  const r = spawnSync('/usr/bin/python3', [script, peerRoot, LISTING_ACCOUNT, container, String(rows)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`filling the Swift listing container failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
}
