// The account server answers as Debian's Swift 2.30 account server does, byte for byte
// (fixtures captured by test/fixtures/swift-db-servers/capture.py).
import t from 'tap'
import { startNode } from '../../helpers/db-server.ts'
import { loadCaptured, replay } from '../../helpers/swift-replay.ts'
import { createAccountServer } from '../../../account/server.ts'

t.test('replays Swift account server answers', async (t) => {
  const node = await startNode(t, createAccountServer, 'account')
  const steps = loadCaptured('account')
  t.ok(steps.length > 40, 'fixture has the captured requests')
  // Swift quotes the WSGI (latin-1) form of a bad path in its 400 message; Tern quotes the
  // decoded path. Only that message differs.
  await replay(t, node, steps, (s) => s.status === 400 && s.body.startsWith('Invalid path'))
})
