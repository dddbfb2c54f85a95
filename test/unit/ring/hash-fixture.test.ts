// Hashes and partitions computed once by Swift 2.30 (test/fixtures/ring/make-hash-fixture.py)
// must come out of Tern's hash path and Ring.getPart unchanged, non-ASCII names included.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { hashPath } from '../../../common/hash-path.ts'
import { Ring } from '../../../ring/ring.ts'
import type { RingData } from '../../../ring/types.ts'

interface FixtureCase {
  prefix: string
  suffix: string
  path: [string, string?, string?]
  hash: string
  partitions: Record<string, number>
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/ring/hash-paths.json', import.meta.url), 'utf8')) as {
  cases: FixtureCase[]
}

function oneDeviceRing(partPower: number, secrets: { prefix: string; suffix: string }): Ring {
  const data: RingData = {
    devs: [{ id: 0, region: 1, zone: 1, ip: '127.0.0.1', port: 6200, replication_ip: '127.0.0.1', replication_port: 6200, device: 'sda', weight: 1, meta: '' }],
    replica2part2dev: [new Uint16Array(2 ** partPower)],
    partShift: 32 - partPower,
  }
  return Ring.fromData(data, { secrets })
}

t.ok(fixture.cases.length >= 30, 'fixture has cases')

t.test('hash_path hex digests match Swift', async (t) => {
  for (const c of fixture.cases) {
    t.equal(hashPath({ prefix: c.prefix, suffix: c.suffix }, ...c.path), c.hash, c.path.join('/').slice(0, 60))
  }
})

t.test('partitions match Swift Ring.get_part for each part power', async (t) => {
  const rings = new Map<string, Ring>()
  for (const c of fixture.cases) {
    for (const [pp, expected] of Object.entries(c.partitions)) {
      const key = `${c.prefix}\0${c.suffix}\0${pp}`
      let ring = rings.get(key)
      if (!ring) {
        ring = oneDeviceRing(Number(pp), c)
        rings.set(key, ring)
      }
      t.equal(ring.getPart(...c.path), expected, `${c.path.join('/').slice(0, 60)} @ part power ${pp}`)
    }
  }
})
