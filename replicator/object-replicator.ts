// The object replicator (Swift: swift/obj/replicator.py ObjectReplicator, for replicated
// policies). One pass walks every partition of this node's devices:
// - a partition this device is a primary for is compared with each other primary: a
//   REPLICATE answers their suffix hashes, the differing suffixes are pushed (rsync, or the
//   HTTP sync), and a second REPLICATE naming them makes the remote recompute (and clean up);
// - a partition it is not a primary for (a handoff) is pushed to every primary the same way
//   and removed once all of them have it and nothing changed meanwhile.
// - when another primary is away (connection refused, or 507: its device unmounted; not a
//   mere timeout), the partition is pushed to the next handoff node instead, one per missing
//   primary, so that
//   three copies exist somewhere while it is away (Swift's replicator moves on to
//   get_more_nodes for an unmounted peer); that handoff's own pass brings them home later.
// Tombstones older than reclaim_age go when a suffix is rehashed (object/diskfile/hashes.ts);
// a full rehash of a partition happens when its last one is older than `interval` x 10.
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BackendClient } from '../common/backend-client.ts'
import type { BackendNode } from '../common/backend-client.ts'
import { quotePath } from '../common/backend-client.ts'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import { policyDir } from '../object/diskfile/async-pending.ts'
import { differingSuffixes, getSuffixHashes, lastFullHash } from '../object/diskfile/hashes.ts'
import type { SuffixHashes } from '../object/diskfile/hashes.ts'
import { REPLICATION_METHOD_HEADER } from '../object/replicate-handler.ts'
import type { Ring } from '../ring/ring.ts'
import type { RingDevice } from '../ring/types.ts'
import type { DaemonConfig, SyncMethod } from './config.ts'
import { httpSyncPush } from './http-sync.ts'
import { localDevices } from './local-devices.ts'
import { rsyncDestination, rsyncPush } from './rsync.ts'
import { commandExists } from './which.ts'
import { runJobs } from './run-jobs.ts'

/** A REPLICATE answered something else than 200 (507: the peer's device is unmounted). */
export class ReplicateStatusError extends Error {
  readonly code = 'ERR_REPLICATE_STATUS'
  constructor(readonly status: number) {
    super(`REPLICATE answered ${status}`)
    this.name = 'ReplicateStatusError'
  }
}

export interface ObjectReplicatorOptions {
  readonly config: DaemonConfig
  readonly ring: Ring
  readonly logger: Logger
  readonly client?: BackendClient
  /** Only these devices / partitions (Swift's --devices / --partitions). */
  readonly devices?: readonly string[] | undefined
  readonly partitions?: readonly number[] | undefined
  readonly now?: () => number
}

interface Job {
  readonly dev: RingDevice
  readonly partition: number
  readonly partDir: string
  readonly handoff: boolean
  readonly targets: readonly RingDevice[]
}

function emptyStats(): Record<string, number> {
  return { partitions: 0, handoffs: 0, suffixesSynced: 0, filesSent: 0, handoffsRemoved: 0, failures: 0, unreachable: 0, handoffPushes: 0 }
}

export class ObjectReplicator implements Daemon {
  readonly name = 'object-replicator'
  private readonly client: BackendClient
  private readonly syncMethod: SyncMethod
  private readonly policy = 0
  private stats = emptyStats()

  constructor(private readonly options: ObjectReplicatorOptions) {
    const c = options.config
    this.client = options.client ?? new BackendClient({ connTimeout: c.connTimeout, nodeTimeout: c.nodeTimeout, logger: options.logger })
    this.syncMethod = c.syncMethod === 'rsync' && !commandExists('rsync') ? 'ssync' : c.syncMethod
    if (this.syncMethod !== c.syncMethod) options.logger.warn('rsync is not installed: replicating over HTTP (sync_method = ssync)')
  }

  get method(): SyncMethod {
    return this.syncMethod
  }

