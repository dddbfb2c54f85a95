// A do-nothing HTTP server on loopback for `npm run bench -- --target sink`: it speaks just
// enough of the Swift API (tempauth v1.0, PUT/GET/HEAD/DELETE of objects, container PUT) for the
// load generator's own client code to run against it, storing only each object's length and
// answering GETs from one shared buffer. Its figures are the ceiling of client + loopback HTTP.
// Run as a child process: prints "listening <port>" on stdout, stops on SIGTERM or stdin close.
import http from 'node:http'

const MAX = 64 * 1024 * 1024
const zeros = Buffer.alloc(MAX, 0x61)
const lengths = new Map<string, number>()

const server = http.createServer({ keepAlive: true, requestTimeout: 0 }, (req, res) => {
  const path = (req.url ?? '/').split('?')[0]!
  if (path === '/auth/v1.0') {
    const port = (server.address() as { port: number }).port
    res.writeHead(200, { 'x-storage-url': `http://127.0.0.1:${port}/v1/AUTH_sink`, 'x-auth-token': 'AUTH_tksink', 'content-length': 0 })
    return res.end()
  }
  if (req.method === 'PUT') {
    let n = 0
    req.on('data', (c: Buffer) => (n += c.length))
    req.on('end', () => {
      lengths.set(path, n)
      res.writeHead(201, { 'content-length': 0, etag: 'sink' })
      res.end()
    })
    return
  }
  req.resume()
  const n = lengths.get(path)
  if (req.method === 'DELETE') {
    lengths.delete(path)
    res.writeHead(n === undefined ? 404 : 204, { 'content-length': 0 })
    return res.end()
  }
  if (n === undefined) {
    res.writeHead(404, { 'content-length': 0 })
    return res.end()
  }
  res.writeHead(200, { 'content-length': n, 'content-type': 'application/octet-stream' })
  if (req.method === 'HEAD') return res.end()
  res.end(zeros.subarray(0, Math.min(n, MAX)))
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`)
})
const stop = () => {
  server.close()
  server.closeAllConnections()
  process.stdin.destroy()
}
process.once('SIGTERM', stop)
process.stdin.on('end', stop)
process.stdin.resume()
