// The staging writer's large bodies: gathered into WRITE_BUFFER writes that run while the next
// buffer fills. The stored bytes and ETag must be exactly the body's, an abort with a write
// under way must leave nothing behind, and a failed background write must fail the PUT.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsDiskFileManager } from '../../../../object/diskfile/fs.ts'
import { EARLY_SYNC_BYTES, FsObjectWriter, WRITE_BUFFER } from '../../../../object/diskfile/fs-writer.ts'
import type { WriterHost } from '../../../../object/diskfile/fs-writer.ts'
import { asyncIo } from '../../../../object/diskfile/raw-fs.ts'
import { Timestamp } from '../../../../common/timestamp.ts'

async function manager(t: { teardown(fn: () => Promise<void>): void }): Promise<{ m: FsDiskFileManager; devices: string }> {
  const devices = await mkdtemp(join(tmpdir(), 'tern-writer-'))
  t.teardown(() => rm(devices, { recursive: true, force: true }))
  await mkdir(join(devices, 'sda'))
  return { m: new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } }), devices }
}

const name = { device: 'sda', partition: '1', account: 'a', container: 'c', obj: 'big', policy: 0 }

t.test('a body of several write buffers, in odd-sized chunks, is stored byte for byte', async (t) => {
  const { m, devices } = await manager(t)
  const body = randomBytes(2 * WRITE_BUFFER + 12_345)
  const w = await m.createWriter(name)
  for (let at = 0; at < body.length; at += 65_000) await w.write(body.subarray(at, at + 65_000))
  const etag = createHash('md5').update(body).digest('hex')
  t.equal(w.etag(), etag)
  t.equal(w.bytesWritten, body.length)
  const ts = Timestamp.fromSeconds(7)
  await w.commit(ts, { 'X-Timestamp': ts.internal, 'Content-Length': String(body.length), ETag: etag })
  const obj = await m.open(name, { now: Timestamp.fromSeconds(8) })
  t.teardown(() => obj.close())
  t.equal(obj.contentLength, body.length)
  t.equal(createHash('md5').update(await streamBytes(obj.createReadStream())).digest('hex'), etag, 'the whole body read back')
  const chunks: Buffer[] = []
  for await (const c of obj.createReadStream(0, 1000)) chunks.push(c as Buffer)
  t.same(Buffer.concat(chunks), body.subarray(0, 1000), 'the first bytes')
  t.equal(createHash('md5').update(await streamBytes(obj.createReadStream(WRITE_BUFFER - 10, body.length))).digest('hex'),
    createHash('md5').update(body.subarray(WRITE_BUFFER - 10)).digest('hex'), 'the bytes across the buffer boundaries')
  t.same(await readdir(join(devices, 'sda', 'tmp')), [], 'tmp left empty')
})

t.test('an abort while a buffer is being written leaves nothing behind', async (t) => {
  const { m, devices } = await manager(t)
  const w = await m.createWriter(name)
  // The write that fills the buffer returns with that buffer still going to the file.
  await w.write(randomBytes(WRITE_BUFFER))
  await w.write(randomBytes(1000))
  await w.abort()
  t.same(await readdir(join(devices, 'sda', 'tmp')), [], 'the staged file is gone')
  await t.rejects(m.open(name, { now: Timestamp.fromSeconds(8) }), { code: 'ERR_DISKFILE_NOT_EXIST' }, 'nothing stored')
})

t.test('a background write that fails fails the next write or the commit', async (t) => {
  let writes = 0
  const failing = { ...asyncIo, writev: async () => { writes++; throw Object.assign(new Error('no space'), { code: 'ENOSPC' }) }, close: async () => {} }
  const host: WriterHost<null> = { writeIo: failing, install: async () => { t.fail('never installed') }, cleanup: async () => {} }
  const w = new FsObjectWriter(host, null, join(tmpdir(), 'tern-writer-none'), -1)
  await w.write(Buffer.alloc(WRITE_BUFFER))
  t.equal(writes, 1, 'the full buffer went to the file in the background')
  const ts = Timestamp.fromSeconds(9)
  await t.rejects(w.commit(ts, { 'X-Timestamp': ts.internal }), { code: 'ERR_DISKFILE_NO_SPACE' })
  await w.abort()
})

