// Properties of RingBuilder.rebalance: balance, weights, dispersion over zones, minimal
// movement, min_part_hours, device removal, reproducibility. Expected figures are computed
// here from the builder's inputs (weights, part counts), never copied from a run.
import t from 'tap'
import { NONE_DEV, RingBuilder } from '../../../ring/builder.ts'

interface Layout { regions?: number; zones: number; servers: number; devices: number; weight?: (i: number) => number }

function makeBuilder(partPower: number, replicas: number, minPartHours: number, layout: Layout): RingBuilder {
  const b = new RingBuilder(partPower, replicas, minPartHours)
  let i = 0
  for (let r = 1; r <= (layout.regions ?? 1); r++) {
    for (let z = 1; z <= layout.zones; z++) {
      for (let s = 1; s <= layout.servers; s++) {
        for (let d = 1; d <= layout.devices; d++) {
          const ip = `10.${r}.${z}.${s}`
          b.addDev({ region: r, zone: z, ip, port: 6200, replication_ip: ip, replication_port: 6200, device: `sd${d}`, meta: '', weight: layout.weight ? layout.weight(i) : 100 })
          i++
        }
      }
    }
  }
  return b
}

function partsPerDev(b: RingBuilder): Map<number, number> {
  const count = new Map<number, number>()
  for (const a of b.replica2part2dev ?? []) for (const dev of a) count.set(dev, (count.get(dev) ?? 0) + 1)
  return count
}

function snapshot(b: RingBuilder): Uint16Array[] {
  return (b.replica2part2dev ?? []).map((a) => a.slice())
}

t.test('equal weights balance within 1%', async (t) => {
  const b = makeBuilder(14, 3, 1, { zones: 4, servers: 2, devices: 2 })
  const res = b.rebalance('equal')
  t.equal(res.changedParts, 3 * 2 ** 14, 'every slot assigned on the first rebalance')
  b.validate()
  const fair = (3 * 2 ** 14) / 16
  const counts = partsPerDev(b)
  t.equal(counts.size, 16)
  for (const [dev, n] of counts) t.ok(Math.abs(n - fair) / fair < 0.01, `dev ${dev}: ${n} parts vs fair ${fair}`)
  t.ok(res.balance < 1, `balance ${res.balance}`)
  t.equal(b.dispersion, 0)
})

t.test('weights respected', async (t) => {
  // Each zone holds the same mix of weights, so weight, not dispersion, decides.
  const weights = [100, 200, 300]
  const b = makeBuilder(14, 3, 1, { zones: 4, servers: 1, devices: 3, weight: (i) => weights[i % 3] as number })
  const res = b.rebalance('weights')
  b.validate()
  const total = 4 * (100 + 200 + 300)
  const counts = partsPerDev(b)
  for (const dev of b.iterDevs()) {
    const want = (3 * 2 ** 14 * dev.weight) / total
    const have = counts.get(dev.id) ?? 0
    t.ok(Math.abs(have - want) / want < 0.01, `dev ${dev.id} weight ${dev.weight}: ${have} vs ${want.toFixed(1)}`)
    t.equal(dev.parts, have, 'device part count bookkeeping matches the assignment')
  }
  t.ok(res.balance < 1)
})

t.test('no two replicas of a partition in one zone while zones >= replicas', async (t) => {
  // Unequal zones: weights win over dispersion unless the overload lets a zone take more
  // than its weight's share (3 zones of 460/470/480: the heaviest zone's share of 3 replicas
  // is 1.02, so 5% overload is enough), as in Swift.
  const cases = [
    { zones: 3, weight: (i: number) => 100 + (i % 5) * 10, overload: 0.05 },
    { zones: 5, weight: (i: number) => (i % 2 ? 100 : 150), overload: 0 },
    { zones: 4, weight: (i: number) => 100 + (i % 7) * 20, overload: 0 },
  ]
  for (const { zones, weight, overload } of cases) {
    const b = makeBuilder(12, 3, 1, { zones, servers: 2, devices: 2, weight })
    b.setOverload(overload)
    b.rebalance('zones')
    t.equal(b.dispersion, 0, `${zones} zones: dispersion`)
    const r2p2d = b.replica2part2dev as Uint16Array[]
    let shared = 0
    for (let part = 0; part < b.parts; part++) {
      const zs = new Set(r2p2d.map((a) => b.devs[a[part] as number]?.zone))
      if (zs.size !== 3) shared++
    }
    t.equal(shared, 0, `${zones} zones: partitions with two replicas in one zone`)
  }
})

