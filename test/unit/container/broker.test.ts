// The container broker: Swift's merge semantics (newest timestamp wins, whatever the order;
// the same or older rows change nothing), stats kept incrementally, "rows since N" through the
// sequence index, and listing pages whose cost does not depend on the marker's position.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KvStore } from '../../../common/db/kv-store.ts'
import { ContainerBroker } from '../../../container/broker.ts'
import type { ObjectItem } from '../../../container/broker.ts'
import { Timestamp } from '../../../common/timestamp.ts'

async function openBroker(t: Tap.Test, id = 1): Promise<ContainerBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'tern-broker-'))
  const store = await KvStore.open(dir)
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  const broker = new ContainerBroker(store, Buffer.alloc(16, id))
  t.ok(broker.initialize('a', 'c', 3, ts(1), 0), 'created')
  t.notOk(broker.initialize('a', 'c', 3, ts(1), 0), 'second initialize reports it exists')
  return broker
}

declare namespace Tap {
  type Test = import('tap').Test
}

const ts = (n: number) => Timestamp.fromSeconds(1_700_000_000 + n).internal
const item = (name: string, n: number, size = 10, extra: Partial<ObjectItem> = {}): ObjectItem => ({
  name,
  createdAt: ts(n),
  size,
  contentType: 'text/plain',
  etag: `etag-${n}`,
  deleted: 0,
  storagePolicyIndex: 0,
  ...extra,
})

t.test('merging is idempotent and the newest row wins in any order', async (t) => {
  const a = await openBroker(t, 1)
  const b = await openBroker(t, 2)
  const rows = [item('x', 5, 50), item('x', 9, 90), item('y', 3, 30), { ...item('y', 7, 0), deleted: 1 as const, contentType: 'application/deleted' }, item('z', 4, 40)]
  a.mergeItems(rows)
  b.mergeItems([...rows].reverse())
  for (const broker of [a, b]) {
    t.same(broker.getInfo()!.objectCount, 2, 'x and z live, y deleted')
    t.same(broker.getInfo()!.bytesUsed, 130, 'bytes of the newest rows')
    t.equal(broker.getRow('x')!.etag, 'etag-9')
    t.equal(broker.getRow('y')!.deleted, 1, 'tombstone kept')
  }
  const maxRow = a.maxRow()
  t.equal(a.mergeItems(rows), 0, 'merging the same rows again changes nothing')
  t.equal(a.mergeItems([item('x', 2, 1)]), 0, 'an older row changes nothing')
  t.equal(a.maxRow(), maxRow, 'no sequence number spent')
  t.equal(a.getInfo()!.bytesUsed, 130)
  t.same(a.listObjects({ limit: 100 }, 0).map((e) => ('name' in e ? e.name : e.subdir)), ['x', 'z'])
})

t.test('content type and metadata timestamps merge separately (POST after PUT)', async (t) => {
  const broker = await openBroker(t)
  broker.mergeItems([item('o', 10, 5, { contentType: 'text/plain;swift_bytes=99' })])
  // A POST changed the content type at 20 and metadata at 21; it arrives with older data.
  broker.mergeItems([item('o', 5, 1, { contentType: 'image/png', ctypeTimestamp: ts(20), metaTimestamp: ts(21) })])
  const row = broker.getRow('o')!
  t.equal(row.createdAt, ts(10), 'data timestamp kept')
  t.equal(row.size, 5, 'size of the newer data')
  t.equal(row.contentType, 'image/png;swift_bytes=99', 'newer content type, swift_bytes of the newer data')
  t.equal(row.metaTimestamp, ts(21))
  const [entry] = broker.listObjects({ limit: 1 }, 0)
  t.same(entry, { name: 'o', lastModified: ts(21), size: 5, contentType: 'image/png;swift_bytes=99', etag: 'etag-10' })
})

