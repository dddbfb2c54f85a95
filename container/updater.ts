// The container updater (Swift: swift.container.updater.ContainerUpdater): every container
// database of this node whose put/delete timestamps, object count or bytes used differ from
// what it last reported is PUT to the account servers of its account (X-Put-Timestamp,
// X-Delete-Timestamp, X-Object-Count, X-Bytes-Used), so that account listings and HEADs catch
// up with object writes the accounts missed (the container server reports only container PUTs
// and DELETEs itself). When a majority of the account primaries accept, the reported point is
// stored in the database and an unchanged container is not sent again.
// The container server owns the device's RocksDB (one process only), so the databases are
// listed, read and marked reported through its REPLICATE verb (common/db/replication-rpc.ts).
import { BackendClient, quotePath } from '../common/backend-client.ts'
import type { BackendNode } from '../common/backend-client.ts'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import { compareTs } from '../common/db/broker-base.ts'
import { DB_REPLICATION_FORMAT, REPLICATION_METHOD_HEADER } from '../common/db/replication-rpc.ts'
import type { Ring } from '../ring/ring.ts'
import type { RingDevice } from '../ring/types.ts'
import type { DaemonConfig } from '../replicator/config.ts'
import { localDevices } from '../replicator/local-devices.ts'
import type { ContainerInfo } from './broker.ts'

export class ContainerUpdateError extends Error {
  readonly code = 'ERR_CONTAINER_UPDATE'
  constructor(message: string) {
    super(message)
    this.name = 'ContainerUpdateError'
  }
}

export interface ContainerUpdaterOptions {
  readonly config: DaemonConfig
  readonly containerRing: Ring
  readonly accountRing: Ring
  readonly logger: Logger
  readonly client?: BackendClient
}

/** What the account servers are told about one container. */
export interface ContainerReport {
  readonly putTimestamp: string
  readonly deleteTimestamp: string
  readonly objectCount: number
  readonly bytesUsed: number
  readonly storagePolicyIndex: number
}

const nodeOf = (dev: RingDevice): BackendNode => ({ ip: dev.ip, port: dev.port, device: dev.device })

/** The container's current stats, as Swift's get_info gives them (its own policy's row). */
export function containerReport(info: ContainerInfo): ContainerReport {
  const stats = info.policyStats.find((p) => p[0] === info.storagePolicyIndex)
  return { putTimestamp: info.putTimestamp, deleteTimestamp: info.deleteTimestamp, objectCount: stats?.[1] ?? 0, bytesUsed: stats?.[2] ?? 0, storagePolicyIndex: info.storagePolicyIndex }
}

/** Swift's check: a newer put or delete, or other counts, than the last report. */
export function needsReport(info: ContainerInfo, report: ContainerReport): boolean {
  return compareTs(report.putTimestamp, info.reportedPutTimestamp) > 0 ||
    compareTs(report.deleteTimestamp, info.reportedDeleteTimestamp) > 0 ||
    report.objectCount !== info.reportedObjectCount ||
    report.bytesUsed !== info.reportedBytesUsed
}

export class ContainerUpdater implements Daemon {
  readonly name = 'container-updater'
  private readonly client: BackendClient

  constructor(private readonly o: ContainerUpdaterOptions) {
    this.client = o.client ?? new BackendClient({ connTimeout: o.config.connTimeout, nodeTimeout: o.config.nodeTimeout, logger: o.logger })
  }

  close(): void {
    this.client.close()
  }

