// Fills the listing scenario's container with N object rows directly in each replica's
// container database, because a million PUTs through the proxy would take hours on a small
// machine and the scenario measures reading pages, not writing rows. Tern: its RocksDB device
// databases, with the cluster stopped (one process may own a RocksDB); Swift: its SQLite
// databases through Swift's own ContainerBroker (bench/swift-fill-listing.py).
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
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

/**
 * Merges rows 0..rows-1 into the container's database on each of its ring nodes (Tern
 * stopped), one process per replica so that they fill side by side.
 */
export async function fillTernListing(home: string, portBase: number, proxyPort: number, container: string, rows: number): Promise<number> {
  const layout = makeLayout({ home, portBase, proxyPort })
  const secrets = readHashPathSecrets(layout.swiftConfPath)
  const ring = Ring.load(join(layout.etcDir, 'container.ring.gz'), { secrets })
  const { nodes } = ring.getNodes(LISTING_ACCOUNT, container)
  const dbId = hashPathDigest(secrets, LISTING_ACCOUNT, container)
  const script = fileURLToPath(new URL('../listing-fill-replica.ts', import.meta.url))
  const fills = nodes.map((ringNode) => {
    const node = layout.nodes.find((n) => n.ports.container === ringNode.port)
    if (!node) throw new Error(`no all-in-one node serves containers on port ${ringNode.port}`)
    const db = join(node.devicesDir, ringNode.device, 'containers.db')
    return new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import=tsx', script, db, dbId.toString('hex'), String(rows)], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.on('error', reject)
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`filling ${node.name} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`))))
    })
  })
  await Promise.all(fills)
  return fills.length
}

/** Rows 0..rows-1 merged into one replica's broker, a batch at a time. */
export function fillReplica(broker: ContainerBroker, rows: number): void {
  if (!broker.getInfo()) throw new Error('the listing container is missing (create it through the API first)')
  for (let start = 0; start < rows; start += BATCH) broker.mergeItems(listingItems(start, Math.min(rows, start + BATCH)))
}

/** The same rows in the peer's SQLite databases, through Swift's ContainerBroker. */
export function fillSwiftListing(peerRoot: string, container: string, rows: number): void {
  const script = fileURLToPath(new URL('../swift-fill-listing.py', import.meta.url))
  const r = spawnSync('/usr/bin/python3', [script, peerRoot, LISTING_ACCOUNT, container, String(rows)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`filling the Swift listing container failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
}
