// The container server over real HTTP on loopback with devices in a temp folder: device
// checks, timestamp ordering whatever the arrival order, 409 on deleting a non-empty
// container, 404 with the delete timestamp, account updates, and data surviving a restart.
import t from 'tap'
import { Writable } from 'node:stream'
import { startNode, backendPath } from '../../helpers/db-server.ts'
import { createAccountServer } from '../../../account/server.ts'
import { createLogger } from '../../../common/logger.ts'
import { Timestamp } from '../../../common/timestamp.ts'

const ts = (n: number) => Timestamp.fromSeconds(1_700_000_000 + n).internal
const objHeaders = (n: number, size: number, etag = `etag-${n}`) => ({ 'X-Timestamp': ts(n), 'X-Size': size, 'X-Content-Type': 'text/plain', 'X-Etag': etag })

t.test('507 for a missing device or, with mount_check, one that is not a mount point', async (t) => {
  const node = await startNode(t)
  for (const method of ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']) {
    const r = await node.request(method, '/sdz/1/a/c', { 'X-Timestamp': ts(1) })
    t.equal(r.status, 507, `${method} on a missing device`)
  }
  const checked = await startNode(t, undefined, 'container', { overrides: { mountCheck: true } })
  const r = await checked.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(1) })
  t.equal(r.status, 507, 'a plain folder is not a mount point')
  t.match(r.body, /Drive: sda/)
})

t.test('the newest write wins whatever the arrival order', async (t) => {
  const node = await startNode(t)
  t.equal((await node.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(1) })).status, 201)
  t.equal((await node.request('PUT', '/sda/1/a/c/o', objHeaders(20, 200))).status, 201)
  t.equal((await node.request('PUT', '/sda/1/a/c/o', objHeaders(10, 100))).status, 201, 'an older PUT is accepted')
  t.equal((await node.request('DELETE', '/sda/1/a/c/o', { 'X-Timestamp': ts(15) })).status, 204, 'an older DELETE is accepted')
  let listing = JSON.parse((await node.request('GET', '/sda/1/a/c?format=json')).body)
  t.same(listing.map((e: { hash: string; bytes: number }) => [e.hash, e.bytes]), [['etag-20', 200]], 'the newest PUT stays')
  t.equal((await node.request('DELETE', '/sda/1/a/c/o', { 'X-Timestamp': ts(30) })).status, 204)
  t.equal((await node.request('GET', '/sda/1/a/c?format=json')).body, '[]', 'a newer DELETE removes it')
  t.equal((await node.request('PUT', '/sda/1/a/c/o', objHeaders(25, 1))).status, 201)
  t.equal((await node.request('GET', '/sda/1/a/c?format=json')).body, '[]', 'a PUT older than the DELETE does not resurrect it')

  // Many concurrent writes of one name with shuffled timestamps: the newest wins, stats agree.
  const order = Array.from({ length: 40 }, (_, i) => 100 + i).sort(() => Math.random() - 0.5)
  await Promise.all(order.map((n) => node.request('PUT', '/sda/1/a/c/hot', objHeaders(n, n))))
  await Promise.all(Array.from({ length: 30 }, (_, i) => node.request('PUT', `/sda/1/a/c/cold-${i}`, objHeaders(200 + i, 1))))
  listing = JSON.parse((await node.request('GET', '/sda/1/a/c?format=json&prefix=hot')).body)
  t.same(listing.map((e: { hash: string }) => e.hash), ['etag-139'])
  const head = await node.request('HEAD', '/sda/1/a/c')
  t.equal(head.headers['x-container-object-count'], '31')
  t.equal(head.headers['x-container-bytes-used'], String(139 + 30))
})

t.test('container lifecycle: 409 while not empty, 404 with the delete timestamp', async (t) => {
  const node = await startNode(t)
  t.equal((await node.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(1), 'X-Container-Meta-A': '1' })).status, 201)
  t.equal((await node.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(2) })).status, 202, 'existing container')
  t.equal((await node.request('PUT', '/sda/1/a/c/o', objHeaders(3, 5))).status, 201)
  t.equal((await node.request('DELETE', '/sda/1/a/c', { 'X-Timestamp': ts(4) })).status, 409, 'not empty')
  t.equal((await node.request('HEAD', '/sda/1/a/c')).status, 204, 'still there')
  t.equal((await node.request('DELETE', '/sda/1/a/c/o', { 'X-Timestamp': ts(5) })).status, 204)
  t.equal((await node.request('DELETE', '/sda/1/a/c', { 'X-Timestamp': ts(6) })).status, 204)
  const head = await node.request('HEAD', '/sda/1/a/c')
  t.equal(head.status, 404)
  t.equal(head.headers['x-backend-delete-timestamp'], ts(6))
  t.equal(head.headers['x-backend-put-timestamp'], ts(2))
  t.equal(head.headers['x-container-object-count'], undefined, 'no stats for a deleted container')
  const get = await node.request('GET', '/sda/1/a/c')
  t.equal(get.status, 404)
  t.equal(get.headers['x-backend-delete-timestamp'], ts(6))
  t.equal((await node.request('POST', '/sda/1/a/c', { 'X-Timestamp': ts(7) })).status, 404)
  t.equal((await node.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(5) })).status, 409, 'a PUT older than the DELETE')
  t.equal((await node.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(8) })).status, 201, 'recreated')
  const again = await node.request('HEAD', '/sda/1/a/c')
  t.equal(again.headers['x-container-meta-a'], undefined, 'metadata cleared by the DELETE')
  t.equal(again.headers['x-backend-status-changed-at'], ts(8))
  t.equal((await node.request('DELETE', '/sda/1/a/missing', { 'X-Timestamp': ts(9) })).status, 404)
  t.equal((await node.request('PUT', '/sda/1/a/missing/o', objHeaders(9, 1))).status, 404, 'no row into a missing container')
  t.equal((await node.request('PUT', '/sda/1/.auto/c/o', objHeaders(9, 1))).status, 201, 'auto-created account prefix')
  t.equal((await node.request('COPY', '/sda/1/a/c')).status, 405)
})

