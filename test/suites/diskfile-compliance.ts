// One behaviour suite that every diskfile backend runs (fs and memory), as abstract-level's
// compliance suite does for its stores.
import { createHash, randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { Test } from 'tap'
import { Timestamp } from '../../common/timestamp.ts'
import type { DiskFileManager, ObjectName, StoredMetadata } from '../../object/diskfile/types.ts'

export interface DiskFileBackend {
  readonly manager: DiskFileManager
  corruptData(name: ObjectName, how: 'truncate' | 'flip'): Promise<void>
  quarantinedCount(): Promise<number>
}


// Recent times: tombstones older than reclaim_age (a week) are removed on sight.
const BASE = Math.floor(Date.now() / 1000) - 100_000
const ts = (s: number) => Timestamp.fromSeconds(BASE + s)
const now = () => Timestamp.now()
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')
let counter = 0
const objName = (): ObjectName => ({ device: 'sda', partition: '7', account: 'AUTH_t', container: 'c', obj: `o-${++counter}`, policy: 0 })

async function put(m: DiskFileManager, name: ObjectName, t: Timestamp, body: Buffer, extra: StoredMetadata = {}): Promise<void> {
  const w = await m.createWriter(name, { size: body.length })
  for (let at = 0; at < body.length; at += 65536) await w.write(body.subarray(at, at + 65536))
  await w.commit(t, {
    'X-Timestamp': t.internal, 'Content-Length': String(body.length), ETag: w.etag(), 'Content-Type': 'application/octet-stream', ...extra,
  })
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function readAll(m: DiskFileManager, name: ObjectName): Promise<Buffer> {
  const o = await m.open(name, { now: now() })
  try {
    return (await o.readWholeBody()) ?? (await drain(o.createReadStream()))
  } finally {
    await o.close()
  }
}

export function diskFileCompliance(t: Test, make: () => Promise<DiskFileBackend>): void {
  t.test('a written object reads back with its metadata (small and large)', async (t) => {
    const { manager: m } = await make()
    for (const size of [0, 4096, 300_000]) {
      const name = objName()
      const body = randomBytes(size)
      await put(m, name, ts(1000), body, { 'X-Object-Meta-Color': 'blue' })
      const o = await m.readMetadata(name, { now: now() })
      t.equal(o.contentLength, size)
      t.equal(o.metadata.ETag, md5(body))
      t.equal(o.metadata['X-Object-Meta-Color'], 'blue')
      t.equal(o.timestamp.internal, ts(1000).internal)
      t.ok((await readAll(m, name)).equals(body), `body of ${size} bytes`)
      const r = await m.open(name, { now: now() })
      const part = r.prefetched(1, 3) ?? (await drain(r.createReadStream(1, 3)))
      await r.close()
      t.ok(part.equals(body.subarray(1, 3)), 'a range reads back')
    }
  })

  t.test('the newest timestamp wins whatever the order of writes, and older files go', async (t) => {
    const { manager: m } = await make()
    const name = objName()
    await put(m, name, ts(2000), Buffer.from('two'))
    await put(m, name, ts(1000), Buffer.from('one'))
    await put(m, name, Timestamp.fromSeconds(BASE + 2000, 1), Buffer.from('two-offset'))
    t.equal((await readAll(m, name)).toString(), 'two-offset')
    t.same(await m.listFiles(name), [`${Timestamp.fromSeconds(BASE + 2000, 1).internal}.data`])
  })

  t.test('a tombstone hides older data and reports its timestamp', async (t) => {
    const { manager: m } = await make()
    const name = objName()
    await put(m, name, ts(1000), Buffer.from('x'))
    await m.delete(name, ts(1500))
    await t.rejects(m.open(name, { now: now() }), { code: 'ERR_DISKFILE_DELETED' })
    const err = await m.open(name, { now: now() }).catch((e: { timestamp?: Timestamp }) => e)
    t.equal((err as { timestamp?: Timestamp }).timestamp?.internal, ts(1500).internal)
    t.same(await m.listFiles(name), [`${ts(1500).internal}.ts`])
    await m.delete(name, ts(1200))
    t.same(await m.listFiles(name), [`${ts(1500).internal}.ts`], 'an older tombstone is dropped')
    await put(m, name, ts(1600), Buffer.from('back'))
    t.equal((await readAll(m, name)).toString(), 'back')
    await t.rejects(m.open(objName(), { now: now() }), { code: 'ERR_DISKFILE_NOT_EXIST' })
  })

  t.test('a .meta replaces user metadata but keeps the data file system metadata', async (t) => {
    const { manager: m } = await make()
    const name = objName()
    await put(m, name, ts(1000), Buffer.from('x'), { 'X-Object-Meta-A': '1', 'X-Object-Sysmeta-S': 's' })
    await m.writeMetadata(name, ts(1100), { 'X-Timestamp': ts(1100).internal, 'X-Object-Meta-B': '2' })
    const o = await m.readMetadata(name, { now: now() })
    t.equal(o.metadata['X-Object-Meta-A'], undefined)
    t.equal(o.metadata['X-Object-Meta-B'], '2')
    t.equal(o.metadata['X-Object-Sysmeta-S'], 's')
    t.equal(o.metadata['Content-Type'], 'application/octet-stream')
    t.equal(o.timestamp.internal, ts(1100).internal)
    t.equal(o.dataTimestamp.internal, ts(1000).internal)
    await m.writeMetadata(name, ts(1050), { 'X-Timestamp': ts(1050).internal, 'X-Object-Meta-C': '3' })
    t.same(await m.listFiles(name), [`${ts(1000).internal}.data`, `${ts(1100).internal}.meta`], 'an older .meta is dropped')
    await put(m, name, ts(1200), Buffer.from('y'))
    t.same(await m.listFiles(name), [`${ts(1200).internal}.data`], 'new data drops the older .meta')
  })

  t.test('an object past X-Delete-At reads as expired unless asked for', async (t) => {
    const { manager: m } = await make()
    const name = objName()
    await put(m, name, ts(1000), Buffer.from('x'), { 'X-Delete-At': String(BASE + 1500) })
    await t.rejects(m.open(name, { now: ts(1600) }), { code: 'ERR_DISKFILE_EXPIRED' })
    t.ok(await m.readMetadata(name, { now: ts(1400) }))
    t.ok(await m.readMetadata(name, { now: ts(1600), openExpired: true }))
  })

  t.test('a body shorter than its metadata says is quarantined on open', async (t) => {
    const b = await make()
    const name = objName()
    await put(b.manager, name, ts(1000), randomBytes(5000))
    await b.corruptData(name, 'truncate')
    await t.rejects(b.manager.open(name, { now: now() }), { code: 'ERR_DISKFILE_QUARANTINED' })
    await t.rejects(b.manager.open(name, { now: now() }), { code: 'ERR_DISKFILE_NOT_EXIST' })
    t.equal(await b.quarantinedCount(), 1)
    t.ok((await b.manager.invalidatedSuffixes('sda', '7', 0)).length > 0)
  })

  t.test('a body that does not match its ETag is quarantined on a full read', async (t) => {
    for (const size of [4096, 300_000]) {
      const b = await make()
      const name = objName()
      await put(b.manager, name, ts(1000), randomBytes(size))
      await b.corruptData(name, 'flip')
      const o = await b.manager.open(name, { now: now() })
      const got = o.readWholeBody().then((body) => body ?? drain(o.createReadStream()))
      await t.rejects(got, { code: 'ERR_DISKFILE_QUARANTINED' }, `${size} bytes`)
      await o.close()
      t.equal(await b.quarantinedCount(), 1)
      await t.rejects(b.manager.open(name, { now: now() }), { code: 'ERR_DISKFILE_NOT_EXIST' })
    }
  })

  t.test('an aborted writer leaves nothing behind', async (t) => {
    const { manager: m } = await make()
    const name = objName()
    const w = await m.createWriter(name)
    await w.write(Buffer.from('half'))
    await w.abort()
    await w.abort()
    t.same(await m.listFiles(name), [])
    await t.rejects(m.open(name, { now: now() }), { code: 'ERR_DISKFILE_NOT_EXIST' })
  })

  t.test('async pendings are recorded per device and policy', async (t) => {
    const { manager: m } = await make()
    const update = { op: 'PUT' as const, account: 'a', container: 'c', obj: 'o', headers: { 'X-Size': '3' } }
    await m.writeAsyncPending('sda', 0, update, ts(1000))
    await m.writeAsyncPending('sda', 1, { ...update, op: 'DELETE' }, ts(1001))
    const list = await m.listAsyncPending('sda', 0)
    t.equal(list.length, 1)
    t.match(list[0]?.key, new RegExp(`^[0-9a-f]{3}/[0-9a-f]{32}-${ts(1000).internal.replace('.', '\\.')}$`))
    t.same(list[0]?.update.headers, { 'X-Size': '3' })
    t.equal((await m.listAsyncPending('sda', 1))[0]?.update.op, 'DELETE')
  })
}