  async runOnce(): Promise<PassStats> {
    const stats = { successes: 0, failures: 0, noChanges: 0 }
    const { config } = this.o
    const jobs: { local: BackendNode; partition: number; hash: string }[] = []
    for (const dev of localDevices(this.o.containerRing.devices, config.bindIp, config.ports.container)) {
      const local: BackendNode = { ip: dev.replication_ip, port: dev.replication_port, device: dev.device }
      try {
        const res = await this.rpc<{ dbs: { partition: number; hash: string }[] }>(local, `/${quotePath(dev.device)}`, 'list', {})
        if (res.status !== 200) throw new ContainerUpdateError(`list answered ${res.status}`)
        for (const db of res.body.dbs) jobs.push({ local, ...db })
      } catch (err) {
        this.o.logger.warn('container-updater: device skipped', { device: dev.device, err })
      }
    }
    let next = 0
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!
        try {
          const outcome = await this.process(job.local, `/${quotePath(job.local.device)}/${job.partition}/${job.hash}`)
          if (outcome === 'reported') stats.successes++
          else if (outcome === 'unchanged') stats.noChanges++
          else stats.failures++
        } catch (err) {
          stats.failures++
          this.o.logger.warn('container-updater: container not reported', { device: job.local.device, partition: job.partition, hash: job.hash, err })
        }
        if (config.slowdown > 0) await new Promise((r) => setTimeout(r, config.slowdown * 1000))
      }
    }
    await Promise.all(Array.from({ length: config.concurrency }, worker))
    return stats
  }

  private async rpc<T>(node: BackendNode, path: string, op: string, args: object): Promise<{ status: number; body: T }> {
    const res = await this.client.request(node, {
      method: 'POST',
      path,
      headers: { [REPLICATION_METHOD_HEADER]: 'REPLICATE', 'Content-Type': 'application/json', 'User-Agent': `container-updater ${process.pid}` },
      body: JSON.stringify({ v: DB_REPLICATION_FORMAT, op, ...args }),
    })
    let body = {} as T
    if (res.status === 200) {
      const parsed = JSON.parse(res.body.toString('utf8')) as { v?: number }
      if (parsed.v !== DB_REPLICATION_FORMAT) throw new ContainerUpdateError(`${op}: unknown answer format`)
      body = parsed as T
    }
    return { status: res.status, body }
  }

  /** One container database: report it when it changed. */
  private async process(local: BackendNode, dbPath: string): Promise<'reported' | 'unchanged' | 'failed' | 'gone'> {
    const read = await this.rpc<{ info: ContainerInfo }>(local, dbPath, 'rows', { since: 0, limit: 0 })
    if (read.status === 404) return 'gone'
    if (read.status !== 200) throw new ContainerUpdateError(`local rows answered ${read.status}`)
    const info = read.body.info
    const report = containerReport(info)
    if (!needsReport(info, report)) return 'unchanged'
    const ok = await this.sendToAccounts(info.account, info.container, report)
    if (!ok) return 'failed'
    const marked = await this.rpc(local, dbPath, 'reported', report)
    if (marked.status !== 200) throw new ContainerUpdateError(`local reported answered ${marked.status}`)
    return 'reported'
  }

  /** PUTs the container's stats to every account primary; true when a majority accepted. */
  async sendToAccounts(account: string, container: string, report: ContainerReport): Promise<boolean> {
    const ring = this.o.accountRing
    const partition = ring.getPart(account)
    const nodes = ring.getPartNodes(partition)
    const results = await Promise.all(nodes.map(async (dev) => {
      try {
        const res = await this.client.request(nodeOf(dev), {
          method: 'PUT',
          path: `/${quotePath(dev.device)}/${partition}/${quotePath(account)}/${quotePath(container)}`,
          headers: {
            'X-Put-Timestamp': report.putTimestamp,
            'X-Delete-Timestamp': report.deleteTimestamp,
            'X-Object-Count': report.objectCount,
            'X-Bytes-Used': report.bytesUsed,
            'X-Account-Override-Deleted': 'yes',
            'X-Backend-Storage-Policy-Index': report.storagePolicyIndex,
            'User-Agent': `container-updater ${process.pid}`,
          },
        })
        if (res.status >= 200 && res.status < 300) return true
        this.o.logger.warn('container-updater: account server refused the update', { account, container, node: `${dev.ip}:${dev.port}/${dev.device}`, status: res.status })
        return false
      } catch (err) {
        this.o.logger.warn('container-updater: account server unreachable', { account, container, node: `${dev.ip}:${dev.port}/${dev.device}`, err })
        return false
      }
    }))
    const successes = results.filter(Boolean).length
    return nodes.length > 0 && successes >= Math.floor(nodes.length / 2) + 1
  }
}
