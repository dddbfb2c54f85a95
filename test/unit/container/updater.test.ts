// The container updater in process: a container server and two account servers on loopback.
// Object rows merged into a container reach both accounts' listings in one pass; an unchanged
// container is not sent again; a later change is; an account server down leaves a majority
// short and the container is retried on the next pass.
import t from 'tap'
import { parseIni } from '../../../common/config/ini.ts'
import { silentLogger } from '../../../common/logger.ts'
import { createAccountServer } from '../../../account/server.ts'
import { createContainerServer } from '../../../container/server.ts'
import { Ring } from '../../../ring/ring.ts'
import type { RingDevice } from '../../../ring/types.ts'
import { parseDaemonConfig } from '../../../replicator/config.ts'
import { ContainerUpdater } from '../../../container/updater.ts'
import { backendPath, nextTs, startNode } from '../../helpers/db-server.ts'
import type { TestNode } from '../../helpers/db-server.ts'

const cont = await startNode(t, createContainerServer, 'container')
const accounts = [await startNode(t, createAccountServer, 'account'), await startNode(t, createAccountServer, 'account')] as const
const dev = (id: number, n: TestNode): RingDevice => ({ id, region: 1, zone: id + 1, ip: '127.0.0.1', port: n.port, replication_ip: '127.0.0.1', replication_port: n.port, device: 'sda', weight: 1, meta: '' })
const secrets = { secrets: cont.config.hashPath }
// Part power 1. Containers: one replica, both partitions on the one container server.
const containerRing = Ring.fromData({ devs: [dev(0, cont)], replica2part2dev: [Uint16Array.from([0, 0])], partShift: 31 }, secrets)
// Accounts: two replicas, every partition on both account servers.
const accountRing = Ring.fromData({ devs: accounts.map((n, i) => dev(i, n)), replica2part2dev: [Uint16Array.from([0, 1]), Uint16Array.from([1, 0])], partShift: 31 }, secrets)

const ini = parseIni(`[DEFAULT]\ndevices = ${cont.root}\nmount_check = false\nbind_ip = 127.0.0.1\nslowdown = 0\n[app:container-server]\nbind_port = ${cont.port}\n[container-updater]\n`)
const updater = new ContainerUpdater({ config: parseDaemonConfig(ini, 'container-updater', cont.config.hashPath), containerRing, accountRing, logger: silentLogger })
t.teardown(() => updater.close())

const apart = String(accountRing.getPart('a'))
const cpart = String(containerRing.getPart('a', 'c'))
t.before(async () => {
  for (const a of accounts) {
    const r = await a.request('PUT', backendPath('sda', apart, 'a'), { 'X-Timestamp': nextTs() })
    if (r.status !== 201) throw new Error(`account PUT answered ${r.status}`)
  }
  // No X-Account-* headers: the container server tells no account about this container itself.
  const r = await cont.request('PUT', backendPath('sda', cpart, 'a', 'c'), { 'X-Timestamp': nextTs() })
  if (r.status !== 201) throw new Error(`container PUT answered ${r.status}`)
})

const sizes = [11, 22, 33]
async function putObject(name: string, size: number) {
  const r = await cont.request('PUT', backendPath('sda', cpart, 'a', 'c', name), { 'X-Timestamp': nextTs(), 'X-Size': size, 'X-Content-Type': 'text/plain', 'X-Etag': 'e'.repeat(32) })
  t.equal(r.status, 201)
}
async function accountListing(n: TestNode): Promise<{ name: string; count: number; bytes: number }[]> {
  const r = await n.request('GET', `${backendPath('sda', apart, 'a')}?format=json`)
  t.equal(r.status, 200)
  return JSON.parse(r.body) as { name: string; count: number; bytes: number }[]
}

t.test('one pass brings the new count and bytes to every account replica', async (t) => {
  for (const [i, size] of sizes.entries()) await putObject(`o${i}`, size)
  t.same(await accountListing(accounts[0]), [], 'the account does not know the container yet')
  const stats = await updater.runOnce()
  t.match(stats, { successes: 1, failures: 0 })
  const bytes = sizes.reduce((a, b) => a + b, 0)
  for (const a of accounts) t.match(await accountListing(a), [{ name: 'c', count: sizes.length, bytes }])
  const head = await accounts[1].request('HEAD', backendPath('sda', apart, 'a'))
  t.equal(head.headers['x-account-object-count'], String(sizes.length))
  t.equal(head.headers['x-account-bytes-used'], String(bytes))
})

t.test('an unchanged container is not sent again; a changed one is', async (t) => {
  t.match(await updater.runOnce(), { successes: 0, noChanges: 1, failures: 0 })
  await putObject('late', 1000)
  t.match(await updater.runOnce(), { successes: 1, noChanges: 0 })
  t.match(await accountListing(accounts[0]), [{ name: 'c', count: sizes.length + 1, bytes: sizes.reduce((a, b) => a + b, 1000) }])
})

t.test('without a majority of account servers the report is kept for the next pass', async (t) => {
  await putObject('while-down', 5)
  await accounts[1].server.close()
  t.match(await updater.runOnce(), { successes: 0, failures: 1 }, 'one of two account servers is not a majority')
  t.match(await updater.runOnce(), { failures: 1, noChanges: 0 }, 'still pending: not marked reported')
  t.match(await accountListing(accounts[0]), [{ name: 'c', count: sizes.length + 2 }], 'the reachable replica took it')
})