/** A writer over fake I/O: writes succeed at once, fdatasync is the test's. */
function fakeWriter(fdatasync: (fd: number) => Promise<void>, events: string[]): FsObjectWriter<null> {
  const io = { ...asyncIo, writev: async (_fd: number, bufs: Buffer[]) => bufs.reduce((n, b) => n + b.length, 0), close: async () => { events.push('close') } }
  const host: WriterHost<null> = { writeIo: io, fdatasync, install: async () => { events.push('install') }, cleanup: async () => {} }
  // A real descriptor: the commit closes it directly once the data is synced.
  return new FsObjectWriter(host, null, join(tmpdir(), 'tern-writer-none'), openSync('/dev/null', 'r'))
}

t.test('a large body is fdatasynced in the background while it arrives, and once more at commit', async (t) => {
  const events: string[] = []
  const w = fakeWriter(async () => {
    events.push('sync')
    await new Promise((r) => setTimeout(r, 5))
    events.push('synced')
  }, events)
  const chunk = Buffer.alloc(64 * 1024)
  for (let n = 0; n < 2.5 * EARLY_SYNC_BYTES; n += chunk.length) await w.write(chunk)
  const before = events.filter((e) => e === 'sync').length
  t.ok(before >= 1, `background syncs before the commit: ${before}`)
  const ts = Timestamp.fromSeconds(9)
  await w.commit(ts, { 'X-Timestamp': ts.internal })
  t.equal(events.filter((e) => e === 'sync').length, before + 1, 'the commit syncs the tail')
  t.same(events.slice(-3), ['sync', 'synced', 'install'], 'installed only after the last sync ended')
  t.equal(events.filter((e) => e === 'sync').length, events.filter((e) => e === 'synced').length, 'no sync was left running')
})

t.test('a small body gets only the commit fdatasync', async (t) => {
  const events: string[] = []
  const w = fakeWriter(async () => { events.push('sync') }, events)
  await w.write(Buffer.alloc(EARLY_SYNC_BYTES - 1))
  const ts = Timestamp.fromSeconds(9)
  await w.commit(ts, { 'X-Timestamp': ts.internal })
  t.same(events, ['sync', 'install'])
})

t.test('a background fdatasync that fails fails the commit, and nothing is installed', async (t) => {
  const events: string[] = []
  let calls = 0
  const w = fakeWriter(async () => {
    if (calls++ === 0) throw Object.assign(new Error('I/O error'), { code: 'EIO' })
  }, events)
  await w.write(Buffer.alloc(EARLY_SYNC_BYTES))
  await w.write(Buffer.alloc(1000))
  const ts = Timestamp.fromSeconds(9)
  await t.rejects(w.commit(ts, { 'X-Timestamp': ts.internal }), { code: 'EIO' })
  t.notOk(events.includes('install'), 'not installed')
  await w.abort()
})

t.test('an abort waits for a background fdatasync before closing the file', async (t) => {
  const events: string[] = []
  let release = () => {}
  const w = fakeWriter(() => new Promise<void>((r) => {
    events.push('sync')
    release = () => { events.push('synced'); r() }
  }), events)
  await w.write(Buffer.alloc(EARLY_SYNC_BYTES))
  await w.write(Buffer.alloc(WRITE_BUFFER)) // lets the first buffer's write finish and start the sync
  t.ok(events.includes('sync'), 'a background sync is under way')
  const aborted = w.abort()
  await new Promise((r) => setTimeout(r, 10))
  t.notOk(events.includes('close'), 'not closed under the sync')
  release()
  await aborted
  t.same(events.slice(-2), ['synced', 'close'])
})

async function streamBytes(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
