import t from 'tap'
import { LineBatch, createLogger } from '../../../common/logger.ts'

t.test('lines logged in one turn of the event loop leave in one write at the next', async (t) => {
  const writes: string[] = []
  const batch = new LineBatch({ write: (text: string) => writes.push(text) })
  const logger = createLogger({ stream: batch, bindings: { server: 'test' } })
  logger.info('one', { n: 1 })
  logger.child({ txn: 'tx1' }).info('two')
  t.same(writes, [], 'nothing is written synchronously')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(writes.length, 1)
  const lines = writes[0]!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  t.same(lines.map((l) => [l.msg, l.server, l.txn]), [['one', 'test', undefined], ['two', 'test', 'tx1']])
  logger.warn('three')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(writes.length, 2, 'a later turn makes a write of its own')
})

t.test('flush() writes what is pending at once, and nothing when nothing is', async (t) => {
  const writes: string[] = []
  const batch = new LineBatch({ write: (text: string) => writes.push(text) })
  batch.write('a\n')
  batch.write('b\n')
  batch.flush()
  t.same(writes, ['a\nb\n'])
  batch.flush()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(writes, ['a\nb\n'], 'the scheduled flush finds nothing left')
})
