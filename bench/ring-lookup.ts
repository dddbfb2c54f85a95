// Ring lookup speed: getNodes and the first handoffs on a part-power-18 ring (3 replicas,
// 48 devices). Run: node --import=tsx bench/ring-lookup.ts
import { performance } from 'node:perf_hooks'
import { Ring } from '../ring/ring.ts'
import { makeTestRingData, makeTestPaths } from '../test/helpers/test-ring.ts'

const data = makeTestRingData({ partPower: 18, replicas: 3, regions: 2, zonesPerRegion: 3, serversPerZone: 4, devicesPerServer: 2 })
const ring = Ring.fromData(data, { secrets: { prefix: '', suffix: 'bench' } })
const paths = makeTestPaths(100_000)

let start = performance.now()
let sum = 0
for (const p of paths) sum += ring.getNodes(...p).nodes.length
const nodesMs = performance.now() - start

start = performance.now()
for (let i = 0; i < 20_000; i++) {
  const part = ring.getPart(...(paths[i] as [string]))
  let n = 0
  for (const h of ring.getMoreNodes(part)) {
    sum += h.id
    if (++n === 3) break
  }
}
const handoffMs = performance.now() - start

start = performance.now()
for (let i = 0; i < 200; i++) sum += [...ring.getMoreNodes(i)].length
const allMs = performance.now() - start

process.stdout.write(
  `getNodes: ${((paths.length / nodesMs) * 1000).toFixed(0)}/s\n` +
    `getNodes + 3 handoffs: ${((20_000 / handoffMs) * 1000).toFixed(0)}/s\n` +
    `all handoffs of a partition: ${(allMs / 200).toFixed(2)} ms (checksum ${sum})\n`,
)