t.test('adding one device moves about its fair share and no more', async (t) => {
  const b = makeBuilder(13, 3, 1, { zones: 4, servers: 1, devices: 3 })
  b.rebalance('add-1')
  const before = snapshot(b)
  b.pretendMinPartHoursPassed()
  const id = b.addDev({ region: 1, zone: 2, ip: '10.1.2.9', port: 6200, replication_ip: '10.1.2.9', replication_port: 6200, device: 'new', meta: '', weight: 100 })
  const res = b.rebalance('add-2')
  b.validate()
  const fair = (3 * b.parts) / 13
  const got = partsPerDev(b).get(id) ?? 0
  t.ok(Math.abs(got - fair) / fair < 0.01, `new device holds ${got}, fair share ${fair.toFixed(1)}`)
  let moved = 0
  const after = b.replica2part2dev as Uint16Array[]
  for (let r = 0; r < 3; r++) for (let p = 0; p < b.parts; p++) if (before[r]?.[p] !== after[r]?.[p]) moved++
  t.equal(res.changedParts, moved, 'changedParts counts moved replica slots')
  t.ok(moved <= fair * 1.05, `moved ${moved} replicas for a fair share of ${fair.toFixed(1)}`)
  t.ok(res.balance < 1, `balance ${res.balance}`)
})

t.test('min_part_hours: one replica per partition moves, then the moved partitions stay', async (t) => {
  const b = makeBuilder(12, 3, 24, { zones: 4, servers: 1, devices: 2 })
  b.rebalance('mph-1')
  const first = snapshot(b)
  // Right after the first rebalance every partition has just moved: nothing may move now.
  b.addDev({ region: 1, zone: 1, ip: '10.1.1.9', port: 6200, replication_ip: '10.1.1.9', replication_port: 6200, device: 'x', meta: '', weight: 300 })
  t.equal(b.rebalance('mph-2').changedParts, 0, 'nothing moves within min_part_hours')
  b.pretendMinPartHoursPassed()
  b.rebalance('mph-3')
  const second = snapshot(b)
  const movedParts = new Set<number>()
  for (let p = 0; p < b.parts; p++) {
    let changed = 0
    for (let r = 0; r < 3; r++) if (first[r]?.[p] !== second[r]?.[p]) changed++
    t.ok(changed <= 1, `partition ${p}: ${changed} replicas moved`) || t.bailout()
    if (changed) movedParts.add(p)
  }
  t.ok(movedParts.size > 0, 'the heavy new device took partitions')
  b.addDev({ region: 1, zone: 3, ip: '10.1.3.9', port: 6200, replication_ip: '10.1.3.9', replication_port: 6200, device: 'y', meta: '', weight: 300 })
  b.rebalance('mph-4')
  const third = snapshot(b)
  let again = 0
  for (const p of movedParts) for (let r = 0; r < 3; r++) if (second[r]?.[p] !== third[r]?.[p]) again++
  t.equal(again, 0, 'partitions moved in the last rebalance did not move again')
  t.ok(b.minPartSecondsLeft > 0)
})

t.test('removing a device reassigns all its partitions, even within min_part_hours', async (t) => {
  const b = makeBuilder(12, 3, 24, { zones: 4, servers: 2, devices: 1 })
  b.rebalance('rm-1')
  const victim = 5
  const had = partsPerDev(b).get(victim) ?? 0
  t.ok(had > 0)
  b.removeDev(victim)
  const res = b.rebalance('rm-2')
  t.equal(res.removedDevices, 1)
  t.equal(b.devs[victim], null, 'the device is gone')
  t.equal(partsPerDev(b).get(victim), undefined, 'no replica points at it')
  t.equal(res.changedParts, had, 'exactly its replicas moved')
  b.validate()
  t.equal(b.getRing().devs[victim], null, 'the ring keeps a hole for its id')
})

