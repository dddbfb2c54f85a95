// The container-update batcher: the first update to a database goes out alone, those that
// arrive while it is in flight go out together, each caller gets its own row's status, and a
// failed batch fails every row in it (so each becomes an async pending).
import t from 'tap'
import { UpdateBatcher } from '../../../object/update-batcher.ts'
import type { SingleUpdate, UpdateTransport } from '../../../object/update-batcher.ts'
import type { BatchedRow } from '../../../common/object-update-batch.ts'

interface Held<T> {
  resolve(v: T): void
  reject(e: unknown): void
}

function heldTransport() {
  const singles: { update: SingleUpdate; held: Held<number> }[] = []
  const batches: { path: string; rows: readonly BatchedRow[]; held: Held<number[]> }[] = []
  const transport: UpdateTransport = {
    single: (_ip, _port, update) => new Promise((resolve, reject) => singles.push({ update, held: { resolve, reject } })),
    batch: (_ip, _port, path, rows) => new Promise((resolve, reject) => batches.push({ path, rows, held: { resolve, reject } })),
  }
  return { transport, singles, batches }
}

const row = (name: string, op: 'PUT' | 'DELETE' = 'PUT'): [BatchedRow, SingleUpdate] => [
  { op, name, headers: { 'X-Timestamp': name } },
  { method: op, path: `/sdb/1/a/c/${name}`, headers: { 'X-Timestamp': name } },
]
const tick = () => new Promise((r) => setImmediate(r))

t.test('updates that wait on one in flight go out as one batch, answered row by row', async (t) => {
  const { transport, singles, batches } = heldTransport()
  const b = new UpdateBatcher(transport, 3)
  const first = b.send('127.0.0.1', 1, '/sdb/1/a/c', ...row('o0'))
  const rest = ['o1', 'o2', 'o3', 'o4'].map((n) => b.send('127.0.0.1', 1, '/sdb/1/a/c', ...row(n)))
  const other = b.send('127.0.0.1', 1, '/sdb/1/a/other', ...row('x'))
  t.equal(singles.length, 2, 'the first update of each database goes out alone, at once')
  t.equal(batches.length, 0, 'the others wait for the one in flight')
  singles[0]!.held.resolve(201)
  t.equal(await first, 201)
  await tick()
  t.equal(batches.length, 1)
  t.same(batches[0]!.rows.map((r) => r.name), ['o1', 'o2', 'o3'], 'at most maxRows rows per batch, in arrival order')
  t.equal(batches[0]!.path, '/sdb/1/a/c')
  batches[0]!.held.resolve([201, 400, 201])
  t.same(await Promise.all(rest.slice(0, 3)), [201, 400, 201], 'each caller gets its own row status')
  await tick()
  t.equal(singles.length, 3, 'a lone leftover goes out as a single update')
  t.equal(singles[2]!.update.path, '/sdb/1/a/c/o4')
  singles[2]!.held.resolve(201)
  singles[1]!.held.resolve(201)
  t.same(await Promise.all([rest[3], other]), [201, 201])
  t.same(b.sent, { single: 3, batches: 1, batchedRows: 3 })
  // Idle again: the next update goes out alone at once.
  const again = b.send('127.0.0.1', 1, '/sdb/1/a/c', ...row('o5'))
  t.equal(singles.length, 4)
  singles[3]!.held.resolve(204)
  t.equal(await again, 204)
})

t.test('a failed request fails every row waiting on it, and the queue goes on', async (t) => {
  const { transport, singles, batches } = heldTransport()
  const b = new UpdateBatcher(transport, 10)
  const first = b.send('127.0.0.1', 1, '/sdb/1/a/c', ...row('o0'))
  const waiting = ['o1', 'o2'].map((n) => b.send('127.0.0.1', 1, '/sdb/1/a/c', ...row(n)))
  singles[0]!.held.reject(new Error('refused'))
  await t.rejects(first, /refused/)
  await tick()
  const late = b.send('127.0.0.1', 1, '/sdb/1/a/c', ...row('o3'))
  batches[0]!.held.reject(new Error('reset'))
  for (const w of waiting) await t.rejects(w, /reset/)
  await tick()
  t.equal(singles.length, 2, 'the row that arrived meanwhile is sent next')
  singles[1]!.held.resolve(201)
  t.equal(await late, 201)
})
