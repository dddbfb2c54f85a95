// The account broker: container rows merged idempotently (same or older reports change
// nothing, no new sequence number), stats kept incrementally, rows since N for replication.
import t from 'tap'
import type { Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KvStore } from '../../../common/db/kv-store.ts'
import { AccountBroker } from '../../../account/broker.ts'
import type { ContainerItem } from '../../../account/broker.ts'
import { Timestamp } from '../../../common/timestamp.ts'

const ts = (n: number) => Timestamp.fromSeconds(1_700_000_000 + n).internal
const row = (name: string, put: number, del: number, objects: number, bytes: number): ContainerItem => ({
  name,
  putTimestamp: ts(put),
  deleteTimestamp: del ? ts(del) : '0000000000.00000',
  objectCount: objects,
  bytesUsed: bytes,
  deleted: del > put && objects === 0 ? 1 : 0,
  storagePolicyIndex: 0,
})

async function openBroker(t: Test, id: number): Promise<AccountBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'tern-account-broker-'))
  const store = await KvStore.open(dir)
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  const broker = new AccountBroker(store, Buffer.alloc(16, id))
  broker.initialize('AUTH_a', 0, ts(0))
  return broker
}

t.test('idempotent merges, rows since N, a replica converges', async (t) => {
  const broker = await openBroker(t, 1)
  const reports = [row('c1', 1, 0, 3, 30), row('c2', 2, 0, 1, 10), row('c1', 1, 0, 4, 40), row('c2', 2, 5, 0, 0), row('c3', 6, 0, 2, 2)]
  for (const r of reports) broker.mergeItems([r])
  let info = broker.getInfo()!
  t.same([info.containerCount, info.objectCount, info.bytesUsed], [2, 6, 42])
  const max = broker.maxRow()
  t.equal(broker.mergeItems(reports.slice(-1)), 0, 'the same report twice changes nothing')
  t.equal(broker.mergeItems([row('c1', 0.5, 0, 9, 9)]), 0, 'an older report changes nothing')
  t.equal(broker.maxRow(), max, 'no sequence number spent')
  t.same(broker.getItemsSince(0, 10).map((r) => r.name), ['c1', 'c2', 'c3'], 'each name once, in change order')
  t.same(broker.getItemsSince(max - 1, 10).map((r) => r.name), ['c3'])
  t.same(broker.listContainers({ limit: 10 }).map((e) => ('name' in e ? e.name : e.subdir)), ['c1', 'c3'])
  const replica = await openBroker(t, 2)
  replica.mergeItems(broker.getItemsSince(0, 100))
  info = replica.getInfo()!
  t.same([info.containerCount, info.objectCount, info.bytesUsed], [2, 6, 42], 'the replica has the same stats')
  t.same(replica.listContainers({ limit: 10 }), broker.listContainers({ limit: 10 }))
  t.equal(replica.mergeItems(broker.getItemsSince(0, 100)), 0, 'and merging again changes nothing')
})
