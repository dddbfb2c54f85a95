// The account server over real HTTP: container rows merged by timestamp whatever the order,
// stats maintained incrementally, deletion and the 404 / 403 answers that follow it.
import t from 'tap'
import { startNode } from '../../helpers/db-server.ts'
import { createAccountServer } from '../../../account/server.ts'
import { Timestamp } from '../../../common/timestamp.ts'

const ts = (n: number) => Timestamp.fromSeconds(1_700_000_000 + n).internal
const row = (put: number, del: number, objects: number, bytes: number) => ({
  'X-Put-Timestamp': ts(put),
  'X-Delete-Timestamp': del ? ts(del) : '0',
  'X-Object-Count': objects,
  'X-Bytes-Used': bytes,
  'X-Timestamp': ts(put),
})

t.test('container rows: the newest report wins, stats follow', async (t) => {
  const node = await startNode(t, createAccountServer, 'account')
  t.equal((await node.request('PUT', '/sda/1/a', { 'X-Timestamp': ts(1) })).status, 201)
  t.equal((await node.request('PUT', '/sda/1/a', { 'X-Timestamp': ts(2) })).status, 202)
  t.equal((await node.request('PUT', '/sda/1/a/c1', row(10, 0, 5, 50))).status, 201)
  t.equal((await node.request('PUT', '/sda/1/a/c2', row(11, 0, 1, 10))).status, 201)
  t.equal((await node.request('PUT', '/sda/1/a/c1', row(10, 0, 7, 70))).status, 201, 'same put timestamp: new counts')
  t.equal((await node.request('PUT', '/sda/1/a/c1', row(5, 0, 1, 1))).status, 201, 'an older report is accepted')
  let head = await node.request('HEAD', '/sda/1/a')
  t.same([head.headers['x-account-container-count'], head.headers['x-account-object-count'], head.headers['x-account-bytes-used']], ['2', '8', '80'])
  t.equal(head.headers['x-account-storage-policy-policy-0-object-count'], '8')
  t.equal((await node.request('PUT', '/sda/1/a/c2', row(11, 12, 0, 0))).status, 204, 'deleted container row')
  t.equal((await node.request('PUT', '/sda/1/a/c2', row(11, 0, 3, 3))).status, 201, 'a report that misses the delete')
  head = await node.request('HEAD', '/sda/1/a')
  t.equal(head.headers['x-account-container-count'], '1', 'c2 stays deleted: its delete timestamp is kept')
  t.equal((await node.request('GET', '/sda/1/a')).body, 'c1\n')
})

t.test('account deletion', async (t) => {
  const node = await startNode(t, createAccountServer, 'account')
  await node.request('PUT', '/sda/1/a', { 'X-Timestamp': ts(1), 'X-Account-Meta-X': 'y' })
  t.equal((await node.request('HEAD', '/sda/1/a')).headers['x-account-meta-x'], 'y')
  const del = await node.request('DELETE', '/sda/1/a', { 'X-Timestamp': ts(2) })
  t.equal(del.status, 204)
  t.equal(del.headers['x-account-status'], 'Deleted')
  const head = await node.request('HEAD', '/sda/1/a')
  t.equal(head.status, 404)
  t.equal(head.headers['x-account-status'], 'Deleted')
  const put = await node.request('PUT', '/sda/1/a', { 'X-Timestamp': ts(3) })
  t.equal(put.status, 403)
  t.equal(put.body, 'Recently deleted')
  t.equal((await node.request('PUT', '/sda/1/a/c', row(4, 0, 0, 0))).status, 404, 'no container into a deleted account')
  const override = await node.request('PUT', '/sda/1/a/c', { ...row(4, 0, 0, 0), 'X-Account-Override-Deleted': 'yes' })
  t.equal(override.status, 201, 'unless told to override')
  t.equal((await node.request('GET', '/sda/9/never')).status, 404)
  t.equal((await node.request('GET', '/sdx/9/never')).status, 507)
})
