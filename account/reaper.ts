// The account reaper (Swift: swift/account/reaper.py AccountReaper). An account marked
// deleted (DELETE on the account by a reseller admin: status DELETED, X-Account-Status:
// Deleted) has every object and container removed, cluster-wide, once delay_reaping seconds
// have passed since its deletion. A pass visits this node's account databases (through the
// account server's REPLICATE verb: the server owns the RocksDB); for a deleted, non-empty
// account of which this device is a primary, it takes its share of the containers (the
// container name's MD5 modulo the number of primaries picks which primary reaps it, as
// Swift's container_shard) and for each: lists the objects from a container replica, DELETEs
// every object on its object primaries (each told which container replica to update), then
// DELETEs the container on its primaries (each told which account replica to update, with
// X-Account-Override-Deleted so the deleted account still takes the row). What fails stays
// for the next pass. Once the account holds no container it is left to the account replicator,
// which removes the database after reclaim_age.
import { createHash } from 'node:crypto'
import { BackendClient } from '../common/backend-client.ts'
import type { BackendNode } from '../common/backend-client.ts'
import type { Daemon, PassStats } from '../common/daemon.ts'
import { DirectClientError, directDeleteContainer, directDeleteObject, directGetContainer } from '../common/direct-client.ts'
import type { Logger } from '../common/logger.ts'
import { Timestamp } from '../common/timestamp.ts'
import { MAX_ROWS_PER_REQUEST } from '../common/db/replication-rpc.ts'
import type { AccountInfo, ContainerRow } from './broker.ts'
import type { DaemonConfig } from '../replicator/config.ts'
import { DbReplicationError, callDbOp, dbPath, listDeviceDbs, nodeOf } from '../replicator/db-rpc-client.ts'
import { localDevices } from '../replicator/local-devices.ts'
import type { Ring } from '../ring/ring.ts'
import type { RingDevice } from '../ring/types.ts'

export interface AccountReaperOptions {
  readonly config: DaemonConfig
  readonly accountRing: Ring
  readonly containerRing: Ring
  readonly objectRing: Ring
  readonly logger: Logger
  readonly client?: BackendClient
  /** Unix seconds (tests). */
  readonly now?: () => number
}

type Stats = Record<'accounts' | 'delayed' | 'reaped' | 'containersDeleted' | 'objectsDeleted' | 'containersRemaining' | 'objectsRemaining' | 'failures', number>

/** Which primary of `primaries` reaps `container` (Swift's container_shard). */
export function containerShard(container: string, primaries: number): number {
  return Number(BigInt(`0x${createHash('md5').update(container, 'utf8').digest('hex')}`) % BigInt(primaries))
}

const LISTING_LIMIT = 10_000

export class AccountReaper implements Daemon {
  readonly name = 'account-reaper'
  private readonly client: BackendClient
  private readonly delayReaping: number
  private readonly reapWarnAfter: number
  private stats: Stats = emptyStats()

  constructor(private readonly o: AccountReaperOptions) {
    const c = o.config
    this.client = o.client ?? new BackendClient({ connTimeout: c.connTimeout, nodeTimeout: c.nodeTimeout, logger: o.logger })
    this.delayReaping = seconds(c.raw.delay_reaping, 0, 'delay_reaping')
    this.reapWarnAfter = seconds(c.raw.reap_warn_after, 2_592_000, 'reap_warn_after')
  }

  close(): void {
    this.client.close()
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now() / 1000
  }

