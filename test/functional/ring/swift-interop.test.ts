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
import { requirePython, SYSTEM_PYTHON } from '../../helpers/require-tool.ts'
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

/** Runs all jobs in one Swift interpreter (importing swift dominates the cost). */
function askSwift(cwd: string, jobs: Record<string, unknown>[]): unknown[] {
  const r = spawnSync(SYSTEM_PYTHON, [ORACLE], { cwd, input: JSON.stringify(jobs), maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`swift-ring-oracle failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as unknown[]
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tern-ring-interop-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const paths = makeTestPaths(2000)

function lookupJob(ringPath: string, partPower: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const allParts = Array.from({ length: 64 }, (_, i) => (i * 7919) % 2 ** partPower)
  return { ring: ringPath, ...SECRETS, paths, handoffs: HANDOFFS, all_handoff_parts: allParts, sample_path: paths[2], ...extra }
}

/** Compares Tern's lookups on `ringPath` with Swift's answer to lookupJob(ringPath). */
function compareLookups(t: Test, ringPath: string, swift: OracleAnswer, job: Record<string, unknown>): void {
  const ring = Ring.load(ringPath, { secrets: SECRETS })
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

  const allParts = job.all_handoff_parts as number[]
  const allHandoffs = allParts.map((p) => [...ring.getMoreNodes(p)].map((h) => [h.id, h.handoff_index]))
  t.same(allHandoffs, swift.all_handoffs, 'complete handoff sequences of 64 partitions')

  const sample = ring.getNodes(...(paths[2] as [string]))
  const sampleHandoffs = [...ring.getMoreNodes(sample.partition)].slice(0, 3)
  t.same({ partition: sample.partition, nodes: sample.nodes, handoffs: sampleHandoffs }, swift.sample, 'full node records')
}

t.test('Tern rings read by Swift and swift-ring-builder rings read by Tern', async (t) => {
  if (!requirePython(t, 'swift', 'python3-swift')) return
  const dir = tempDir(t)
  const jobs: Record<string, unknown>[] = []
  const checks: ((answers: unknown[]) => Promise<void>)[] = []

  // Rings written by Tern, each re-saved by Swift as well.
  for (const [name, options] of [
    ['3 replicas', { partPower: 8, replicas: 3, seed: 11 }],
    ['fractional 2.5 replicas', { partPower: 6, replicas: 2.5, seed: 5, regions: 2 }],
    ['4 replicas, one region', { partPower: 10, replicas: 4, seed: 3, regions: 1, zonesPerRegion: 3 }],
  ] as const) {
    const data: RingData = makeTestRingData(options)
    const ringPath = join(dir, `${name.replace(/\W+/g, '-')}.ring.gz`)
    await writeRingFile(ringPath, data)
    const resaved = `${ringPath}.resaved.ring.gz`
    const job = lookupJob(ringPath, options.partPower, { resave: resaved })
    const at = jobs.push(job) - 1
    checks.push(async (answers) => {
      await t.test(`Tern ring, ${name}: Swift's Ring agrees`, async (t) => {
        compareLookups(t, ringPath, answers[at] as OracleAnswer, job)
        // Swift re-saving Tern's ring writes exactly the payload Tern wrote.
        t.ok(gunzipSync(readFileSync(resaved)).equals(serializeRing(data)), 'payload byte-identical after a Swift round trip')
      })
    })
  }

  // A ring made by swift-ring-builder (create, add, rebalance), then read by Tern.
  const builder = join(dir, 'object.builder')
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
  const builderJobs = [['create', '10', '3', '1'], ['add', ...devices], ['rebalance']]
  const firstBuilderJob = jobs.length
  for (const args of builderJobs) jobs.push({ builder: [builder, ...args] })
  const builderRing = join(dir, 'object.ring.gz')
  const builderJob = lookupJob(builderRing, 10)
  const at = jobs.push(builderJob) - 1
  checks.push(async (answers) => {
    await t.test('swift-ring-builder ring: Tern agrees', async (t) => {
      builderJobs.forEach((args, i) => {
        // rebalance exits 1 on warnings (e.g. balance) but still writes the ring.
        t.ok((answers[firstBuilderJob + i] as { status: number }).status <= 1, `swift-ring-builder ${args[0]}`)
      })
      const swift = answers[at] as OracleAnswer
      compareLookups(t, builderRing, swift, builderJob)
      t.equal(swift.devs.length, devices.length / 2, 'all devices in the ring')
    })
  })

  const answers = askSwift(dir, jobs)
  for (const check of checks) await check(answers)
})
