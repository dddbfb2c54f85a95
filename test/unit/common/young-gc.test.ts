import t from 'tap'
import { YOUNG_GC_BYTES, noteBodyBytes, setYoungGc } from '../../../common/young-gc.ts'

t.test('a young-generation collection every YOUNG_GC_BYTES of body bytes, none in between', async (t) => {
  const calls: unknown[] = []
  const previous = setYoungGc((options) => {
    calls.push(options)
  })
  t.teardown(() => {
    setYoungGc(previous)
  })
  const chunk = 64 * 1024
  const perGc = YOUNG_GC_BYTES / chunk
  for (let i = 0; i < perGc - 1; i++) noteBodyBytes(chunk)
  t.equal(calls.length, 0, 'not before YOUNG_GC_BYTES')
  noteBodyBytes(chunk)
  t.same(calls, [{ type: 'minor' }])
  for (let i = 0; i < perGc * 3; i++) noteBodyBytes(chunk)
  t.equal(calls.length, 4, 'one per YOUNG_GC_BYTES after that')
})

t.test('without gc() (no --expose-gc) counting bytes does nothing', async (t) => {
  const previous = setYoungGc(undefined)
  t.teardown(() => {
    setYoungGc(previous)
  })
  t.doesNotThrow(() => {
    for (let i = 0; i < 1000; i++) noteBodyBytes(1024 * 1024)
  })
})