  async runOnce(): Promise<PassStats> {
    this.stats = emptyStats()
    const { config, accountRing } = this.o
    for (const dev of localDevices(accountRing.devices, config.bindIp, config.ports.account)) {
      const local = nodeOf(dev)
      let dbs: { partition: number; hash: string }[]
      try {
        dbs = await listDeviceDbs(this.client, local, this.name)
      } catch (err) {
        this.o.logger.warn('account-reaper: device skipped', { device: dev.device, err })
        continue
      }
      for (const { partition, hash } of dbs) {
        if (partition >= accountRing.partitionCount) continue
        const primaries = accountRing.getPartNodes(partition)
        const shard = primaries.findIndex((n) => n.id === dev.id)
        // A handoff replica is the replicator's to move home; the primaries reap.
        if (shard < 0) continue
        try {
          await this.reapAccount(local, dev, partition, hash, shard, primaries.length)
        } catch (err) {
          this.stats.failures++
          this.o.logger.warn('account-reaper: account not reaped', { device: dev.device, partition, hash, err })
        }
      }
    }
    return { ...this.stats }
  }

  /** The account's info and its live container rows, from this node's replica. */
  private async readAccount(local: BackendNode, path: string): Promise<{ info: AccountInfo; containers: ContainerRow[] } | undefined> {
    const containers: ContainerRow[] = []
    let info: AccountInfo | undefined
    for (let since = 0; ; ) {
      const res = await callDbOp<{ info: AccountInfo; rows: ContainerRow[] }>(this.client, local, path, 'rows', { since, limit: MAX_ROWS_PER_REQUEST }, this.name)
      if (res.status === 404) return undefined
      if (res.status !== 200) throw new DbReplicationError(`rows answered ${res.status}`, res.status)
      info ??= res.body.info
      // Not deleted yet: nothing but the info is needed.
      if (!isMarkedDeleted(info)) return { info, containers }
      for (const row of res.body.rows) if (!row.deleted) containers.push(row)
      if (res.body.rows.length < MAX_ROWS_PER_REQUEST) break
      since = res.body.rows[res.body.rows.length - 1]!.seq
    }
    return info && { info, containers }
  }

  private async reapAccount(local: BackendNode, dev: RingDevice, partition: number, hash: string, shard: number, primaries: number): Promise<void> {
    const found = await this.readAccount(local, dbPath(dev.device, partition, hash))
    if (!found || !isMarkedDeleted(found.info) || found.containers.length === 0) return
    const { info, containers } = found
    this.stats.accounts++
    const deletedAgo = this.now() - Timestamp.parse(info.deleteTimestamp).seconds
    if (deletedAgo <= this.delayReaping) {
      this.stats.delayed++
      return
    }
    const before = { ...this.stats }
    for (const row of containers) {
      if (containerShard(row.name, primaries) !== shard) continue
      await this.reapContainer(info.account, partition, row)
    }
    const remaining = this.stats.containersRemaining - before.containersRemaining
    if (remaining === 0) this.stats.reaped++
    this.o.logger.info(`account-reaper: completed pass on account ${info.account}`, {
      account: info.account,
      containersDeleted: this.stats.containersDeleted - before.containersDeleted,
      objectsDeleted: this.stats.objectsDeleted - before.objectsDeleted,
      containersRemaining: remaining,
      objectsRemaining: this.stats.objectsRemaining - before.objectsRemaining,
    })
    if (remaining > 0 && deletedAgo > this.delayReaping + this.reapWarnAfter) {
      this.o.logger.warn(`account-reaper: account ${info.account} has not been reaped since ${new Date((this.now() - deletedAgo) * 1000).toISOString()}`)
    }
  }

  /** The container's objects (name, policy) from the first replica that answers; undefined when none does. */
  private async listObjects(account: string, container: string): Promise<{ names: string[]; policy: string } | undefined> {
    const { partition, nodes } = this.o.containerRing.getNodes(account, container)
    for (const node of nodes) {
      const names: string[] = []
      let policy = '0'
      try {
        for (let marker = ''; ; ) {
          const page = await directGetContainer(this.client, nodeOf(node), partition, account, container, { marker, limit: LISTING_LIMIT })
          policy = String(page.headers['x-backend-storage-policy-index'] ?? policy)
          for (const entry of page.listing) names.push(String(entry.name))
          if (page.listing.length < LISTING_LIMIT) break
          marker = names[names.length - 1]!
        }
        return { names, policy }
      } catch (err) {
        // 404: this replica has no such container (any more); try the next one.
        if (!(err instanceof DirectClientError && err.httpStatus === 404)) this.o.logger.info('account-reaper: container listing failed', { account, container, node: node.device, err: (err as Error).message })
      }
    }
    return undefined
  }

