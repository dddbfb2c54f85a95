// A large PUT streamed through the proxy to three replicas: a replica that dies mid-body is
// dropped and the other two still make the quorum, the object reads back whole, and the dead
// replica holds no part of it.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { watch } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { startCluster } from '../../helpers/cluster.ts'
import type { Cluster } from '../../helpers/cluster.ts'

/** The .data files a node holds for an object's partition. */
async function dataFiles(c: Cluster, node: number, partition: number): Promise<string[]> {
  const n = c.nodes[node]!
  const found: string[] = []
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => [])
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name))
      else if (e.name.endsWith('.data')) found.push(e.name)
    }
  }
  await walk(join(n.devices, n.device, 'objects', String(partition)))
  return found
}

t.test('a replica lost mid-body: the other two make the quorum, nothing partial is stored', async (t) => {
  const c = await startCluster(t)
  t.equal((await c.request('PUT', '/v1/AUTH_test/big')).status, 201)
  const { partition, nodes } = c.rings.object.getNodes('AUTH_test', 'big', 'o')
  const [victim, ...others] = nodes.map((n) => n.id) as [number, number, number]
  const v = c.nodes[victim]!
  const tmp = join(v.devices, v.device, 'tmp')
  await mkdir(tmp, { recursive: true })

  const body = randomBytes(12 * 1024 * 1024)
  const half = 6 * 1024 * 1024
  const stream = new PassThrough()
  // The victim's staged file appears once its PUT has started taking the body.
  const staged = new Promise<void>((resolve) => {
    const w = watch(tmp, () => {
      w.close()
      resolve()
    })
  })
  const answer = c.request('PUT', '/v1/AUTH_test/big/o', { headers: { 'Content-Length': String(body.length) }, body: stream })
  stream.write(body.subarray(0, half))
  await staged
  await v.stop(['object'])
  stream.end(body.subarray(half))
  const r = await answer
  t.equal(r.status, 201, 'two of three replicas: quorum')
  t.equal(r.headers.etag, createHash('md5').update(body).digest('hex'))

  const got = await c.request('GET', '/v1/AUTH_test/big/o')
  t.equal(got.status, 200)
  t.ok(got.body.equals(body), 'the whole body reads back')
  for (const i of others) t.equal((await dataFiles(c, i, partition)).length, 1, `replica ${i} stored it`)
  t.same(await dataFiles(c, victim, partition), [], 'the lost replica stored nothing')
  await v.start(['object'])
})
