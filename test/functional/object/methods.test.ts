// Every method of the object server over real HTTP with a real device in a temp folder.
import t from 'tap'
import { createHash } from 'node:crypto'
import { nextTimestamp, putHeaders, request, startObjectServer } from '../../helpers/object-server.ts'

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex')
const path = '/sda/3/AUTH_test/cont/some/obj'

t.test('PUT, GET, HEAD, POST, DELETE round trip', async (t) => {
  const s = await startObjectServer(t)
  const t1 = nextTimestamp()
  const body = 'hello object server'
  const put = await request(s.port, 'PUT', path, putHeaders(t1, body, {
    'Content-Type': 'text/plain', 'X-Object-Meta-Color': 'blue', 'X-Object-Sysmeta-Thing': 'sys',
    'Content-Disposition': 'inline', 'X-Unknown': 'dropped', ETag: md5(body),
  }), body)
  t.equal(put.status, 201)
  t.equal(put.headers.etag, `"${md5(body)}"`)

  const get = await request(s.port, 'GET', path)
  t.equal(get.status, 200)
  t.equal(get.body.toString(), body)
  t.equal(get.headers['content-type'], 'text/plain')
  t.equal(get.headers['x-object-meta-color'], 'blue')
  t.equal(get.headers['x-object-sysmeta-thing'], 'sys')
  t.equal(get.headers['content-disposition'], 'inline')
  t.equal(get.headers['x-unknown'], undefined)
  t.equal(get.headers.etag, `"${md5(body)}"`)
  t.equal(get.headers['x-timestamp'], t1.normal)
  t.equal(get.headers['x-backend-timestamp'], t1.internal)
  t.equal(get.headers['last-modified'], new Date(Math.ceil(t1.seconds) * 1000).toUTCString())

  const head = await request(s.port, 'HEAD', path)
  t.equal(head.status, 200)
  t.equal(head.headers['content-length'], String(body.length))
  t.equal(head.body.length, 0)

  const t2 = nextTimestamp()
  const post = await request(s.port, 'POST', path, { 'X-Timestamp': t2.internal, 'X-Object-Meta-Shape': 'round', 'Content-Type': 'text/x-new' })
  t.equal(post.status, 202)
  t.equal(post.headers['x-backend-content-type'], 'text/x-new')
  t.equal(post.headers['x-object-sysmeta-thing'], 'sys')
  const afterPost = await request(s.port, 'HEAD', path)
  t.equal(afterPost.headers['x-object-meta-shape'], 'round')
  t.equal(afterPost.headers['x-object-meta-color'], undefined, 'POST replaces user metadata')
  t.equal(afterPost.headers['x-object-sysmeta-thing'], 'sys', 'sysmeta survives a POST')
  t.equal(afterPost.headers['content-disposition'], undefined)
  t.equal(afterPost.headers['content-type'], 'text/x-new')
  t.equal(afterPost.headers['x-backend-timestamp'], t2.internal)
  t.equal(afterPost.headers['x-backend-data-timestamp'], t1.internal)
  t.equal(afterPost.headers.etag, `"${md5(body)}"`)

  const t3 = nextTimestamp()
  const del = await request(s.port, 'DELETE', path, { 'X-Timestamp': t3.internal })
  t.equal(del.status, 204)
  t.equal(del.headers['x-backend-timestamp'], t3.internal)
  t.equal(del.headers['x-backend-content-type'], 'text/x-new')
  const gone = await request(s.port, 'GET', path)
  t.equal(gone.status, 404)
  t.equal(gone.headers['x-backend-timestamp'], t3.internal)
  t.match(gone.body.toString(), /Not Found/)
  const headGone = await request(s.port, 'HEAD', path)
  t.equal(headGone.status, 404)
  t.equal(headGone.headers['x-backend-timestamp'], t3.internal)
  const postGone = await request(s.port, 'POST', path, { 'X-Timestamp': nextTimestamp().internal })
  t.equal(postGone.status, 404)

  const t4 = nextTimestamp()
  const del2 = await request(s.port, 'DELETE', '/sda/3/AUTH_test/cont/never-there', { 'X-Timestamp': t4.internal })
  t.equal(del2.status, 404, 'DELETE of nothing is 404')
  const files = await s.diskfile.listFiles({ device: 'sda', partition: '3', account: 'AUTH_test', container: 'cont', obj: 'never-there', policy: 0 })
  t.same(files, [`${t4.internal}.ts`], '... but still writes the tombstone')
  const late = await request(s.port, 'PUT', '/sda/3/AUTH_test/cont/never-there', putHeaders(nextTimestamp().withOffset(0), 'x'), 'x')
  t.equal(late.status, 201)
})

