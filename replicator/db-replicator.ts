// The container and account replicators (Swift: swift.common.db_replicator.Replicator, as
// ContainerReplicator and AccountReplicator use it). One pass visits every database of this
// node's devices and, for each other primary of its partition:
// - `sync` sends our status timestamps and metadata and gets the remote's back (merged here
//   too), with the remote's sync point: the highest of our rows it has merged;
// - the rows above that point follow in batches ("rows since N", merge_items), each batch
//   moving the point on the remote;
// - a remote without the database gets a new empty replica (`create`) and then every row in
//   batches: the whole-database copy is row by row, not a file copy.
// A database on a device that is not one of its partition's primaries (a handoff) is pushed to
// every primary and removed once all of them have it and no row arrived meanwhile.
// The server owns the device's RocksDB (one process only), so our own databases are read
// through the local server's REPLICATE verb as well (common/db/replication-rpc.ts).
// A database deleted more than reclaim_age ago (and empty) is removed instead of replicated.
// Deletion rows older than reclaim_age are removed from the databases that stay (Swift's
// reclaim). Not yet: Swift's shortcut of sending the
// remote's sync table (merge_syncs), and rsync of whole databases.
import { BackendClient } from '../common/backend-client.ts'
import type { BackendNode } from '../common/backend-client.ts'
import { quotePath } from '../common/backend-client.ts'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { BaseInfo, Metadata } from '../common/db/broker-base.ts'
import { MAX_ROWS_PER_REQUEST } from '../common/db/replication-rpc.ts'
import type { Ring } from '../ring/ring.ts'
import type { RingDevice } from '../ring/types.ts'
import type { DaemonConfig } from './config.ts'
import { localDevices } from './local-devices.ts'
import { DbReplicationError, callDbOp, listDeviceDbs, nodeOf } from './db-rpc-client.ts'
import { runJobs } from './run-jobs.ts'

export { DbReplicationError }

export interface DbReplicatorOptions {
  readonly type: 'container' | 'account'
  readonly config: DaemonConfig
  readonly ring: Ring
  readonly logger: Logger
  readonly client?: BackendClient
  readonly devices?: readonly string[] | undefined
  readonly partitions?: readonly number[] | undefined
  /** Rows per merge_items request (Swift's per_diff). */
  readonly rowsPerBatch?: number
}

interface Job {
  readonly local: BackendNode
  readonly dev: RingDevice
  readonly partition: number
  readonly hash: string
  readonly handoff: boolean
  readonly targets: readonly RingDevice[]
}

interface RowsAnswer {
  info: BaseInfo
  metadata: Metadata
  rows: { seq: number }[]
}

interface SyncAnswer {
  id: string
  point: number
  maxRow: number
  info: BaseInfo
  metadata: Metadata
}

function emptyStats(): Record<string, number> {
  return { attempted: 0, success: 0, failures: 0, noChange: 0, rowsSent: 0, diffs: 0, remoteCreated: 0, handoffs: 0, handoffsRemoved: 0, reclaimed: 0, rowsReclaimed: 0 }
}

export class DbReplicator implements Daemon {
  readonly name: string
  private readonly client: BackendClient
  private readonly perBatch: number
  private stats = emptyStats()

  constructor(private readonly options: DbReplicatorOptions) {
    this.name = `${options.type}-replicator`
    const c = options.config
    this.client = options.client ?? new BackendClient({ connTimeout: c.connTimeout, nodeTimeout: c.nodeTimeout, logger: options.logger })
    this.perBatch = Math.max(1, Math.min(MAX_ROWS_PER_REQUEST, options.rowsPerBatch ?? Number(c.raw.per_diff ?? 1000)))
  }

  async runOnce(): Promise<PassStats> {
    this.stats = emptyStats()
    const jobs = await this.collectJobs()
    jobs.sort((a, b) => Number(b.handoff) - Number(a.handoff))
    await runJobs(jobs, this.options.config.concurrency, async (job) => {
      try {
        await this.replicate(job)
      } catch (err) {
        this.stats.failures!++
        this.options.logger.warn(`${this.name}: database not replicated`, { device: job.dev.device, partition: job.partition, hash: job.hash, err })
      }
    })
    return { ...this.stats }
  }

  close(): void {
    this.client.close()
  }

  private call<T>(node: BackendNode, path: string, op: string, args: object): Promise<{ status: number; body: T }> {
    return callDbOp<T>(this.client, node, path, op, args, this.name)
  }

