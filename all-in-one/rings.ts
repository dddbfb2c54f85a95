// The all-in-one's three rings, built once like Swift's SAIO remakerings: part power 10,
// 3 replicas, min_part_hours 1, one device per storage node, each node its own zone. The
// builder files are kept beside the rings so `ring-builder` can grow the cluster later.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { RingBuilder } from '../ring/builder.ts'
import { saveBuilder } from '../ring/builder-file.ts'
import { writeRingFileSync } from '../ring/io.ts'
import type { Layout, ServerType } from './layout.ts'
import { PART_POWER, REPLICAS, SERVER_TYPES, STORAGE_IP } from './layout.ts'

export function ringPath(layout: Layout, type: ServerType): string {
  return join(layout.etcDir, `${type}.ring.gz`)
}

export function builderPath(layout: Layout, type: ServerType): string {
  return join(layout.etcDir, `${type}.builder`)
}

/** Builds the rings that do not exist yet; returns the types it built. */
export function ensureRings(layout: Layout): ServerType[] {
  const built: ServerType[] = []
  for (const type of SERVER_TYPES) {
    if (existsSync(ringPath(layout, type))) continue
    const builder = new RingBuilder(PART_POWER, REPLICAS, 1)
    for (const node of layout.nodes) {
      builder.addDev({
        region: 1,
        zone: node.index,
        ip: STORAGE_IP,
        port: node.ports[type],
        replication_ip: STORAGE_IP,
        replication_port: node.ports[type],
        device: node.device,
        meta: '',
        weight: 1,
      })
    }
    builder.rebalance()
    saveBuilder(builder, builderPath(layout, type))
    writeRingFileSync(ringPath(layout, type), builder.getRing())
    built.push(type)
  }
  return built
}
