// Ring lookups beyond what the Swift interop test compares: reloading, deduplication,
// fractional replicas, handoff invariants.
import t from 'tap'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeRingFileSync } from '../../../ring/io.ts'
import { Ring, DEFAULT_RELOAD_TIME } from '../../../ring/ring.ts'
import type { RingData, RingDevice } from '../../../ring/types.ts'
import { makeTestRingData } from '../../helpers/test-ring.ts'

const secrets = { prefix: '', suffix: 'changeme' }

function dev(id: number, region: number, zone: number, ip: string): RingDevice {
  return { id, region, zone, ip, port: 6200, replication_ip: ip, replication_port: 6200, device: `d${id}`, weight: 1, meta: '' }
}

t.test('reloads a changed file only after reloadTime has passed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tern-ring-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'object.ring.gz')
  const first = makeTestRingData({ partPower: 4, replicas: 3, seed: 1 })
  const second = makeTestRingData({ partPower: 5, replicas: 2, seed: 2 })
  writeRingFileSync(path, first)
  utimesSync(path, 1000, 1000)
  let now = 1_000_000
  const ring = Ring.load(path, { secrets, reloadTime: 15, now: () => now })
  t.equal(ring.reloadTime, 15)
  t.equal(DEFAULT_RELOAD_TIME, 15, "Swift's default")
  t.equal(ring.partPower, 4)

  writeRingFileSync(path, second)
  utimesSync(path, 2000, 2000)
  now += 15_000
  ring.getNodes('a')
  t.equal(ring.partPower, 4, 'not before reloadTime has passed')
  now += 1
  ring.getNodes('a')
  t.equal(ring.partPower, 5, 'reloaded once the mtime changed and the interval passed')
  t.equal(ring.replicaCount, 2)
  t.same(ring.getPartNodes(3).map((n) => n.id), [...new Set(second.replica2part2dev.map((a) => a[3]))])

  // Same mtime: no reload even if the bytes changed (Swift compares mtimes only).
  writeRingFileSync(path, first)
  utimesSync(path, 2000, 2000)
  now += 60_000
  t.equal(ring.getPart('a', 'c', 'o') >> 5, 0, 'partition within the loaded ring')
  t.equal(ring.partPower, 5, 'unchanged mtime means no reload')
  t.notOk(ring.hasChanged())

  // A damaged new file: lookups keep using the loaded ring, and the error is kept for reporting.
  writeFileSync(path, 'garbage')
  utimesSync(path, 3000, 3000)
  now += 60_000
  t.equal(ring.getPartNodes(3).length > 0, true)
  t.equal(ring.partPower, 5, 'previous ring still in use')
  t.equal(ring.lastReloadError && (ring.lastReloadError as Error & { code?: string }).code, 'ERR_RING_FORMAT')
  writeRingFileSync(path, first)
  utimesSync(path, 4000, 4000)
  now += 60_000
  ring.getPart('a')
  t.equal(ring.partPower, 4, 'the repaired file is loaded at the next check')
  t.equal(ring.lastReloadError, undefined)
  t.throws(() => Ring.load(join(dir, 'missing.ring.gz'), { secrets }), { code: 'ENOENT' }, 'the first load does throw')
})

t.test('primaries are deduplicated and indexed; fractional replicas', async (t) => {
  const devs = [dev(0, 1, 1, 'a'), dev(1, 1, 2, 'b'), dev(2, 2, 1, 'c')]
  const data: RingData = {
    devs,
    replica2part2dev: [Uint16Array.from([0, 1, 2, 0]), Uint16Array.from([0, 2, 1, 1]), Uint16Array.from([2, 0])],
    partShift: 30,
  }
  const ring = Ring.fromData(data, { secrets })
  t.equal(ring.replicaCount, 2.5)
  t.equal(ring.partitionCount, 4)
  t.equal(ring.partPower, 2)
  t.same(ring.getPartNodes(0).map((n) => [n.id, n.index]), [[0, 0], [2, 1]], 'device 0 holds two replicas: listed once')
  t.same(ring.getPartNodes(1).map((n) => [n.id, n.index]), [[1, 0], [2, 1], [0, 2]])
  t.same(ring.getPartNodes(3).map((n) => n.id), [0, 1], 'no third replica past the short table')
  t.match(ring.getPartNodes(1)[0], { ip: 'b', device: 'd1', index: 0 })
})

t.test('empty container and object names hash as absent ones (Swift tests truthiness)', async (t) => {
  const ring = Ring.fromData(makeTestRingData({ partPower: 16, replicas: 3 }), { secrets })
  t.equal(ring.getPart('AUTH_a', ''), ring.getPart('AUTH_a'))
  t.equal(ring.getPart('AUTH_a', 'c', ''), ring.getPart('AUTH_a', 'c'))
  t.throws(() => ring.getPart('AUTH_a', undefined, 'o'), { code: 'ERR_HASH_PATH' })
})

t.test('handoffs: never a primary, never twice, every assigned device eventually', async (t) => {
  const data = makeTestRingData({ partPower: 7, replicas: 3, seed: 9 })
  const ring = Ring.fromData(data, { secrets })
  const assigned = new Set<number>()
  for (const a of data.replica2part2dev) for (const id of a) assigned.add(id)
  for (let part = 0; part < ring.partitionCount; part += 5) {
    const primaries = ring.getPartNodes(part).map((n) => n.id)
    const handoffs = [...ring.getMoreNodes(part)]
    const ids = handoffs.map((h) => h.id)
    t.same(handoffs.map((h) => h.handoff_index), ids.map((_, i) => i), `part ${part}: handoff_index counts up`)
    t.equal(new Set([...primaries, ...ids]).size, primaries.length + ids.length, `part ${part}: all distinct`)
    t.equal(primaries.length + ids.length, assigned.size, `part ${part}: covers every assigned device`)
    t.notOk(ids.includes(data.devs.length - 1), 'the device without partitions is never a handoff')
  }
  // The first handoff comes from a region the primaries do not use, when one exists.
  const part = 17
  const regions = new Set(ring.getPartNodes(part).map((n) => n.region))
  const first = ring.getMoreNodes(part).next().value
  if (regions.size < 3) t.notOk(first && regions.has(first.region), 'first handoff is in a new region')
  else t.ok(first, 'a handoff exists')
})

t.test('part power 0: everything is partition 0', async (t) => {
  const ring = Ring.fromData(makeTestRingData({ partPower: 0, replicas: 2 }), { secrets })
  t.equal(ring.getPart('AUTH_x', 'y', 'z'), 0)
  t.equal(ring.partitionCount, 1)
  // Handoffs come from the partition tables: with one partition every assigned device is primary.
  t.same([...ring.getMoreNodes(0)], [], 'no handoffs')
})
