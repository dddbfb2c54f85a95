// A keep-alive socket must not keep what was read through it: the proxy once held every
// socket's first response body (a listing page, ~1.7 MB) for the socket's whole life.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { BackendClient } from '../../../common/backend-client.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

t.test('a body read through a pooled socket is collectable once the caller drops it', async (t) => {
  const payload = Buffer.alloc(512 * 1024, 7)
  const server = http.createServer((_req, res) => res.end(payload))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const client = new BackendClient()
  t.teardown(() => client.close())
  const node = { ip: '127.0.0.1', port: (server.address() as AddressInfo).port, device: 'sda' }

  // Read in a function of its own, so that no variable here holds the body.
  const readFirst = async () => {
    const first = await client.request(node, { method: 'GET', path: '/a' })
    t.equal(first.body.length, payload.length)
    return new WeakRef(first.body)
  }
  const firstBody = await readFirst()
  // The socket goes back to the pool and serves the next request: it is still alive.
  const second = await client.request(node, { method: 'GET', path: '/b' })
  t.equal(second.body.length, payload.length)
  const pooled = Object.values(client.agentFor(node).freeSockets).flat()
  t.equal(pooled.length, 1, 'one keep-alive socket in the pool')

  for (let i = 0; i < 3 && firstBody.deref(); i++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc()
  }
  t.equal(firstBody.deref(), undefined, 'the first body was collected while its socket lives on')
})