  async runOnce(): Promise<PassStats> {
    this.stats = emptyStats()
    const jobs = await this.collectJobs()
    // Handoffs first: they hold the only extra copies of recent writes.
    jobs.sort((a, b) => Number(b.handoff) - Number(a.handoff))
    const limit = this.options.config.maxPartitionsPerPass
    const todo = limit > 0 ? jobs.slice(0, limit) : jobs
    await runJobs(todo, this.options.config.concurrency, async (job) => {
      try {
        await this.replicate(job)
      } catch (err) {
        this.stats.failures!++
        this.options.logger.warn('partition replication failed', { device: job.dev.device, partition: job.partition, err })
      }
    })
    return { ...this.stats }
  }

  async collectJobs(): Promise<Job[]> {
    const { config, ring } = this.options
    const jobs: Job[] = []
    for (const dev of localDevices(ring.devices, config.bindIp, config.ports.object)) {
      if (this.options.devices && !this.options.devices.includes(dev.device)) continue
      const devPath = join(config.devices, dev.device)
      const ok = await stat(devPath).then((s) => s.isDirectory(), () => false)
      if (!ok) {
        this.options.logger.warn('device not mounted: skipped', { device: dev.device })
        continue
      }
      const objectsDir = join(devPath, policyDir('objects', this.policy))
      for (const name of await readdir(objectsDir).catch(() => [] as string[])) {
        if (!/^\d+$/.test(name)) continue
        const partition = Number(name)
        if (partition >= ring.partitionCount) continue
        if (this.options.partitions && !this.options.partitions.includes(partition)) continue
        const primaries = ring.getPartNodes(partition)
        const handoff = !primaries.some((n) => n.id === dev.id)
        jobs.push({ dev, partition, partDir: join(objectsDir, name), handoff, targets: primaries.filter((n) => n.id !== dev.id) })
      }
    }
    return jobs
  }

  private async localHashes(job: Job): Promise<SuffixHashes> {
    const { config } = this.options
    const now = (this.options.now ?? Date.now)() / 1000
    const last = await lastFullHash(job.partDir)
    // A periodic full rehash reclaims old tombstones in suffixes nothing wrote to lately.
    const all = last === undefined || now - last > Math.max(config.interval * 10, 60)
    return getSuffixHashes(job.partDir, { reclaimAge: config.reclaimAge, all, ...(this.options.now ? { now: this.options.now } : {}) })
  }

  async replicate(job: Job): Promise<void> {
    this.stats.partitions!++
    if (job.handoff) this.stats.handoffs!++
    const local = await this.localHashes(job)
    if (Object.keys(local).length === 0) {
      if (job.handoff) await this.removeHandoff(job, local)
      return
    }
    let allDone = true
    let away = 0
    for (const target of job.targets) {
      const outcome = await this.syncTo(job, target, local)
      allDone &&= outcome === 'synced'
      if (outcome === 'away') away++
    }
    if (job.handoff && allDone) await this.removeHandoff(job, local)
    if (!job.handoff && away > 0) await this.pushToHandoffs(job, local, away)
  }

  /** A primary's partition, some of whose peers are away: the next handoffs get a copy instead. */
  private async pushToHandoffs(job: Job, local: SuffixHashes, count: number): Promise<void> {
    let pushed = 0
    for (const node of this.options.ring.getMoreNodes(job.partition)) {
      if (pushed >= count) return
      if (node.id === job.dev.id) continue
      // A handoff that is itself away counts for nothing: try the next one.
      if ((await this.syncTo(job, node, local)) === 'synced') {
        pushed++
        this.stats.handoffPushes!++
      }
    }
  }

