// The staging writer's large bodies: gathered into WRITE_BUFFER writes that run while the next
// buffer fills. The stored bytes and ETag must be exactly the body's, an abort with a write
// under way must leave nothing behind, and a failed background write must fail the PUT.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsDiskFileManager } from '../../../../object/diskfile/fs.ts'
import { FsObjectWriter, WRITE_BUFFER } from '../../../../object/diskfile/fs-writer.ts'
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

async function streamBytes(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
