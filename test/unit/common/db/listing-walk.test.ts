// The seek-based listing walk against a naive reference of Swift's listing semantics
// (filter by marker/end_marker/prefix, fold names at the first delimiter after the prefix
// into one subdir entry, reverse order, limit) over random names and random parameters.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KvStore } from '../../../../common/db/kv-store.ts'
import { ContainerBroker } from '../../../../container/broker.ts'
import type { ObjectItem } from '../../../../container/broker.ts'
import { seededRandom } from '../../../../ring/seeded-random.ts'

const utf8Compare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

interface Params {
  limit: number
  marker?: string
  endMarker?: string
  prefix?: string
  delimiter?: string
  reverse?: boolean
}

function reference(names: string[], p: Params): string[] {
  const sorted = [...new Set(names)].sort(utf8Compare)
  const lower = p.reverse ? p.endMarker : p.marker
  const upper = p.reverse ? p.marker : p.endMarker
  const prefix = p.prefix ?? ''
  let rows = sorted.filter((n) => (!lower || utf8Compare(n, lower) > 0) && (!upper || utf8Compare(n, upper) < 0) && n.startsWith(prefix))
  if (p.reverse) rows = rows.reverse()
  const out: string[] = []
  for (const name of rows) {
    let entry = name
    if (p.delimiter) {
      const at = name.indexOf(p.delimiter, prefix.length)
      if (at >= 0) {
        entry = name.slice(0, at + p.delimiter.length)
        if (entry === lower) continue
        if (out[out.length - 1] === entry) continue
      }
    }
    out.push(entry)
  }
  return out.slice(0, p.limit)
}

t.test('random listings match the reference', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tern-walk-'))
  const store = await KvStore.open(dir)
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  const rand = seededRandom(42)
  const alphabet = ['a', 'b', '/', '-', 'é', '😀', 'z']
  const word = (max: number) => Array.from({ length: 1 + Math.floor(rand() * max) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')
  const broker = new ContainerBroker(store, Buffer.alloc(16, 7))
  broker.initialize('a', 'c', 0, '0000000001.00000', 0)
  const names = Array.from({ length: 600 }, () => word(5))
  const items: ObjectItem[] = names.map((name) => ({ name, createdAt: '0000000002.00000', size: 1, contentType: 'x/y', etag: 'e', deleted: 0, storagePolicyIndex: 0 }))
  broker.mergeItems(items)
  // Tombstones must not show up in listings.
  const deletedNames = names.filter((_, i) => i % 7 === 0)
  broker.mergeItems(deletedNames.map((name) => ({ name, createdAt: '0000000003.00000', size: 0, contentType: 'application/deleted', etag: 'noetag', deleted: 1, storagePolicyIndex: 0 })))
  const live = names.filter((n) => !deletedNames.includes(n))
  let checked = 0
  for (let i = 0; i < 400; i++) {
    const p: Params = { limit: 1 + Math.floor(rand() * 40) }
    if (rand() < 0.4) p.marker = word(3)
    if (rand() < 0.3) p.endMarker = word(3)
    if (rand() < 0.4) p.prefix = word(2)
    if (rand() < 0.5) p.delimiter = rand() < 0.7 ? '/' : alphabet[Math.floor(rand() * alphabet.length)]
    if (rand() < 0.4) p.reverse = true
    const got = broker.listObjects(p, 0).map((e) => ('subdir' in e ? e.subdir : e.name))
    const want = reference(live, p)
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.same(got, want, `listing ${JSON.stringify(p)}`)
      return
    }
    checked++
  }
  t.equal(checked, 400, 'all random listings matched')
})

t.test('reserved names (starting with NUL) list only when allowed, with the same semantics', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tern-walk-reserved-'))
  const store = await KvStore.open(dir)
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  const rand = seededRandom(7)
  const alphabet = ['a', '/', '\0', 'é', '\x01']
  const word = (max: number) => Array.from({ length: 1 + Math.floor(rand() * max) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')
  const broker = new ContainerBroker(store, Buffer.alloc(16, 9))
  broker.initialize('a', 'c', 0, '0000000001.00000', 0)
  const names = [...new Set(Array.from({ length: 300 }, () => word(5)))]
  broker.mergeItems(names.map((name) => ({ name, createdAt: '0000000002.00000', size: name.length, contentType: 'x/y', etag: 'e', deleted: 0, storagePolicyIndex: 0 })))
  const sizes = broker.listObjects({ limit: 10000, allowReserved: true }, 0)
  t.ok(
    sizes.length === names.length && sizes.every((e) => 'subdir' in e || (e.size === e.name.length && e.etag === 'e' && e.contentType === 'x/y')),
    'a reserved name and its row survive the listing record',
  )
  const visible = names.filter((n) => !n.startsWith('\0'))
  let checked = 0
  for (let i = 0; i < 300; i++) {
    const p: Params = { limit: 1 + Math.floor(rand() * 40) }
    if (rand() < 0.4) p.marker = word(3)
    if (rand() < 0.3) p.endMarker = word(3)
    if (rand() < 0.4) p.prefix = word(2)
    if (rand() < 0.4) p.delimiter = rand() < 0.5 ? '/' : '\0'
    if (rand() < 0.4) p.reverse = true
    const allowReserved = rand() < 0.5
    const got = broker.listObjects({ ...p, allowReserved }, 0).map((e) => ('subdir' in e ? e.subdir : e.name))
    const want = reference(allowReserved ? names : visible, p)
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.same(got, want, `listing ${JSON.stringify({ ...p, allowReserved })}`)
      return
    }
    checked++
  }
  t.equal(checked, 300, 'all random listings matched')
})
