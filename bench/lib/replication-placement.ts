// Where a replication bench's objects are on the disks of a 4-node cluster, for Tern and Swift
// alike (both keep objects/<partition>/<suffix>/<hash>/<timestamp>.data): how many the
// returning node still misses, and how many copies sit on a node that is not a primary.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { hashPath } from '../../common/hash-path.ts'
import type { HashPathSecrets } from '../../common/hash-path.ts'
import type { Ring } from '../../ring/ring.ts'

export interface ClusterDisk {
  readonly secrets: HashPathSecrets
  /** Each node's device folder, by its object server port. */
  readonly devices: readonly { port: number; path: string }[]
}

async function hasData(dir: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [] as string[])).some((f) => f.endsWith('.data'))
}

export async function countPlacement(disk: ClusterDisk, ring: Ring, account: string, container: string, names: readonly string[], returningPort: number): Promise<{ missing: number; handoffCopies: number }> {
  let missing = 0
  let handoffCopies = 0
  let next = 0
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!
      const { partition, nodes } = ring.getNodes(account, container, name)
      const hash = hashPath(disk.secrets, account, container, name)
      for (const dev of disk.devices) {
        const dir = join(dev.path, 'objects', String(partition), hash.slice(-3), hash)
        const primary = nodes.some((n) => n.port === dev.port)
        const present = await hasData(dir)
        if (dev.port === returningPort && primary && !present) missing++
        if (!primary && present) handoffCopies++
      }
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  return { missing, handoffCopies }
}