t.test('request errors answer as Swift does', async (t) => {
  const s = await startObjectServer(t)
  const ts = nextTimestamp()
  t.equal((await request(s.port, 'PUT', path, { 'Content-Length': 1, 'Content-Type': 'a/b' }, 'x')).status, 400, 'no X-Timestamp')
  t.equal((await request(s.port, 'PUT', path, { 'X-Timestamp': 'nope', 'Content-Length': 1, 'Content-Type': 'a/b' }, 'x')).body.toString(), 'Invalid X-Timestamp header')
  const noType = await request(s.port, 'PUT', path, { 'X-Timestamp': ts.internal, 'Content-Length': 1 }, 'x')
  t.equal(noType.status, 400)
  t.equal(noType.body.toString(), 'No content type')
  const past = await request(s.port, 'PUT', path, putHeaders(ts, 'x', { 'X-Delete-At': String(Math.floor(ts.seconds) - 10) }), 'x')
  t.equal(past.status, 400)
  t.equal(past.body.toString(), 'X-Delete-At in past')
  t.equal((await request(s.port, 'GET', '/sda/3/AUTH_test/cont')).status, 400, 'no object name')
  t.equal((await request(s.port, 'COPY', path)).status, 405)
  t.equal((await request(s.port, 'GET', path, { 'X-Backend-Storage-Policy-Index': 'x' })).status, 503)
  const big = await request(s.port, 'PUT', path, { 'X-Timestamp': ts.internal, 'Content-Type': 'a/b', 'X-Object-Meta-Big': 'x'.repeat(300), 'Content-Length': 1 }, 'x')
  t.equal(big.status, 400)
})

t.test('policy index places the object under objects-N', async (t) => {
  const s = await startObjectServer(t)
  const ts = nextTimestamp()
  const put = await request(s.port, 'PUT', path, putHeaders(ts, 'p1', { 'X-Backend-Storage-Policy-Index': '1' }), 'p1')
  t.equal(put.status, 201)
  t.equal((await request(s.port, 'GET', path)).status, 404, 'not in policy 0')
  const get = await request(s.port, 'GET', path, { 'X-Backend-Storage-Policy-Index': '1' })
  t.equal(get.body.toString(), 'p1')
  const files = await s.diskfile.listFiles({ device: 'sda', partition: '3', account: 'AUTH_test', container: 'cont', obj: 'some/obj', policy: 1 })
  t.same(files, [`${ts.internal}.data`])
})

t.test('X-Delete-At: the object expires and the expirer queue is told', async (t) => {
  const s = await startObjectServer(t)
  const ts = nextTimestamp()
  const deleteAt = Math.floor(Date.now() / 1000) + 2
  const put = await request(s.port, 'PUT', path, putHeaders(ts, 'x', {
    'X-Delete-At': String(deleteAt), 'X-Delete-At-Host': '127.0.0.1:1', 'X-Delete-At-Partition': '9',
    'X-Delete-At-Device': 'sdz', 'X-Delete-At-Container': String(deleteAt - (deleteAt % 86400)),
  }), 'x')
  t.equal(put.status, 201)
  t.equal((await request(s.port, 'HEAD', path)).headers['x-delete-at'], String(deleteAt))
  const later = (deleteAt + 1).toFixed(5)
  const expired = await request(s.port, 'GET', path, { 'X-Timestamp': later })
  t.equal(expired.status, 404)
  t.equal(expired.headers['x-backend-timestamp'], ts.internal)
  const pending = await s.diskfile.listAsyncPending('sda', 0)
  t.equal(pending.length, 1)
  t.equal(pending[0]?.update.account, '.expiring_objects')
  t.equal(pending[0]?.update.obj, `${deleteAt}-AUTH_test/cont/some/obj`)
  // The expirer's DELETE: only the version it queued.
  const wrong = await request(s.port, 'DELETE', path, { 'X-Timestamp': later, 'X-If-Delete-At': String(deleteAt + 5) })
  t.equal(wrong.status, 412)
  const right = await request(s.port, 'DELETE', path, { 'X-Timestamp': later, 'X-If-Delete-At': String(deleteAt) })
  t.equal(right.status, 204)
})

t.test('the memory twin can stand in for the fs diskfile behind the server', async (t) => {
  const { createObjectServer } = await import('../../../object/server.ts')
  const { MemoryDiskFileManager } = await import('../../../object/diskfile/memory.ts')
  const { parseObjectServerConfig } = await import('../../../object/config.ts')
  const { parseIni } = await import('../../../common/config/ini.ts')
  const { silentLogger } = await import('../../../common/logger.ts')
  const { SECRETS } = await import('../../helpers/object-server.ts')
  const { mkdtemp, mkdir, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const devices = await mkdtemp(join(tmpdir(), 'tern-objmem-'))
  await mkdir(join(devices, 'sda'))
  const diskfile = new MemoryDiskFileManager({ secrets: SECRETS })
  const config = parseObjectServerConfig(parseIni(`[DEFAULT]\ndevices = ${devices}\nmount_check = false\n`), SECRETS)
  const server = createObjectServer(config, silentLogger, { diskfile })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await rm(devices, { recursive: true, force: true })
  })
  const port = (server.address() as import('node:net').AddressInfo).port
  const ts = nextTimestamp()
  t.equal((await request(port, 'PUT', path, putHeaders(ts, 'in memory'), 'in memory')).status, 201)
  t.equal((await request(port, 'GET', path)).body.toString(), 'in memory')
  t.same(await diskfile.listFiles({ device: 'sda', partition: '3', account: 'AUTH_test', container: 'cont', obj: 'some/obj', policy: 0 }), [`${ts.internal}.data`])
})
