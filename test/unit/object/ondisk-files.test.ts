import t from 'tap'
import { Timestamp } from '../../../common/timestamp.ts'
import { chooseFiles, parseFileName } from '../../../object/diskfile/ondisk-files.ts'

const n = (s: number, ext: string, offset = 0) => `${Timestamp.fromSeconds(s, offset).internal}.${ext}`

t.test('file names parse with and without offsets; others are ignored', async (t) => {
  t.equal(parseFileName(n(5, 'data'))?.ext, 'data')
  t.equal(parseFileName(n(5, 'ts', 3))?.timestamp.offset, 3)
  t.equal(parseFileName('.hidden.abc123'), undefined)
  t.equal(parseFileName('0000000005.00000.durable'), undefined)
})

t.test('Swift\'s rules for which files count', async (t) => {
  const names = (r: ReturnType<typeof chooseFiles>) => ({
    data: r.data?.name, meta: r.meta?.name, ts: r.ts?.name, obsolete: r.obsolete.map((f) => f.name).sort(),
  })
  t.same(names(chooseFiles([n(1, 'data'), n(2, 'data'), n(3, 'meta'), n(1, 'meta')])),
    { data: n(2, 'data'), meta: n(3, 'meta'), ts: undefined, obsolete: [n(1, 'data'), n(1, 'meta')].sort() })
  t.same(names(chooseFiles([n(2, 'data'), n(2, 'ts')])), { data: undefined, meta: undefined, ts: n(2, 'ts'), obsolete: [n(2, 'data')] },
    'a tombstone wins a tie')
  t.same(names(chooseFiles([n(2, 'data', 1), n(2, 'ts')])), { data: n(2, 'data', 1), meta: undefined, ts: undefined, obsolete: [n(2, 'ts')] },
    'an offset breaks the tie')
  t.same(names(chooseFiles([n(3, 'meta'), n(4, 'meta')])), { data: undefined, meta: undefined, ts: undefined, obsolete: [n(3, 'meta')] },
    'orphan .meta files are not reported; only the newest is kept')
  t.same(names(chooseFiles([n(1, 'ts'), n(5, 'data')], Timestamp.fromSeconds(10))).obsolete, [n(1, 'ts')])
  t.same(names(chooseFiles([n(1, 'ts')], Timestamp.fromSeconds(10))), { data: undefined, meta: undefined, ts: undefined, obsolete: [n(1, 'ts')] },
    'a tombstone past reclaim_age goes')
  t.same(names(chooseFiles(['junk', n(1, 'data')])).obsolete, [], 'unknown files are left alone')
})
