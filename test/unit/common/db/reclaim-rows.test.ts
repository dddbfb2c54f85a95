// Deletion rows older than reclaim_age go (Swift's container and account reclaim): older
// tombstones are removed from the rows, the sequence index and "rows since N", newer ones and
// live rows stay, the stats are unchanged and the database still audits sound.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KvStore } from '../../../../common/db/kv-store.ts'
import { ContainerBroker } from '../../../../container/broker.ts'
import { AccountBroker } from '../../../../account/broker.ts'
import { Timestamp } from '../../../../common/timestamp.ts'

const ts = (n: number) => Timestamp.fromSeconds(1_700_000_000 + n).internal

async function openStore(t: Tap.Test): Promise<KvStore> {
  const dir = await mkdtemp(join(tmpdir(), 'tern-reclaim-'))
  const store = await KvStore.open(dir)
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return store
}

declare namespace Tap {
  type Test = import('tap').Test
}

t.test('container: object tombstones older than the age go', async (t) => {
  const b = new ContainerBroker(await openStore(t), Buffer.alloc(16, 1))
  b.initialize('a', 'c', 0, ts(0), 0)
  b.mergeItems([
    { name: 'live', createdAt: ts(1), size: 5, contentType: 'text/plain', etag: 'e', deleted: 0, storagePolicyIndex: 0 },
    { name: 'old-gone', createdAt: ts(2), size: 7, contentType: 'text/plain', etag: 'e', deleted: 0, storagePolicyIndex: 0 },
    { name: 'new-gone', createdAt: ts(3), size: 9, contentType: 'text/plain', etag: 'e', deleted: 0, storagePolicyIndex: 0 },
  ])
  b.deleteObject('old-gone', ts(10))
  b.deleteObject('new-gone', ts(100))
  const before = b.getInfo()!
  t.equal(b.reclaimRows(ts(50)), 1)
  t.same([...b.allRows()].map((r) => r.name), ['live', 'new-gone'])
  t.same(b.getItemsSince(0, 100).map((r) => r.name).sort(), ['live', 'new-gone'], 'gone from rows since N too')
  const after = b.getInfo()!
  t.equal(after.objectCount, before.objectCount)
  t.equal(after.bytesUsed, before.bytesUsed)
  t.equal(after.maxRow, before.maxRow, 'sequence numbers never go back')
  t.equal(b.audit(1000), undefined, 'still sound')
  t.equal(b.reclaimRows(ts(50)), 0, 'nothing more to reclaim')
})

t.test('account: container rows deleted before the age go', async (t) => {
  const b = new AccountBroker(await openStore(t), Buffer.alloc(16, 2))
  b.initialize('AUTH_a', 0, ts(0))
  b.putContainer('live', ts(1), '0', 2, 20, 0)
  b.putContainer('old', ts(1), '0', 0, 0, 0)
  b.putContainer('old', ts(1), ts(10), 0, 0, 0)
  b.putContainer('recent', ts(1), '0', 0, 0, 0)
  b.putContainer('recent', ts(1), ts(100), 0, 0, 0)
  const before = b.getInfo()!
  t.equal(b.reclaimRows(ts(50)), 1)
  t.equal(b.getRow('old'), undefined)
  t.ok(b.getRow('recent'))
  t.ok(b.getRow('live'))
  const after = b.getInfo()!
  t.same([after.containerCount, after.objectCount, after.bytesUsed], [before.containerCount, before.objectCount, before.bytesUsed])
  t.equal(b.audit(1000), undefined)
})