  private async reapContainer(account: string, accountPartition: number, row: ContainerRow): Promise<void> {
    const { containerRing, accountRing } = this.o
    const container = row.name
    const listed = await this.listObjects(account, container)
    const cont = containerRing.getNodes(account, container)
    let objectsLeft = 0
    if (listed) {
      let next = 0
      const worker = async () => {
        while (next < listed.names.length) {
          const obj = listed.names[next++]!
          if (await this.reapObject(account, container, obj, listed.policy, cont)) this.stats.objectsDeleted++
          else objectsLeft++
        }
      }
      await Promise.all(Array.from({ length: Math.min(this.o.config.concurrency, listed.names.length) }, worker))
    }
    this.stats.objectsRemaining += objectsLeft
    const accountNodes = accountRing.getPartNodes(accountPartition)
    const ts = Timestamp.fromSeconds(this.now()).internal
    let deleted = 0
    await Promise.all(
      cont.nodes.map(async (node, i) => {
        const a = accountNodes[i % accountNodes.length]!
        try {
          await directDeleteContainer(this.client, nodeOf(node), cont.partition, account, container, {
            'X-Timestamp': ts,
            'X-Account-Host': `${a.ip}:${a.port}`,
            'X-Account-Partition': String(accountPartition),
            'X-Account-Device': a.device,
            'X-Account-Override-Deleted': 'yes',
            'X-Backend-Storage-Policy-Index': listed?.policy ?? String(row.storagePolicyIndex),
            'User-Agent': `account-reaper ${process.pid}`,
          })
          deleted++
        } catch (err) {
          // 404: already gone there. 409: objects left in that replica; the next pass retries.
          if (err instanceof DirectClientError && err.httpStatus === 404) deleted++
          else this.o.logger.info('account-reaper: container not deleted', { account, container, node: node.device, err: (err as Error).message })
        }
      }),
    )
    if (deleted === cont.nodes.length) this.stats.containersDeleted++
    else {
      this.stats.containersRemaining++
      this.stats.failures++
    }
  }

  /** DELETE on every object primary; true when all of them deleted it (or had nothing). */
  private async reapObject(account: string, container: string, obj: string, policy: string, cont: { partition: number; nodes: RingDevice[] }): Promise<boolean> {
    const { partition, nodes } = this.o.objectRing.getNodes(account, container, obj)
    const ts = Timestamp.fromSeconds(this.now()).internal
    const results = await Promise.all(
      nodes.map(async (node, i) => {
        const c = cont.nodes[i % cont.nodes.length]!
        try {
          await directDeleteObject(this.client, nodeOf(node), partition, account, container, obj, {
            'X-Timestamp': ts,
            'X-Container-Host': `${c.ip}:${c.port}`,
            'X-Container-Partition': String(cont.partition),
            'X-Container-Device': c.device,
            'X-Backend-Storage-Policy-Index': policy,
            'User-Agent': `account-reaper ${process.pid}`,
          })
          return true
        } catch (err) {
          return err instanceof DirectClientError && err.httpStatus === 404
        }
      }),
    )
    return results.every(Boolean)
  }
}

function emptyStats(): Stats {
  return { accounts: 0, delayed: 0, reaped: 0, containersDeleted: 0, objectsDeleted: 0, containersRemaining: 0, objectsRemaining: 0, failures: 0 }
}

function isMarkedDeleted(info: AccountInfo): boolean {
  return info.status === 'DELETED' || Timestamp.parse(info.deleteTimestamp).compare(Timestamp.parse(info.putTimestamp)) > 0
}

function seconds(raw: string | undefined, fallback: number, key: string): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new DbReplicationError(`${key} must be a number of seconds >= 0, got "${raw}"`)
  return n
}
