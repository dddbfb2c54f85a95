// Hand-made ring data for ring tests: a few regions, zones, servers and devices, with a
// deterministic (seeded) partition assignment. Not balanced like a builder's output, which
// is the point: lookups must match Swift's for any assignment, duplicates included.
import type { RingData, RingDevice } from '../../ring/types.ts'

export interface TestRingOptions {
  partPower: number
  /** May be fractional: the last replica then covers only the first partitions. */
  replicas: number
  seed?: number
  regions?: number
  zonesPerRegion?: number
  serversPerZone?: number
  devicesPerServer?: number
}

/** A small linear congruential generator, so test rings are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

export function makeTestRingData(options: TestRingOptions): RingData {
  const random = seededRandom(options.seed ?? 1)
  const devs: (RingDevice | null)[] = []
  const assignable: number[] = []
  for (let r = 1; r <= (options.regions ?? 3); r++) {
    for (let z = 1; z <= (options.zonesPerRegion ?? 2); z++) {
      for (let s = 1; s <= (options.serversPerZone ?? 2); s++) {
        for (let d = 1; d <= (options.devicesPerServer ?? 2); d++) {
          const id = devs.length
          const ip = `10.${r}.${z}.${s}`
          // Each second device listens on another port of the same ip: still one server for Swift.
          const port = 6200 + (d % 2) * 10
          devs.push({
            id, region: r, zone: z, ip, port, replication_ip: `192.168.${r}.${z * 10 + s}`, replication_port: port + 1000,
            device: `sd${String.fromCharCode(97 + d)}`, weight: 100 * d, meta: d === 1 ? '' : `disk ${id} – ünïcode`,
          })
          assignable.push(id)
        }
      }
    }
  }
  // A removed device leaves a hole; a device without weight holds no partitions.
  devs.push(null)
  devs.push({ id: devs.length, region: 1, zone: 1, ip: '10.1.1.9', port: 6200, replication_ip: '10.1.1.9', replication_port: 6200, device: 'sdz', weight: 0, meta: 'empty' })
  const parts = 2 ** options.partPower
  const whole = Math.floor(options.replicas)
  const lengths: number[] = Array.from({ length: whole }, () => parts)
  const fraction = options.replicas - whole
  if (fraction > 0) lengths.push(Math.floor(parts * fraction))
  const replica2part2dev = lengths.map((len) => {
    const a = new Uint16Array(len)
    for (let p = 0; p < len; p++) a[p] = assignable[Math.floor(random() * assignable.length)] as number
    return a
  })
  return { devs, replica2part2dev, partShift: 32 - options.partPower, version: 3 }
}

/** Deterministic paths for lookups, with non-ASCII names and slashes in object names. */
export function makeTestPaths(count: number, seed = 7): [string, string?, string?][] {
  const random = seededRandom(seed)
  const words = ['a', 'photos', 'café', '中文', '😀', 'x/y', 'résumé.pdf', 'dir/sub/file', ' sp ace ', '%41']
  const pick = () => words[Math.floor(random() * words.length)] as string
  const paths: [string, string?, string?][] = []
  for (let i = 0; i < count; i++) {
    const account = `AUTH_${pick()}${i % 17}`
    const kind = i % 3
    if (kind === 0) paths.push([account])
    else if (kind === 1) paths.push([account, `${pick()}-${i}`])
    else paths.push([account, `c${i % 11}`, `${pick()}/${i}/${pick()}`])
  }
  return paths
}
