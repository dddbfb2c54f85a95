// A written batch or a closed cursor must not stay reachable from the open database: the
// container servers once kept every batch of every container update (and the keys and values
// it was given) until the database closed, a few MB of heap per thousand updates.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { KvStore } from '../../../../common/db/kv-store.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function collected(refs: WeakRef<object>[]): Promise<number> {
  for (let i = 0; i < 3 && refs.some((r) => r.deref()); i++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc()
  }
  return refs.filter((r) => r.deref() === undefined).length
}

/** A store in a temporary folder, closed and removed when the test ends. */
async function tempStore(t: { teardown(fn: () => Promise<void>): void }, prefix: string): Promise<KvStore> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const store = await KvStore.open(dir)
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return store
}

t.test('batches and cursors are collectable once used, while the database stays open', async (t) => {
  const store = await tempStore(t, 'tern-kv-retention-')

  // Each in a function of its own, so that no variable here holds the batch or cursor.
  const writeOne = (i: number): WeakRef<object> => {
    const batch = store.batch()
    batch.put(Buffer.from(`key-${i}`), Buffer.alloc(1024, i))
    const ref = new WeakRef(batch.raw)
    store.write(batch)
    return ref
  }
  const emptyWrite = (): WeakRef<object> => {
    const batch = store.batch()
    const ref = new WeakRef(batch.raw)
    store.write(batch)
    return ref
  }
  const readAll = (): { ref: WeakRef<object>; rows: number } => {
    const cursor = store.cursor({ gte: Buffer.from('key-'), lt: Buffer.from('key.') }, 4)
    let rows = 0
    while (cursor.next()) rows++
    cursor.close()
    return { ref: new WeakRef(cursor.raw), rows }
  }
  const readText = (): WeakRef<object> => {
    const cursor = store.textCursor({ gte: Buffer.from('key-'), lt: Buffer.from('key.') }, 2, 8)
    t.ok(cursor.next() !== undefined, 'the text cursor reads a row')
    cursor.close()
    return new WeakRef(cursor.raw)
  }

  const batches = Array.from({ length: 20 }, (_, i) => writeOne(i))
  batches.push(emptyWrite())
  const read = readAll()
  t.equal(read.rows, 20, 'every written row is read back')
  const cursors = [read.ref, readText()]

  t.equal(await collected(batches), batches.length, 'every written batch was collected')
  t.equal(await collected(cursors), cursors.length, 'both closed cursors were collected')
  t.ok(store.isOpen, 'the database is still open')
  t.same(store.get(Buffer.from('key-3')), Buffer.alloc(1024, 3), 'and still reads')
})

t.test('memtables stay small: rows reach SST files long before 64 MiB of them are written', async (t) => {
  const store = await tempStore(t, 'tern-kv-memtable-')
  const value = Buffer.alloc(1000, 7)
  let most = 0
  // ~40 MB of rows, as many container updates write.
  for (let i = 0; i < 40_000; i++) {
    const key = Buffer.from(`row-${String(i).padStart(8, '0')}`)
    store.write(store.batch().put(key, value))
    if (i % 1000 === 999) {
      most = Math.max(most, store.memtableBytes())
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  t.ok(most > 0, `the memtables were measured (${most} bytes at most)`)
  // 4 MiB write buffers, up to 6 of them while flushes run: never anywhere near the 40 MB written.
  t.ok(most < 26 << 20, `memtables at most ${(most / 2 ** 20).toFixed(1)} MiB`)
  t.same(store.get(Buffer.from('row-00000000')), value, 'the first rows are still there')
})
