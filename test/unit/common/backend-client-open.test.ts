// How BackendClient.open puts a request on the wire: without Expect the headers wait for the
// first body bytes and go out with them in one write; with Expect they go at once.
import t from 'tap'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { BackendClient } from '../../../common/backend-client.ts'

/** A TCP server that records what each connection received, chunk by chunk, and answers 201. */
async function recordingServer(t: { teardown(fn: () => void): void }): Promise<{ port: number; chunks: Buffer[] }> {
  const chunks: Buffer[] = []
  const server = net.createServer((socket) => {
    socket.on('data', (d: Buffer) => {
      chunks.push(d)
      if (Buffer.concat(chunks).includes('body!')) socket.end('HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  return { port: (server.address() as AddressInfo).port, chunks }
}

t.test('without Expect, nothing is sent until the body, then headers and body go together', async (t) => {
  const { port, chunks } = await recordingServer(t)
  const client = new BackendClient()
  t.teardown(() => client.close())
  const node = { ip: '127.0.0.1', port, device: 'sda' }
  const { req } = await client.open(node, 'PUT', '/sda/1/a/c/o', { 'Content-Length': '5' })
  await sleep(50)
  t.equal(chunks.length, 0, 'no bytes before the body')
  const answered = client.waitResponse(node, req)
  req.end('body!')
  t.equal((await answered).statusCode, 201)
  const received = Buffer.concat(chunks).toString('latin1')
  t.match(received, /^PUT \/sda\/1\/a\/c\/o HTTP\/1\.1\r\n[\s\S]*\r\n\r\nbody!$/)
  t.equal(chunks.length, 1, 'one segment: headers and body were written together')
})

t.test('with Expect, the headers go at once', async (t) => {
  const { port, chunks } = await recordingServer(t)
  const client = new BackendClient()
  t.teardown(() => client.close())
  const node = { ip: '127.0.0.1', port, device: 'sda' }
  // The server never says 100 Continue: open() waits, but the headers are on the wire.
  const opened = client.open(node, 'PUT', '/sda/1/a/c/o', { 'Content-Length': '5' }, { expectContinue: true })
  opened.catch(() => undefined)
  for (let i = 0; i < 50 && chunks.length === 0; i++) await sleep(10)
  t.match(Buffer.concat(chunks).toString('latin1'), /^PUT [^\r]+\r\n[\s\S]*expect: 100-continue\r\n[\s\S]*\r\n\r\n$/i)
})
