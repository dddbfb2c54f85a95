import t from 'tap'
import { NODE_YOUNG_GC_BYTES, PROXY_YOUNG_GC_BYTES, noteBodyBytes, setYoungGc } from '../../../common/young-gc.ts'

for (const every of [NODE_YOUNG_GC_BYTES, PROXY_YOUNG_GC_BYTES]) t.test(`a young-generation collection every ${every} body bytes, none in between`, async (t) => {
  const calls: unknown[] = []
  const previous = setYoungGc((options) => {
    calls.push(options)
  })
  t.teardown(() => {
    setYoungGc(previous)
  })
  const chunk = 64 * 1024
  const perGc = every / chunk
  for (let i = 0; i < perGc - 1; i++) noteBodyBytes(chunk, every)
  t.equal(calls.length, 0, 'not before that many bytes')
  noteBodyBytes(chunk, every)
  t.same(calls, [{ type: 'minor' }])
  for (let i = 0; i < perGc * 3; i++) noteBodyBytes(chunk, every)
  t.equal(calls.length, 4, 'one per that many bytes after that')
})

t.test('without gc() (no --expose-gc) counting bytes does nothing', async (t) => {
  const previous = setYoungGc(undefined)
  t.teardown(() => {
    setYoungGc(previous)
  })
  t.doesNotThrow(() => {
    for (let i = 0; i < 1000; i++) noteBodyBytes(1024 * 1024, PROXY_YOUNG_GC_BYTES)
  })
})

