// Interop with Swift 2.30 (Debian python3-swift): a ring written by Tern is read by Swift's
// Ring class, a ring written by swift-ring-builder is read by Tern, and both sides give the
// same partitions, primaries and handoff order for thousands of paths.
import t from 'tap'
import type { Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { requireCommand, requirePython, SYSTEM_PYTHON } from '../../helpers/require-tool.ts'
import { makeTestPaths, makeTestRingData } from '../../helpers/test-ring.ts'
import { serializeRing, writeRingFile } from '../../../ring/io.ts'
import { Ring } from '../../../ring/ring.ts'
import type { RingData } from '../../../ring/types.ts'

const ORACLE = new URL('./swift-ring-oracle.py', import.meta.url).pathname
const SECRETS = { prefix: 'interop-prefix', suffix: 'interop-süffix' }
const HANDOFFS = 8

interface OracleAnswer {
  part_power: number
  replica_count: number
  partition_count: number
  devs: unknown[]
  paths: { partition: number; nodes: [number, number][]; handoffs: [number, number][] }[]
  all_handoffs: [number, number][][]
  sample?: { partition: number; nodes: unknown[]; handoffs: unknown[] }
}

function askSwift(cwd: string, request: Record<string, unknown>): OracleAnswer {
  const r = spawnSync(SYSTEM_PYTHON, [ORACLE], {
    cwd,
    input: JSON.stringify({ prefix: SECRETS.prefix, suffix: SECRETS.suffix, ...request }),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`swift-ring-oracle failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as OracleAnswer
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tern-ring-interop-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Compares Tern's lookups on `ringPath` with Swift's, path by path. */
function compareLookups(t: Test, dir: string, ringPath: string, extra: Record<string, unknown> = {}): OracleAnswer {
  const paths = makeTestPaths(2000)
  const ring = Ring.load(ringPath, { secrets: SECRETS })
  const allParts = Array.from({ length: 64 }, (_, i) => (i * 7919) % ring.partitionCount)
  const swift = askSwift(dir, { ring: ringPath, paths, handoffs: HANDOFFS, all_handoff_parts: allParts, sample_path: paths[2], ...extra })
  t.equal(ring.partPower, swift.part_power, 'part power')
  t.equal(ring.replicaCount, swift.replica_count, 'replica count')
  t.equal(ring.partitionCount, swift.partition_count, 'partition count')
  t.same(ring.devices, swift.devs, 'devices')

  let mismatches = 0
  let handoffsSeen = 0
  paths.forEach((path, i) => {
    const expected = swift.paths[i]
    const { partition, nodes } = ring.getNodes(...path)
    const handoffs: [number, number][] = []
    for (const h of ring.getMoreNodes(partition)) {
      if (handoffs.length === HANDOFFS) break
      handoffs.push([h.id, h.handoff_index])
    }
    handoffsSeen += handoffs.length
    const got = { partition, nodes: nodes.map((n) => [n.id, n.index]), handoffs }
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      if (mismatches++ < 3) t.same(got, expected, `lookup of ${path.join('/')}`)
    }
  })
  t.equal(mismatches, 0, `all ${paths.length} lookups match Swift (${handoffsSeen} handoffs compared)`)
  t.ok(handoffsSeen > paths.length, 'handoffs were compared')

  const allHandoffs = allParts.map((p) => [...ring.getMoreNodes(p)].map((h) => [h.id, h.handoff_index]))
  t.same(allHandoffs, swift.all_handoffs, 'complete handoff sequences of 64 partitions')

  const sample = ring.getNodes(...(paths[2] as [string]))
  const sampleHandoffs = [...ring.getMoreNodes(sample.partition)].slice(0, 3)
  t.same({ partition: sample.partition, nodes: sample.nodes, handoffs: sampleHandoffs }, swift.sample, 'full node records')
  return swift
}

t.test('a ring written by Tern is read by Swift identically', async (t) => {
  if (!requirePython(t, 'swift', 'python3-swift')) return
  for (const [name, options] of [
    ['3 replicas', { partPower: 8, replicas: 3, seed: 11 }],
    ['fractional 2.5 replicas', { partPower: 6, replicas: 2.5, seed: 5, regions: 2 }],
    ['4 replicas, one region', { partPower: 10, replicas: 4, seed: 3, regions: 1, zonesPerRegion: 3 }],
  ] as const) {
    await t.test(name, async (t) => {
      const dir = tempDir(t)
      const data: RingData = makeTestRingData(options)
      const ringPath = join(dir, 'object.ring.gz')
      await writeRingFile(ringPath, data)
      const resaved = join(dir, 'resaved.ring.gz')
      compareLookups(t, dir, ringPath, { resave: resaved })
      // Swift re-saving Tern's ring writes exactly the payload Tern wrote.
      t.ok(gunzipSync(readFileSync(resaved)).equals(serializeRing(data)), 'payload byte-identical after a Swift round trip')
    })
  }
})

t.test('a ring written by swift-ring-builder is read by Tern identically', async (t) => {
  if (!requireCommand(t, '/usr/bin/swift-ring-builder', 'swift')) return
  if (!requirePython(t, 'swift', 'python3-swift')) return
  const dir = tempDir(t)
  const builder = join(dir, 'object.builder')
  const run = (...args: string[]) => {
    const r = spawnSync('/usr/bin/swift-ring-builder', [builder, ...args], { cwd: dir, encoding: 'utf8' })
    // rebalance exits 1 on warnings (e.g. imbalance) but still writes the ring.
    if (r.status !== 0 && !(args[0] === 'rebalance' && r.status === 1)) {
      throw new Error(`swift-ring-builder ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    }
  }
  run('create', '10', '3', '1')
  const devices: string[] = []
  for (const [region, zones] of [[1, 3], [2, 2]] as const) {
    for (let z = 1; z <= zones; z++) {
      for (let s = 1; s <= 2; s++) {
        for (const dev of ['sdb', 'sdc']) {
          devices.push(`r${region}z${z}-10.${region}.${z}.${s}:6200R10.9${region}.${z}.${s}:6300/${dev}_"meta ${dev}"`, String(region === 1 ? 100 : 150))
        }
      }
    }
  }
  run('add', ...devices)
  run('rebalance')
  const swift = compareLookups(t, dir, join(dir, 'object.ring.gz'))
  t.equal(swift.devs.length, devices.length / 2, 'all devices in the ring')
})
