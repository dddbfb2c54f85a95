// Where a container listing page's CPU goes: an in-process cluster (test/helpers/cluster.ts:
// 4 nodes, 3 replicas, the proxy with the all-in-one's listing middleware) whose container
// is filled with N rows directly in its replicas' databases, then P JSON pages of 10,000 read
// one after another at seeded random markers. Prints wall ms and CPU ms per page (the whole
// process: client, proxy and container servers); run under `node --cpu-prof` to see where.
// With LISTING_PROFILE=<file>, the pages' phase is CPU-profiled into <file> (.cpuprofile); with
// LISTING_CACHE=<dir>, the filled databases are kept there and copied in on the next run.
// Usage: node --import=tsx bench/listing-profile.ts [rows=200000] [pages=40] [pipeline]
import http from 'node:http'
import { existsSync } from 'node:fs'
import { cp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { startCluster } from '../test/helpers/cluster.ts'
import { KvStore } from '../common/db/kv-store.ts'
import { hashPathDigest } from '../common/hash-path.ts'
import { ContainerBroker } from '../container/broker.ts'
import { CLUSTER_SECRETS } from '../test/helpers/cluster.ts'
import { createLogger } from '../common/logger.ts'
import { listingItems, listingName } from './lib/listing-fill.ts'

const ROWS = Number(process.argv[2] ?? 200_000)
const PAGES = Number(process.argv[3] ?? 40)
const PIPELINE = process.argv[4] ?? 'catch_errors proxy-logging staticweb slo dlo versioned_writes symlink proxy-logging proxy-server'
const PAGE = 10_000

const teardowns: (() => unknown)[] = []
const logger = process.env.LISTING_LOG ? createLogger({ stream: process.stderr, level: 'warn' }) : undefined
const cluster = await startCluster({ teardown: (fn) => teardowns.push(fn) }, { ...(logger ? { logger } : {}), pipeline: PIPELINE, extraIni: '[filter:versioned_writes]\nallow_versioned_writes = true\nallow_object_versioning = true\n' })
try {
  const put = await cluster.request('PUT', '/v1/AUTH_test/c')
  if (put.status !== 201) throw new Error(`container PUT answered ${put.status}`)
  const { nodes } = cluster.rings.container.getNodes('AUTH_test', 'c')
  const dbId = hashPathDigest(CLUSTER_SECRETS, 'AUTH_test', 'c')
  const fillStart = Date.now()
  const cache = process.env.LISTING_CACHE ? join(process.env.LISTING_CACHE, String(ROWS)) : undefined
  for (const ringNode of nodes) {
    const node = cluster.nodes.find((n) => n.device === ringNode.device)!
    const db = join(node.devices, node.device, 'containers.db')
    const cached = cache && join(cache, node.device)
    await node.stop(['container'])
    if (cached && existsSync(cached)) {
      await rm(db, { recursive: true, force: true })
      await cp(cached, db, { recursive: true })
    }
    else {
      const store = await KvStore.open(db)
      const broker = new ContainerBroker(store, dbId)
      for (let start = 0; start < ROWS; start += 20_000) broker.mergeItems(listingItems(start, Math.min(ROWS, start + 20_000)))
      await store.close()
      if (cached) await cp(db, cached, { recursive: true })
    }
    await node.start(['container'])
  }
  for (const ringNode of nodes) {
    const node = cluster.nodes.find((n) => n.device === ringNode.device)!
    const r = await fetch(`http://127.0.0.1:${node.ports.container}/${node.device}/${ringNode.id}/AUTH_test/c?format=json&limit=2`)
    process.stderr.write(`${node.device}: ${r.status} ${(await r.text()).slice(0, 200)}\n`)
  }
  process.stderr.write(`filled ${ROWS} rows x ${nodes.length} replicas in ${((Date.now() - fillStart) / 1000).toFixed(1)} s\n`)
  const agent = new http.Agent({ keepAlive: true })
  const get = (path: string) =>
    new Promise<number>((resolve, reject) => {
      http.get(`${cluster.url}${path}`, { agent }, (res) => {
        let bytes = 0
        let head = ''
        res.on('data', (c: Buffer) => {
          if (bytes === 0) head = c.subarray(0, 200).toString()
          bytes += c.length
        })
        res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${path} answered ${res.statusCode}: ${head}`))))
      }).on('error', reject)
    })
  let seed = 7
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const markers = [...Array(PAGES)].map(() => listingName(Math.floor(rand() * (ROWS - PAGE))))
  await get(`/v1/AUTH_test/c?format=json&limit=${PAGE}`)
  const session = process.env.LISTING_PROFILE ? new Session() : undefined
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  for (const [label, list] of [['random markers', markers], ['first page', markers.map(() => '')], ['last page', markers.map(() => listingName(ROWS - PAGE - 1))]] as const) {
    const cpu0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    let bytes = 0
    for (const m of list) bytes = await get(`/v1/AUTH_test/c?format=json&limit=${PAGE}${m ? `&marker=${m}` : ''}`)
    const wall = Number(process.hrtime.bigint() - t0) / 1e6 / list.length
    const cpu = process.cpuUsage(cpu0)
    process.stdout.write(`${label}: ${wall.toFixed(1)} ms/page wall, ${((cpu.user + cpu.system) / 1000 / list.length).toFixed(1)} ms CPU/page, ${bytes} bytes\n`)
  }
  if (session) {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(process.env.LISTING_PROFILE!, JSON.stringify(profile))
    session.disconnect()
  }
  agent.destroy()
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