t.test('rows since N', async (t) => {
  const broker = await openBroker(t)
  broker.mergeItems([item('a', 1), item('b', 2), item('c', 3)])
  const first = broker.getItemsSince(0, 10)
  t.same(first.map((r) => [r.name, r.seq]), [['a', 1], ['b', 2], ['c', 3]])
  broker.mergeItems([item('a', 9)])
  const since = broker.getItemsSince(3, 10)
  t.same(since.map((r) => [r.name, r.seq, r.createdAt]), [['a', 4, ts(9)]], 'only the changed row, with a new seq')
  t.same(broker.getItemsSince(0, 10).map((r) => r.name), ['b', 'c', 'a'], 'the old seq of a is gone')
  t.same(broker.getItemsSince(2, 1).map((r) => r.name), ['c'], 'limit')
  // A replica brought up to date with rows since 0 lists the same.
  const replica = await openBroker(t, 9)
  replica.mergeItems(broker.getItemsSince(0, 1000))
  t.same(replica.listObjects({ limit: 10 }, 0), broker.listObjects({ limit: 10 }, 0))
  t.same(replica.getInfo()!.objectCount, broker.getInfo()!.objectCount)
})

t.test('stats per policy, and policy switch on a deleted container', async (t) => {
  const broker = await openBroker(t)
  broker.mergeItems([item('a', 1, 5), item('b', 2, 7, { storagePolicyIndex: 1 })])
  t.same(broker.getInfo()!.objectCount, 1, 'the container policy (0) only')
  t.notOk(broker.empty(), 'not empty while policy 1 holds an object')
  broker.deleteObject('a', ts(3), 0)
  broker.deleteObject('b', ts(3), 1)
  t.ok(broker.empty())
  broker.deleteDb(ts(4))
  t.ok(broker.isDeleted())
  broker.setStoragePolicyIndex(1, ts(5))
  t.equal(broker.getInfo()!.storagePolicyIndex, 1)
  t.equal(broker.getInfo()!.statusChangedAt, ts(5))
})

t.test('a listing page costs the same wherever the marker is (200,000 rows)', async (t) => {
  const broker = await openBroker(t)
  const total = 200_000
  // 200 "subdirectories" of 1000 rows each.
  const name = (i: number) => `d${String(Math.floor(i / 1000)).padStart(3, '0')}/${String(i % 1000).padStart(4, '0')}`
  for (let start = 0; start < total; start += 25_000) {
    broker.mergeItems(Array.from({ length: 25_000 }, (_, k) => item(name(start + k), 10, 1)))
  }
  // Tombstones before the marker must not be stepped over either.
  broker.mergeItems(Array.from({ length: 5000 }, (_, i) => ({ ...item(name(150_000 + i), 20, 0), deleted: 1 as const })))
  t.equal(broker.getInfo()!.objectCount, total - 5000)
  const cost = (params: Parameters<ContainerBroker['listObjects']>[0]) => {
    const before = broker.store.keysRead
    const page = broker.listObjects(params, 0)
    return { keys: broker.store.keysRead - before, page }
  }
  const atStart = cost({ limit: 100 })
  const atMiddle = cost({ limit: 100, marker: name(149_990) })
  const atEnd = cost({ limit: 100, marker: name(199_800) })
  const reversed = cost({ limit: 100, marker: name(155_050), reverse: true })
  for (const c of [atStart, atMiddle, atEnd, reversed]) t.equal(c.page.length, 100)
  t.equal((atMiddle.page[9] as { name: string }).name, name(155_000), 'skips the tombstones')
  t.equal((reversed.page[50] as { name: string }).name, name(149_999), 'reverse skips the tombstones')
  for (const c of [atStart, atMiddle, atEnd, reversed]) t.ok(c.keys <= 101, `keys read ${c.keys} <= limit + 1`)
  // Delimiter: a page of 50 subdirs reads about one key per subdir, not 1000.
  const grouped = cost({ limit: 50, delimiter: '/', marker: 'd100/' })
  t.same(grouped.page.slice(0, 2), [{ subdir: 'd101/' }, { subdir: 'd102/' }])
  t.equal(grouped.page.length, 50)
  t.ok(grouped.keys <= 60, `delimiter page read ${grouped.keys} keys for 50 subdirs of 1000 rows`)
  const groupedReverse = cost({ limit: 3, delimiter: '/', reverse: true })
  t.same(groupedReverse.page, [{ subdir: 'd199/' }, { subdir: 'd198/' }, { subdir: 'd197/' }])
  t.ok(groupedReverse.keys <= 6, `reverse delimiter page read ${groupedReverse.keys} keys`)
})

