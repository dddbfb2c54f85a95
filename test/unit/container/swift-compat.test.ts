// The container server answers as Debian's Swift 2.30 container server does, byte for byte,
// for listings in every format and parameter combination and for the status codes of
// out-of-order and conflicting writes (fixtures captured by
// test/fixtures/swift-db-servers/capture.py).
import t from 'tap'
import { startNode } from '../../helpers/db-server.ts'
import { loadCaptured, replay } from '../../helpers/swift-replay.ts'

t.test('replays Swift container server answers', async (t) => {
  const node = await startNode(t)
  const steps = loadCaptured('container')
  t.ok(steps.length > 60, 'fixture has the captured requests')
  await replay(t, node, steps)
})
