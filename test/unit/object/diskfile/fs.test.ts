import t from 'tap'
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsDiskFileManager } from '../../../../object/diskfile/fs.ts'
import { chooseFiles } from '../../../../object/diskfile/ondisk-files.ts'
import { Timestamp } from '../../../../common/timestamp.ts'
import { diskFileCompliance } from '../../../suites/diskfile-compliance.ts'
import { decodeTrailer } from '../../../../object/diskfile/format.ts'
import { encodeVersion1Trailer } from '../../../helpers/format-v1.ts'
import { crc32 } from 'node:zlib'

async function tempDevices(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tern-diskfile-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'sda'))
  return dir
}

for (const syncMetadataIo of [true, false]) t.test(`compliance, ${syncMetadataIo ? 'inline' : 'threadpool'} metadata I/O`, async (t) => diskFileCompliance(t, async () => {
  const devices = await tempDevices(t)
  const manager = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' }, syncMetadataIo })
  return {
    manager,
    corruptData: async (name, how) => {
      const dir = manager.paths(name).hashDir
      const data = chooseFiles(await readdir(dir)).data!
      const path = join(dir, data.name)
      if (how === 'truncate') {
        // Drop one body byte: keep the trailer intact so only the size disagrees.
        const bytes = await readFile(path)
        await writeFile(path, Buffer.concat([bytes.subarray(1)]))
      } else {
        const bytes = await readFile(path)
        bytes[0] = bytes[0]! ^ 0xff
        await writeFile(path, bytes)
      }
    },
    quarantinedCount: async () => (await readdir(join(devices, 'sda', 'quarantined', 'objects')).catch(() => [])).length,
  }
}))

t.test('the layout on disk is Swift\'s and tmp is left empty', async (t) => {
  const devices = await tempDevices(t)
  await mkdir(join(devices, 'sdb'))
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  const name = { device: 'sdb', partition: '12', account: 'a', container: 'c', obj: 'o', policy: 1 }
  const w = await m.createWriter(name)
  await w.write(Buffer.from('hello'))
  await w.commit(Timestamp.fromSeconds(5), { 'X-Timestamp': Timestamp.fromSeconds(5).internal, 'Content-Length': '5', ETag: w.etag() })
  const p = m.paths(name)
  t.equal(p.hashDir, join(devices, 'sdb', 'objects-1', '12', p.hash.slice(-3), p.hash))
  t.same(await readdir(p.hashDir), ['0000000005.00000.data'])
  t.same(await readdir(join(devices, 'sdb', 'tmp-1')), [])
  t.same(await m.invalidatedSuffixes('sdb', '12', 1), [p.hash.slice(-3)])
  const st = await stat(join(p.hashDir, '0000000005.00000.data'))
  t.ok(st.size > 5, 'the metadata travels inside the file')
})

t.test('a truncated trailer is quarantined', async (t) => {
  const devices = await tempDevices(t)
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  const name = { device: 'sda', partition: '1', account: 'a', container: 'c', obj: 'o', policy: 0 }
  const w = await m.createWriter(name)
  await w.write(Buffer.alloc(100, 1))
  await w.commit(Timestamp.fromSeconds(5), { 'X-Timestamp': Timestamp.fromSeconds(5).internal, 'Content-Length': '100', ETag: w.etag() })
  const path = join(m.paths(name).hashDir, '0000000005.00000.data')
  await truncate(path, 120)
  await t.rejects(m.open(name, { now: Timestamp.now() }), { code: 'ERR_DISKFILE_QUARANTINED' })
  t.equal((await readdir(join(devices, 'sda', 'quarantined', 'objects'))).length, 1)
})

t.test('fallocate_reserve refuses a write that would eat into the reserve', async (t) => {
  const devices = await tempDevices(t)
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' }, fallocateReserve: { value: 100, isPercent: true } })
  const name = { device: 'sda', partition: '1', account: 'a', container: 'c', obj: 'o', policy: 0 }
  await t.rejects(m.createWriter(name, { size: 1 }), { code: 'ERR_DISKFILE_NO_SPACE' })
})

t.test('a missing device folder is never created: writes fail as device unavailable', async (t) => {
  const devices = await tempDevices(t)
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  const name = { device: 'gone', partition: '1', account: 'a', container: 'c', obj: 'o', policy: 0 }
  await t.rejects(m.createWriter(name), { code: 'ERR_DISKFILE_DEVICE_UNAVAILABLE' })
  await t.rejects(m.writeAsyncPending('gone', 0, { op: 'PUT', account: 'a', container: 'c', obj: 'o', headers: {} }, Timestamp.now()), { code: 'ERR_DISKFILE_DEVICE_UNAVAILABLE' })
  t.same(await readdir(devices), ['sda'])
})

