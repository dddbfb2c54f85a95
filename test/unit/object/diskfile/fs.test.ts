import t from 'tap'
import { mkdtemp, readdir, readFile, rm, truncate, writeFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsDiskFileManager } from '../../../../object/diskfile/fs.ts'
import { chooseFiles } from '../../../../object/diskfile/ondisk-files.ts'
import { diskFileCompliance } from '../../../suites/diskfile-compliance.ts'

async function tempDevices(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tern-diskfile-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
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
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  const name = { device: 'sda', partition: '12', account: 'a', container: 'c', obj: 'o', policy: 1 }
  const w = await m.createWriter(name)
  await w.write(Buffer.from('hello'))
  const { Timestamp } = await import('../../../../common/timestamp.ts')
  await w.commit(Timestamp.fromSeconds(5), { 'X-Timestamp': Timestamp.fromSeconds(5).internal, 'Content-Length': '5', ETag: w.etag() })
  const p = m.paths(name)
  t.equal(p.hashDir, join(devices, 'sda', 'objects-1', '12', p.hash.slice(-3), p.hash))
  t.same(await readdir(p.hashDir), ['0000000005.00000.data'])
  t.same(await readdir(join(devices, 'sda', 'tmp-1')), [])
  t.same(await m.invalidatedSuffixes('sda', '12', 1), [p.hash.slice(-3)])
  const st = await stat(join(p.hashDir, '0000000005.00000.data'))
  t.ok(st.size > 5, 'the metadata travels inside the file')
})

t.test('a truncated trailer is quarantined', async (t) => {
  const devices = await tempDevices(t)
  const m = new FsDiskFileManager({ devices, secrets: { prefix: 'p', suffix: 's' } })
  const name = { device: 'sda', partition: '1', account: 'a', container: 'c', obj: 'o', policy: 0 }
  const w = await m.createWriter(name)
  await w.write(Buffer.alloc(100, 1))
  const { Timestamp } = await import('../../../../common/timestamp.ts')
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
  const { mkdir } = await import('node:fs/promises')
  await mkdir(join(devices, 'sda'))
  await t.rejects(m.createWriter(name, { size: 1 }), { code: 'ERR_DISKFILE_NO_SPACE' })
})