t.test('a zero-weight device drains once min_part_hours allow', async (t) => {
  const b = makeBuilder(11, 3, 1, { zones: 4, servers: 1, devices: 2 })
  b.rebalance('drain-1')
  b.setDevWeight(0, 0)
  b.pretendMinPartHoursPassed()
  b.rebalance('drain-2')
  t.equal(partsPerDev(b).get(0), undefined)
  t.equal(b.devs[0]?.parts, 0)
  t.ok(b.devs[0], 'still in the builder until removed')
})

t.test('the same seed gives the same ring', async (t) => {
  const a = makeBuilder(11, 3, 1, { zones: 3, servers: 2, devices: 2, weight: (i) => 50 + i })
  const b = makeBuilder(11, 3, 1, { zones: 3, servers: 2, devices: 2, weight: (i) => 50 + i })
  a.rebalance(42)
  b.rebalance(42)
  t.same(snapshot(a).map((x) => Buffer.from(x.buffer).toString('base64')), snapshot(b).map((x) => Buffer.from(x.buffer).toString('base64')))
})

t.test('fractional replicas and replica count changes', async (t) => {
  const b = makeBuilder(10, 3, 1, { zones: 4, servers: 1, devices: 2 })
  b.rebalance('frac-1')
  b.setReplicas(2.5)
  b.pretendMinPartHoursPassed()
  b.rebalance('frac-2')
  const r2p2d = b.replica2part2dev as Uint16Array[]
  t.same(r2p2d.map((a) => a.length), [1024, 1024, 512])
  t.notOk(r2p2d.some((a) => a.includes(NONE_DEV)), 'every slot assigned')
  b.validate()
  t.ok(b.getBalance() < 1, `balance ${b.getBalance()}`)
  b.setReplicas(4)
  b.pretendMinPartHoursPassed()
  b.rebalance('frac-3')
  t.same((b.replica2part2dev as Uint16Array[]).map((a) => a.length), [1024, 1024, 1024, 1024])
  b.validate()
})

t.test('regions are spread before zones', async (t) => {
  const b = makeBuilder(10, 3, 1, { regions: 3, zones: 2, servers: 2, devices: 1 })
  b.rebalance('regions')
  const r2p2d = b.replica2part2dev as Uint16Array[]
  for (let p = 0; p < b.parts; p++) {
    const regions = new Set(r2p2d.map((a) => b.devs[a[p] as number]?.region))
    if (regions.size !== 3) t.fail(`partition ${p} has replicas in ${regions.size} regions`)
  }
  t.equal(b.dispersion, 0)
})

t.test('without overload, a zone heavier than 1/replicas of the weight takes two replicas of some partitions', async (t) => {
  const b = makeBuilder(12, 3, 1, { zones: 3, servers: 2, devices: 2, weight: (i) => 100 + (i % 5) * 10 })
  b.rebalance('no-overload')
  t.ok((b.dispersion ?? 0) > 0, `dispersion ${b.dispersion}`)
  t.ok(b.getBalance() < 1, 'balance is kept instead')
})

t.test('errors', async (t) => {
  t.throws(() => new RingBuilder(0, 3, 1), { code: 'EINVALIDVALUE' })
  t.throws(() => new RingBuilder(33, 3, 1), { code: 'EINVALIDVALUE' })
  t.throws(() => new RingBuilder(8, 0.5, 1), { code: 'EINVALIDVALUE' })
  t.throws(() => new RingBuilder(8, 3, -1), { code: 'EINVALIDVALUE' })
  const b = makeBuilder(8, 3, 1, { zones: 2, servers: 1, devices: 1 })
  t.throws(() => b.rebalance(), { code: 'EVALIDATION' }, 'fewer devices than replicas')
  t.throws(() => b.addDev({ region: 1, zone: 1, ip: '10.1.1.1', port: 6200, replication_ip: '10.1.1.1', replication_port: 6200, device: 'sd1', meta: '', weight: 1 }), { code: 'EDUPLICATEDEV' })
  t.throws(() => b.setDevWeight(0, -1), { code: 'EINVALIDVALUE' })
  t.throws(() => b.validate(), { code: 'EVALIDATION' }, 'not rebalanced')
})