t.test('metadata merges per key by timestamp', async (t) => {
  const node = await startNode(t)
  await node.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(1) })
  t.equal((await node.request('POST', '/sda/1/a/c', { 'X-Timestamp': ts(5), 'X-Container-Meta-Color': 'new' })).status, 204)
  await node.request('POST', '/sda/1/a/c', { 'X-Timestamp': ts(3), 'X-Container-Meta-Color': 'old', 'X-Container-Meta-Shape': 'square' })
  const head = await node.request('HEAD', '/sda/1/a/c')
  t.equal(head.headers['x-container-meta-color'], 'new', 'older value ignored')
  t.equal(head.headers['x-container-meta-shape'], 'square', 'other keys of the older POST applied')
  t.equal(head.headers['x-put-timestamp'], Timestamp.parse(ts(5)).normal, 'POST moves the put timestamp')
  const many: Record<string, string> = { 'X-Timestamp': ts(9) }
  for (let i = 0; i < 91; i++) many[`X-Container-Meta-K${i}`] = 'v'
  const tooMany = await node.request('POST', '/sda/1/a/c', many)
  t.equal(tooMany.status, 400)
  t.equal(tooMany.body, 'Too many metadata items; max 90')
})

t.test('PUT and DELETE of a container update the account server', async (t) => {
  const account = await startNode(t, createAccountServer, 'account')
  const lines: string[] = []
  const logger = createLogger({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) })
  const node = await startNode(t, undefined, 'container', { logger })
  t.equal((await account.request('PUT', '/sda/1/AUTH_x', { 'X-Timestamp': ts(0) })).status, 201)
  const accountHeaders = { 'X-Account-Host': `127.0.0.1:${account.port}`, 'X-Account-Device': 'sda', 'X-Account-Partition': '1' }
  t.equal((await node.request('PUT', '/sda/7/AUTH_x/photos', { 'X-Timestamp': ts(1), ...accountHeaders })).status, 201)
  await node.request('PUT', '/sda/7/AUTH_x/photos/a.jpg', objHeaders(2, 1000))
  t.equal((await node.request('PUT', '/sda/7/AUTH_x/photos', { 'X-Timestamp': ts(3), ...accountHeaders })).status, 202)
  let listing = JSON.parse((await account.request('GET', '/sda/1/AUTH_x?format=json')).body)
  t.same(listing.map((e: { name: string; count: number; bytes: number }) => [e.name, e.count, e.bytes]), [['photos', 1, 1000]])
  await node.request('DELETE', '/sda/7/AUTH_x/photos/a.jpg', { 'X-Timestamp': ts(4) })
  t.equal((await node.request('DELETE', '/sda/7/AUTH_x/photos', { 'X-Timestamp': ts(5), ...accountHeaders })).status, 204)
  listing = JSON.parse((await account.request('GET', '/sda/1/AUTH_x?format=json')).body)
  t.same(listing, [], 'the deleted container left the account listing')
  t.equal((await account.request('HEAD', '/sda/1/AUTH_x')).headers['x-account-container-count'], '0')

  // Every account server answering 404 makes the container PUT answer 404.
  const missing = await node.request('PUT', '/sda/7/AUTH_nobody/c', { 'X-Timestamp': ts(6), ...accountHeaders })
  t.equal(missing.status, 404)
  // An unreachable account server is logged, and the PUT still succeeds.
  const unreachable = { 'X-Account-Host': '127.0.0.1:1', 'X-Account-Device': 'sda', 'X-Account-Partition': '1' }
  t.equal((await node.request('PUT', '/sda/7/AUTH_x/other', { 'X-Timestamp': ts(7), ...unreachable })).status, 201)
  t.ok(lines.some((l) => l.includes('account update failed') && l.includes('"port":1')), 'failure logged')
  t.equal((await node.request('PUT', '/sda/7/AUTH_x/bad', { 'X-Timestamp': ts(8), 'X-Account-Host': 'a:1,b:2', 'X-Account-Device': 'sda', 'X-Account-Partition': '1' })).status, 400)
})

t.test('data survives closing and reopening the device databases', async (t) => {
  const first = await startNode(t)
  await first.request('PUT', '/sda/1/a/c', { 'X-Timestamp': ts(1) })
  await first.request('PUT', backendPath('sda', '1', 'a', 'c', 'ü/x'), objHeaders(2, 3))
  await first.server.close()
  const second = await startNode(t, undefined, 'container', { root: first.root })
  const r = await second.request('GET', '/sda/1/a/c?delimiter=/')
  t.equal(r.body, 'ü/\n')
  t.equal((await second.request('HEAD', '/sda/1/a/c')).headers['x-container-object-count'], '1')
})