  private async collectJobs(): Promise<Job[]> {
    const { ring, config, type } = this.options
    const jobs: Job[] = []
    for (const dev of localDevices(ring.devices, config.bindIp, config.ports[type])) {
      if (this.options.devices && !this.options.devices.includes(dev.device)) continue
      const local = nodeOf(dev)
      let dbs: { partition: number; hash: string }[]
      try {
        dbs = await listDeviceDbs(this.client, local, this.name)
      } catch (err) {
        this.options.logger.warn(`${this.name}: device skipped`, { device: dev.device, err })
        continue
      }
      for (const { partition, hash } of dbs) {
        if (partition >= ring.partitionCount) continue
        if (this.options.partitions && !this.options.partitions.includes(partition)) continue
        const primaries = ring.getPartNodes(partition)
        const handoff = !primaries.some((n) => n.id === dev.id)
        jobs.push({ local, dev, partition, hash, handoff, targets: primaries.filter((n) => n.id !== dev.id) })
      }
    }
    return jobs
  }

  private dbPath(job: Job, dev: RingDevice | BackendNode): string {
    return `/${quotePath(dev.device)}/${job.partition}/${job.hash}`
  }

  private async readLocal(job: Job, since: number, limit: number): Promise<RowsAnswer | undefined> {
    const res = await this.call<RowsAnswer>(job.local, this.dbPath(job, job.local), 'rows', { since, limit })
    if (res.status === 404) return undefined
    if (res.status !== 200) throw new DbReplicationError(`local rows answered ${res.status}`, res.status)
    return res.body
  }

  async replicate(job: Job): Promise<void> {
    this.stats.attempted!++
    if (job.handoff) this.stats.handoffs!++
    const age = Timestamp.fromSeconds(Date.now() / 1000 - this.options.config.reclaimAge).internal
    const reclaim = await this.call<{ reclaimed?: boolean; rowsReclaimed?: number }>(job.local, this.dbPath(job, job.local), 'reclaim', { age })
    if (reclaim.status === 200 && reclaim.body.reclaimed) {
      this.stats.reclaimed!++
      return
    }
    this.stats.rowsReclaimed! += reclaim.body.rowsReclaimed ?? 0
    const start = await this.readLocal(job, 0, 0)
    if (!start) return
    let allOk = true
    for (const target of job.targets) {
      try {
        await this.replicateTo(job, target, start)
      } catch (err) {
        allOk = false
        this.stats.failures!++
        this.options.logger.warn(`${this.name}: push failed`, { partition: job.partition, hash: job.hash, to: `${target.ip}:${target.port}/${target.device}`, err })
      }
    }
    if (allOk) this.stats.success!++
    if (job.handoff && allOk && job.targets.length > 0) {
      const res = await this.call(job.local, this.dbPath(job, job.local), 'destroy', { maxRow: start.info.maxRow })
      if (res.status === 204) this.stats.handoffsRemoved!++
      // 409: rows arrived meanwhile; the next pass pushes them and tries again.
    }
  }

  private async replicateTo(job: Job, target: RingDevice, start: RowsAnswer): Promise<void> {
    const remote = nodeOf(target)
    const path = this.dbPath(job, remote)
    const sync = await this.call<SyncAnswer>(remote, path, 'sync', { id: start.info.id, info: start.info, metadata: start.metadata })
    let point: number
    if (sync.status === 404) {
      const created = await this.call(remote, path, 'create', { info: start.info, metadata: start.metadata })
      if (created.status !== 201 && created.status !== 202) throw new DbReplicationError(`create answered ${created.status}`, created.status)
      this.stats.remoteCreated!++
      point = 0
    } else if (sync.status === 200) {
      point = Math.max(0, sync.body.point)
      // What the remote knows of status and metadata comes back here too.
      const back = await this.call(job.local, this.dbPath(job, job.local), 'sync', { id: sync.body.id, info: sync.body.info, metadata: sync.body.metadata })
      if (back.status !== 200 && back.status !== 404) throw new DbReplicationError(`local sync answered ${back.status}`, back.status)
    } else {
      throw new DbReplicationError(`sync answered ${sync.status}`, sync.status)
    }
    if (point >= start.info.maxRow) {
      this.stats.noChange!++
      return
    }
    this.stats.diffs!++
    for (;;) {
      const page = await this.readLocal(job, point, this.perBatch)
      if (!page || page.rows.length === 0) break
      const last = page.rows[page.rows.length - 1]!.seq
      const res = await this.call(remote, path, 'merge_items', { id: page.info.id, point: last, items: page.rows })
      if (res.status !== 200) throw new DbReplicationError(`merge_items answered ${res.status}`, res.status)
      this.stats.rowsSent! += page.rows.length
      point = last
      if (page.rows.length < this.perBatch) break
    }
  }
}