t.test('large batches (read with one range scan) merge exactly like small ones', async (t) => {
  const big = await openBroker(t, 4)
  const small = await openBroker(t, 5)
  const rows: ObjectItem[] = []
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 300; i++) {
      // Overlapping names across rounds, duplicates within a round, mixed ages and deletes.
      const n = (i * 7 + round * 13) % 250
      const at = ((i * 31 + round * 17) % 97) + 1
      rows.push(i % 11 === 0 ? { ...item(`n${n}`, at, 0), deleted: 1 } : item(`n${n}`, at, at))
    }
  }
  for (let i = 0; i < rows.length; i += 300) big.mergeItems(rows.slice(i, i + 300))
  for (let i = 0; i < rows.length; i += 7) small.mergeItems(rows.slice(i, i + 7))
  t.same(big.listObjects({ limit: 1000 }, 0), small.listObjects({ limit: 1000 }, 0))
  t.same([big.getInfo()!.objectCount, big.getInfo()!.bytesUsed], [small.getInfo()!.objectCount, small.getInfo()!.bytesUsed])
  t.same([...big.allRows()].map((r) => [r.name, r.createdAt, r.deleted]), [...small.allRows()].map((r) => [r.name, r.createdAt, r.deleted]))
  t.equal(big.mergeItems(rows.slice(0, 300)), 0, 'merging a big batch again changes nothing')
})

t.test('JSON pages come from the rows stored JSON, and older (format 1) entries still list the same', async (t) => {
  const broker = await openBroker(t, 9)
  const items: ObjectItem[] = [
    { name: 'a/é', createdAt: ts(5), size: 3, contentType: 'text/plain', etag: 'e1', deleted: 0, storagePolicyIndex: 0 },
    { name: 'a/manifest', createdAt: ts(6), size: 10, contentType: 'application/x;swift_bytes=2048', etag: 'e2', deleted: 0, storagePolicyIndex: 0 },
    { name: 'b', createdAt: ts(7), size: 0, contentType: 'x/"q"', etag: 'e3', deleted: 0, storagePolicyIndex: 0 },
  ]
  broker.mergeItems(items)
  const page = broker.listObjectsJson({ limit: 100 }, 0).toString('utf8')
  const rows = JSON.parse(page) as Array<Record<string, unknown>>
  t.same(rows.map((r) => r.name), ['a/manifest', 'a/é', 'b'], 'UTF-8 byte order')
  t.equal(rows[0]!.bytes, 2048, 'swift_bytes gives the size, as update_data_record does')
  t.equal(rows[0]!.content_type, 'application/x')
  t.match(page, /"name": "a\/\\u00e9"/, 'non-ASCII escaped as Python json.dumps does')
  t.same(JSON.parse(broker.listObjectsJson({ limit: 100, delimiter: '/' }, 0).toString('utf8')), [{ subdir: 'a/' }, rows[2]], 'subdirs rendered beside stored rows')

  // Rewrite every listing entry in the first format (no JSON text), as older databases hold them.
  const store = (broker as unknown as { store: KvStore }).store
  const { KEY_LIST, dbKey, u32 } = await import('../../../common/db/keys.ts')
  const { encodeTextRecord } = await import('../../../common/db/records.ts')
  const batch = store.batch()
  for (const it of items) {
    const key = dbKey(KEY_LIST, Buffer.alloc(16, 9), Buffer.concat([u32(0), Buffer.from(it.name, 'utf8')]))
    batch.put(key, encodeTextRecord(it.name, 1, [it.createdAt, it.size, it.contentType, it.etag]))
  }
  store.write(batch)
  t.equal(broker.listObjectsJson({ limit: 100 }, 0).toString('utf8'), page, 'format-1 entries render to the same page')
  t.same(broker.listObjects({ limit: 100 }, 0).map((e) => ('name' in e ? e.name : e.subdir)), ['a/manifest', 'a/é', 'b'])
})