t.test('small objects opened together each keep their own body and metadata', async (t) => {
  const devices = await tempDevices(t)
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  const names = Array.from({ length: 8 }, (_, i) => ({ device: 'sda', partition: '1', account: 'a', container: 'c', obj: `o${i}`, policy: 0 }))
  // Sizes on both sides of the read-ahead (64 KiB): small ones are read whole in one pread.
  const sizes = [0, 1, 4096, 40_000, 65_536, 70_000, 3, 5000]
  for (const [i, name] of names.entries()) {
    const w = await m.createWriter(name)
    await w.write(Buffer.alloc(sizes[i]!, i + 1))
    const ts = Timestamp.fromSeconds(10 + i)
    await w.commit(ts, { 'X-Timestamp': ts.internal, 'Content-Length': String(sizes[i]), ETag: w.etag(), 'X-Object-Meta-N': String(i) })
  }
  const opened = await Promise.all(names.map((name) => m.open(name, { now: Timestamp.fromSeconds(100) })))
  for (const [i, obj] of opened.entries()) {
    t.equal(obj.metadata['X-Object-Meta-N'], String(i), `object ${i}: its metadata`)
    let body = await obj.readWholeBody()
    if (!body) {
      const chunks: Buffer[] = []
      for await (const c of obj.createReadStream()) chunks.push(c as Buffer)
      body = Buffer.concat(chunks)
    }
    t.ok(body.equals(Buffer.alloc(sizes[i]!, i + 1)), `object ${i}: its body (${sizes[i]} bytes)`)
    await obj.close()
  }
})

t.test('a format version 1 file (no body CRC) is read and its body checked against the ETag', async (t) => {
  const devices = await tempDevices(t)
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  // Rewrites a committed file with a version 1 trailer, as files written before version 2 are.
  const asVersion1 = async (name: typeof small, body: Buffer, flip: boolean) => {
    const w = await m.createWriter(name)
    await w.write(body)
    const metadata = { 'X-Timestamp': Timestamp.fromSeconds(5).internal, 'Content-Length': String(body.length), ETag: w.etag() }
    await w.commit(Timestamp.fromSeconds(5), metadata)
    const stored = Buffer.from(body)
    if (flip) stored[7] = stored[7]! ^ 0x10
    await writeFile(join(m.paths(name).hashDir, '0000000005.00000.data'), Buffer.concat([stored, encodeVersion1Trailer('data', metadata)]))
  }
  const small = { device: 'sda', partition: '1', account: 'a', container: 'c', obj: 'small', policy: 0 }
  const large = { ...small, obj: 'large' }
  const smallBody = Buffer.alloc(3000, 5)
  const largeBody = Buffer.alloc(300_000, 6)
  await asVersion1(small, smallBody, false)
  await asVersion1(large, largeBody, false)
  let o = await m.open(small, { now: Timestamp.now() })
  t.same(await o.readWholeBody(), smallBody)
  o = await m.open(large, { now: Timestamp.now() })
  t.equal(await o.readWholeBody(), undefined)
  t.same(Buffer.concat(await o.createReadStream().toArray()), largeBody)
  await o.close()

  await asVersion1(small, smallBody, true)
  await asVersion1(large, largeBody, true)
  o = await m.open(small, { now: Timestamp.now() })
  await t.rejects(o.readWholeBody(), { code: 'ERR_DISKFILE_QUARANTINED', message: /ETag/ })
  o = await m.open(large, { now: Timestamp.now() })
  await t.rejects(o.createReadStream().toArray(), { code: 'ERR_DISKFILE_QUARANTINED', message: /ETag/ })
  await o.close()
  t.equal((await readdir(join(devices, 'sda', 'quarantined', 'objects'))).length, 2)
})

t.test('a version 2 body is checked against its stored CRC-32', async (t) => {
  const devices = await tempDevices(t)
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  for (const [obj, size] of [['small', 3000], ['large', 300_000]] as const) {
    const name = { device: 'sda', partition: '1', account: 'a', container: 'c', obj, policy: 0 }
    const w = await m.createWriter(name)
    await w.write(Buffer.alloc(size, 9))
    await w.commit(Timestamp.fromSeconds(5), { 'X-Timestamp': Timestamp.fromSeconds(5).internal, 'Content-Length': String(size), ETag: w.etag() })
    const path = join(m.paths(name).hashDir, '0000000005.00000.data')
    const bytes = await readFile(path)
    t.equal(decodeTrailer(bytes, bytes.length).bodyCrc, crc32(Buffer.alloc(size, 9)), `${obj}: the writer stored the body's CRC-32`)
    bytes[size - 1] = bytes[size - 1]! ^ 0x01
    await writeFile(path, bytes)
    const o = await m.open(name, { now: Timestamp.now() })
    const read: Promise<unknown> = size > 60_000 ? o.createReadStream().toArray() : o.readWholeBody()
    await t.rejects(read, { code: 'ERR_DISKFILE_QUARANTINED', message: /CRC-32/ }, obj)
    await o.close()
  }
})
