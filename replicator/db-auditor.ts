// The container and account auditors (Swift: swift/container/auditor.py and
// swift/account/auditor.py over swift.common.db_auditor.DatabaseAuditor). One pass asks this
// node's container (or account) server to audit every database of its devices: the info
// and metadata must decode, every row decode and sit in the sequence index, and the stats
// match the rows (common/db/broker-base.ts audit). A broken database is quarantined by the
// server (common/db/quarantine.ts) so that replication brings a sound replica back. At most
// max_containers_per_second (max_accounts_per_second) databases a second, as Swift.
import { setTimeout as sleep } from 'node:timers/promises'
import { BackendClient } from '../common/backend-client.ts'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import type { Ring } from '../ring/ring.ts'
import type { DaemonConfig } from './config.ts'
import { DbReplicationError, callDbOp, dbPath, listDeviceDbs, nodeOf } from './db-rpc-client.ts'
import { localDevices } from './local-devices.ts'

export interface DbAuditorOptions {
  readonly type: 'container' | 'account'
  readonly config: DaemonConfig
  readonly ring: Ring
  readonly logger: Logger
  readonly client?: BackendClient
}

/** Rows checked against the stats per database at most; bigger ones get the row checks only. */
const MAX_ROWS_RECOUNTED = 100_000

export class DbAuditor implements Daemon {
  readonly name: string
  private readonly client: BackendClient
  private readonly perSecond: number

  constructor(private readonly o: DbAuditorOptions) {
    this.name = `${o.type}-auditor`
    const c = o.config
    this.client = o.client ?? new BackendClient({ connTimeout: c.connTimeout, nodeTimeout: c.nodeTimeout, logger: o.logger })
    const raw = c.raw[`max_${o.type}s_per_second`]
    this.perSecond = raw === undefined || raw.trim() === '' ? 200 : Number(raw)
    if (!Number.isFinite(this.perSecond) || this.perSecond < 0) throw new DbReplicationError(`max_${o.type}s_per_second must be a number >= 0`)
  }

  async runOnce(): Promise<PassStats> {
    const stats = { passed: 0, failed: 0, quarantined: 0, errors: 0 }
    const { config, ring, type } = this.o
    const started = performance.now()
    let audited = 0
    for (const dev of localDevices(ring.devices, config.bindIp, config.ports[type])) {
      const node = nodeOf(dev)
      let dbs: { partition: number; hash: string }[]
      try {
        dbs = await listDeviceDbs(this.client, node, this.name)
      } catch (err) {
        this.o.logger.warn(`${this.name}: device skipped`, { device: dev.device, err })
        continue
      }
      for (const { partition, hash } of dbs) {
        try {
          const res = await callDbOp<{ problem?: string; quarantined?: string }>(this.client, node, dbPath(dev.device, partition, hash), 'audit', { maxRows: MAX_ROWS_RECOUNTED, quarantine: true }, this.name)
          if (res.status === 404) continue
          if (res.status !== 200) throw new DbReplicationError(`audit answered ${res.status}`, res.status)
          if (!res.body.problem) stats.passed++
          else {
            stats.failed++
            if (res.body.quarantined) stats.quarantined++
            this.o.logger.warn(`${this.name}: database quarantined`, { device: dev.device, partition, hash, reason: res.body.problem, file: res.body.quarantined })
          }
        } catch (err) {
          stats.errors++
          this.o.logger.error(`${this.name}: audit error`, { device: dev.device, partition, hash, err })
        }
        audited++
        if (this.perSecond > 0) {
          const due = (audited / this.perSecond) * 1000 - (performance.now() - started)
          if (due > 1) await sleep(due)
        }
      }
    }
    return stats
  }

  close(): void {
    this.client.close()
  }
}