t.test('JSON pages: the same bytes as rendering the rows, every query shape; O(limit) keys at a late marker', async (t) => {
  const { renderListing } = await import('../../../common/listing-format.ts')
  const { listingRecord } = await import('../../../container/listing-record.ts')
  const broker = await openBroker(t, 11)
  const names: string[] = []
  for (let d = 0; d < 30; d++) for (let i = 0; i < 100; i++) names.push(`dir${String(d).padStart(2, '0')}/${i % 7 === 0 ? 'sub/' : ''}${String(i).padStart(3, '0')}${i % 13 === 0 ? 'é' : ''}`)
  names.push('dir05', 'top-1', 'top-2', 'zz"quote')
  broker.mergeItems(names.map((n, i) => item(n, 10 + (i % 50), i % 4096, i % 9 === 0 ? { contentType: 'application/x;swift_bytes=77' } : {})))
  const rendered = (params: Parameters<ContainerBroker['listObjects']>[0]) =>
    renderListing('application/json', broker.listObjects(params, 0).map((e) => ('subdir' in e ? e : listingRecord(e))), 'container', 'c')
  const queries: Parameters<ContainerBroker['listObjects']>[0][] = [
    { limit: 10000 },
    { limit: 250, marker: 'dir07/050' },
    { limit: 10000, marker: 'dir03/', endMarker: 'dir09/020' },
    { limit: 40, prefix: 'dir1' },
    { limit: 10000, delimiter: '/' },
    { limit: 10000, prefix: 'dir04/', delimiter: '/' },
    { limit: 7, prefix: 'dir', delimiter: '/', marker: 'dir10/' },
    { limit: 10000, path: 'dir02' },
    { limit: 100, path: 'dir02/sub' },
    { limit: 300, reverse: true, marker: 'dir20/000' },
    { limit: 10000, reverse: true, prefix: 'dir2', delimiter: '/' },
    { limit: 5, reverse: true, endMarker: 'dir28/', marker: 'top-2' },
    { limit: 0 },
  ]
  for (const q of queries) t.equal(broker.listObjectsJson(q, 0).toString('utf8'), rendered(q), `same page for ${JSON.stringify(q)}`)

  const keys = (params: Parameters<ContainerBroker['listObjects']>[0]) => {
    const before = broker.store.keysRead
    const rows = JSON.parse(broker.listObjectsJson(params, 0).toString('utf8')) as unknown[]
    return { rows: rows.length, keys: broker.store.keysRead - before }
  }
  const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  const after = sorted.filter((n) => Buffer.compare(Buffer.from(n), Buffer.from('dir29/050')) > 0).length
  const late = keys({ limit: 100, marker: 'dir29/050' })
  t.equal(late.rows, Math.min(100, after))
  t.ok(late.keys <= late.rows + 1, `late marker: ${late.keys} keys read for ${late.rows} rows`)
  const early = keys({ limit: 100 })
  t.equal(early.keys, 101, 'a page reads its rows and the one after, no more')
  const subdirQuery = { limit: 10000, delimiter: '/', marker: 'dir10/' }
  const subdirs = keys(subdirQuery)
  t.equal(subdirs.rows, (JSON.parse(rendered(subdirQuery)) as unknown[]).length)
  t.ok(subdirs.keys <= 2 * subdirs.rows + 4, `delimiter page of ${subdirs.rows} entries read ${subdirs.keys} keys (a batch after each skip starts at one row)`)
})
