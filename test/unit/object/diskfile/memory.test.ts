import t from 'tap'
import { MemoryDiskFileManager } from '../../../../object/diskfile/memory.ts'
import { diskFileCompliance } from '../../../suites/diskfile-compliance.ts'

diskFileCompliance(t, async () => {
  const manager = new MemoryDiskFileManager({ secrets: { prefix: 'p', suffix: 's' } })
  return {
    manager,
    corruptData: async (name, how) => manager.corruptData(name, how),
    quarantinedCount: async () => manager.quarantinedCount(),
  }
})

t.test('a write past the capacity fails as a full disk', async (t) => {
  const m = new MemoryDiskFileManager({ secrets: { prefix: 'p', suffix: 's' }, capacity: 10 })
  const name = { device: 'sda', partition: '1', account: 'a', container: 'c', obj: 'o', policy: 0 }
  await t.rejects(m.createWriter(name, { size: 11 }), { code: 'ERR_DISKFILE_NO_SPACE' })
  const w = await m.createWriter(name)
  await t.rejects(w.write(Buffer.alloc(11)), { code: 'ERR_DISKFILE_NO_SPACE' })
})