  /** Brings `target` up to date with our suffixes: 'away' when it is down or its device unmounted. */
  private async syncTo(job: Job, target: RingDevice, local: SuffixHashes): Promise<'synced' | 'away' | 'failed'> {
    const node: BackendNode = { ip: target.replication_ip, port: target.replication_port, device: target.device }
    let remote: SuffixHashes
    try {
      remote = await this.remoteHashes(node, job.partition, [])
    } catch (err) {
      this.stats.unreachable!++
      this.options.logger.info('peer unreachable', { device: job.dev.device, partition: job.partition, peer: `${node.ip}:${node.port}/${node.device}`, err: (err as Error).message })
      // Away for sure: its device unmounted (507), or nothing listening there (connection
      // refused). A timeout is not enough: on a loaded node it would scatter extra copies.
      const status = err instanceof ReplicateStatusError ? err.status : undefined
      const away = status === 507 || (err as { code?: unknown }).code === 'ERR_BACKEND_CONNECT'
      return away ? 'away' : 'failed'
    }
    const suffixes = differingSuffixes(local, remote)
    if (suffixes.length === 0) return 'synced'
    try {
      const sent = await this.push(job, target, node, suffixes).catch((err: unknown) => {
        // A push races with the remote's own cleanup (an empty directory removed under rsync's
        // feet) or a concurrent push: once more finds the tree settled.
        this.options.logger.info('push failed, retrying once', { partition: job.partition, peer: node.device, err: (err as Error).message })
        return this.push(job, target, node, suffixes)
      })
      this.stats.filesSent! += sent.filesSent
      this.stats.suffixesSynced! += suffixes.length
      // The remote recomputes what we touched (and cleans up files our push made obsolete).
      const after = await this.remoteHashes(node, job.partition, suffixes)
      const still = differingSuffixes(local, after).filter((s) => suffixes.includes(s))
      // A suffix still differing holds newer files there: that node's own pass pushes them back.
      if (still.length && job.handoff) {
        this.options.logger.info('suffixes still differ after push', { partition: job.partition, peer: node.device, suffixes: still })
      }
      return 'synced'
    } catch (err) {
      this.stats.failures!++
      this.options.logger.warn('push failed', { device: job.dev.device, partition: job.partition, peer: `${node.ip}:${node.port}/${node.device}`, method: this.syncMethod, err })
      return 'failed'
    }
  }

  private push(job: Job, target: RingDevice, node: BackendNode, suffixes: readonly string[]): Promise<{ filesSent: number }> {
    const c = this.options.config
    if (this.syncMethod === 'rsync') {
      const sources = suffixes.map((s) => join(job.partDir, s))
      const dest = rsyncDestination(c.rsyncModule, target, policyDir('objects', this.policy), job.partition)
      return rsyncPush(sources, dest, { timeout: c.rsyncTimeout, connTimeout: c.connTimeout, bwlimit: c.rsyncBwlimit })
    }
    return httpSyncPush(this.client, node, job.partition, job.partDir, suffixes, { policy: this.policy })
  }

  async remoteHashes(node: BackendNode, partition: number, recalculate: readonly string[]): Promise<SuffixHashes> {
    const path = `/${quotePath(node.device)}/${partition}${recalculate.length ? `/${recalculate.join('-')}` : ''}`
    const res = await this.client.request(node, {
      method: 'POST',
      path,
      headers: { [REPLICATION_METHOD_HEADER]: 'REPLICATE', 'X-Backend-Storage-Policy-Index': String(this.policy), 'User-Agent': `object-replicator ${process.pid}` },
    })
    if (res.status !== 200) throw new ReplicateStatusError(res.status)
    const body = JSON.parse(res.body.toString('utf8')) as { hashes?: SuffixHashes }
    return body.hashes ?? {}
  }

  /** Deletes a handoff partition once every primary has it, unless it changed meanwhile. */
  private async removeHandoff(job: Job, pushed: SuffixHashes): Promise<void> {
    const now = await getSuffixHashes(job.partDir, { reclaimAge: this.options.config.reclaimAge })
    const same = Object.keys(now).length === Object.keys(pushed).length && Object.entries(now).every(([s, h]) => pushed[s] === h)
    if (!same) {
      this.options.logger.info('handoff changed during the push: kept for the next pass', { device: job.dev.device, partition: job.partition })
      return
    }
    await rm(job.partDir, { recursive: true, force: true })
    this.stats.handoffsRemoved!++
  }

  close(): void {
    this.client.close()
  }
}
