// The account reaper on the in-process cluster (4 nodes, 3 replicas): an account DELETEd
// through the proxy (allow_account_management) keeps its data while delay_reaping has not
// passed; then one reaper pass on each node removes every object (from every object primary)
// and every container (from every container primary), the account's rows follow, and another
// account is left alone. A second pass finds nothing to do.
import t from 'tap'
import { parseIni } from '../../../common/config/ini.ts'
import { silentLogger } from '../../../common/logger.ts'
import { BackendClient } from '../../../common/backend-client.ts'
import { DirectClientError, directHeadContainer, directHeadObject } from '../../../common/direct-client.ts'
import { parseDaemonConfig } from '../../../replicator/config.ts'
import { AccountReaper, containerShard } from '../../../account/reaper.ts'
import { CLUSTER_SECRETS, startCluster } from '../../helpers/cluster.ts'
import type { ClusterNode } from '../../helpers/cluster.ts'

const cluster = await startCluster(t, { proxySettings: { allow_account_management: true } })
const client = new BackendClient({ connTimeout: 1, nodeTimeout: 5 })
t.teardown(() => client.close())

function reaperOn(node: ClusterNode, extra: string): AccountReaper {
  const ini = parseIni(
    `[DEFAULT]\ndevices = ${node.devices}\nmount_check = false\nbind_ip = 127.0.0.1\n` +
      `[app:object-server]\nbind_port = ${node.ports.object}\n[app:container-server]\nbind_port = ${node.ports.container}\n[app:account-server]\nbind_port = ${node.ports.account}\n` +
      `[account-reaper]\nconcurrency = 4\n${extra}\n`,
  )
  const r = new AccountReaper({ config: parseDaemonConfig(ini, 'account-reaper', CLUSTER_SECRETS), accountRing: cluster.rings.account, containerRing: cluster.rings.container, objectRing: cluster.rings.object, logger: silentLogger })
  t.teardown(() => r.close())
  return r
}

async function reapPass(extra: string): Promise<Record<string, number>> {
  const total: Record<string, number> = {}
  for (const node of cluster.nodes) {
    for (const [k, v] of Object.entries(await reaperOn(node, extra).runOnce())) total[k] = (total[k] ?? 0) + v
  }
  return total
}

const nodeOf = (d: { ip: string; port: number; device: string }) => ({ ip: d.ip, port: d.port, device: d.device })

/** How many primaries still hold the object (HEAD 2xx). */
async function objectCopies(account: string, container: string, obj: string): Promise<number> {
  const { partition, nodes } = cluster.rings.object.getNodes(account, container, obj)
  const found = await Promise.all(nodes.map((n) => directHeadObject(client, nodeOf(n), partition, account, container, obj).then(() => 1, (err: unknown) => {
    if (err instanceof DirectClientError && err.httpStatus === 404) return 0
    throw err
  })))
  return found.reduce((a, b) => a + b, 0)
}

async function containerCopies(account: string, container: string): Promise<number> {
  const { partition, nodes } = cluster.rings.container.getNodes(account, container)
  const found = await Promise.all(nodes.map((n) => directHeadContainer(client, nodeOf(n), partition, account, container).then(() => 1, (err: unknown) => {
    if (err instanceof DirectClientError && err.httpStatus === 404) return 0
    throw err
  })))
  return found.reduce((a, b) => a + b, 0)
}

const containers = ['c1', 'c2', 'c3']
const objects = ['o1', 'o2', 'o3', 'o4']

t.before(async () => {
  for (const account of ['AUTH_doomed', 'AUTH_kept']) {
    for (const c of containers) {
      const r = await cluster.request('PUT', `/v1/${account}/${c}`)
      if (r.status !== 201) throw new Error(`container PUT answered ${r.status}`)
      for (const o of objects) {
        const p = await cluster.request('PUT', `/v1/${account}/${c}/${o}`, { body: `${account}/${c}/${o}` })
        if (p.status !== 201) throw new Error(`object PUT answered ${p.status}`)
      }
    }
  }
})

t.test('containers are shared out among the account primaries', async (t) => {
  const shards = new Set(Array.from({ length: 60 }, (_v, i) => containerShard(`c${i}`, 3)))
  t.same([...shards].sort(), [0, 1, 2])
})

t.test('a deleted account is reaped after delay_reaping', async (t) => {
  t.equal((await cluster.request('DELETE', '/v1/AUTH_doomed')).status, 204)
  const head = await cluster.request('HEAD', '/v1/AUTH_doomed')
  t.equal(head.status, 410, 'Gone, as Swift answers for an account marked deleted')

  const delayed = await reapPass('delay_reaping = 3600')
  t.equal(delayed.accounts, 3, 'each primary sees the deleted account')
  t.equal(delayed.delayed, 3)
  t.equal(delayed.objectsDeleted, 0)
  t.equal(await objectCopies('AUTH_doomed', 'c1', 'o1'), 3, 'nothing removed before delay_reaping')

  const stats = await reapPass('delay_reaping = 0')
  t.equal(stats.containersDeleted, containers.length)
  t.equal(stats.objectsDeleted, containers.length * objects.length)
  t.equal(stats.failures, 0)
  t.equal(stats.containersRemaining, 0)
  for (const c of containers) {
    t.equal(await containerCopies('AUTH_doomed', c), 0, `container ${c} gone from every primary`)
    for (const o of objects) t.equal(await objectCopies('AUTH_doomed', c, o), 0, `${c}/${o} gone from every primary`)
  }
  for (const c of containers) {
    t.equal(await containerCopies('AUTH_kept', c), 3)
    for (const o of objects) {
      const r = await cluster.request('GET', `/v1/AUTH_kept/${c}/${o}`)
      t.equal(r.body.toString(), `AUTH_kept/${c}/${o}`)
    }
  }

  const again = await reapPass('delay_reaping = 0')
  t.equal(again.accounts, 0, 'an emptied account is not visited again')
})
