// The object updater (Swift: swift/obj/updater.py ObjectUpdater): replays the container
// updates the object server could not deliver (async_pending records) to every primary of
// the container, removing a record once all of them accepted it. Only the newest record of
// an object matters (an older one is removed unsent, as Swift does); a container node that
// fails is not tried again for the rest of the pass (the next pass, `interval` seconds later,
// is the backoff), and `slowdown` seconds pass between records so a backlog never floods
// the container servers.
import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { BackendClient, nodeKey } from '../common/backend-client.ts'
import type { BackendNode } from '../common/backend-client.ts'
import { quotePath } from '../common/backend-client.ts'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import type { Ring } from '../ring/ring.ts'
import type { DaemonConfig } from '../replicator/config.ts'
import { localDevices } from '../replicator/local-devices.ts'
import { FsDiskFileManager } from './diskfile/fs.ts'
import { policyDir } from './diskfile/async-pending.ts'
import type { AsyncPendingEntry } from './diskfile/types.ts'

export interface ObjectUpdaterOptions {
  readonly config: DaemonConfig
  readonly objectRing: Ring
  readonly containerRing: Ring
  readonly logger: Logger
  readonly client?: BackendClient
}

export class ObjectUpdater implements Daemon {
  readonly name = 'object-updater'
  private readonly client: BackendClient
  private readonly diskfile: FsDiskFileManager

  constructor(private readonly o: ObjectUpdaterOptions) {
    this.client = o.client ?? new BackendClient({ connTimeout: o.config.connTimeout, nodeTimeout: o.config.nodeTimeout, logger: o.logger })
    this.diskfile = new FsDiskFileManager({ devices: o.config.devices, secrets: o.config.hashPath })
  }

  async runOnce(): Promise<PassStats> {
    const stats = { successes: 0, failures: 0, unlinks: 0, quarantines: 0 }
    const failedNodes = new Set<string>()
    const { config } = this.o
    for (const dev of localDevices(this.o.objectRing.devices, config.bindIp, config.ports.object)) {
      const devPath = join(config.devices, dev.device)
      for (const dir of await readdir(devPath).catch(() => [] as string[])) {
        const m = /^async_pending(?:-(\d+))?$/.exec(dir)
        if (!m) continue
        const policy = Number(m[1] ?? 0)
        let entries: AsyncPendingEntry[]
        try {
          entries = await this.diskfile.listAsyncPending(dev.device, policy)
        } catch (err) {
          stats.quarantines++
          this.o.logger.error('unreadable async pending folder', { device: dev.device, err })
          continue
        }
        // Newest first per object: keys are "<suffix>/<hash>-<timestamp>".
        entries.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
        const seen = new Set<string>()
        for (const entry of entries) {
          const path = join(devPath, policyDir('async_pending', policy), entry.key)
          const objectKey = entry.key.slice(0, entry.key.lastIndexOf('-'))
          if (seen.has(objectKey)) {
            await unlink(path).catch(() => undefined)
            stats.unlinks++
            continue
          }
          seen.add(objectKey)
          const ok = await this.replay(entry, policy, failedNodes)
          if (ok) {
            await unlink(path).catch(() => undefined)
            stats.successes++
            stats.unlinks++
          } else {
            stats.failures++
          }
          if (config.slowdown > 0) await new Promise((r) => setTimeout(r, config.slowdown * 1000))
        }
      }
    }
    return stats
  }

  /** Sends one update to every primary of its container; true when all accepted it. */
  private async replay(entry: AsyncPendingEntry, policy: number, failedNodes: Set<string>): Promise<boolean> {
    const u = entry.update
    const [account, container] = u.containerPath ? (u.containerPath.split('/') as [string, string]) : [u.account, u.container]
    const { partition, nodes } = this.o.containerRing.getNodes(account, container)
    const headers = { ...u.headers, 'X-Backend-Storage-Policy-Index': String(policy), 'User-Agent': `object-updater ${process.pid}` }
    const results = await Promise.all(
      nodes.map(async (dev) => {
        const node: BackendNode = { ip: dev.ip, port: dev.port, device: dev.device }
        if (failedNodes.has(nodeKey(node))) return false
        try {
          const res = await this.client.request(node, {
            method: u.op,
            path: `/${quotePath(dev.device)}/${partition}${quotePath(`/${account}/${container}/${u.obj}`)}`,
            headers,
          })
          if (res.status >= 200 && res.status < 300) return true
          this.o.logger.warn('container update refused', { node: nodeKey(node), status: res.status, obj: `${account}/${container}/${u.obj}` })
          // A 507 or 5xx says the node is unwell: leave it alone for the rest of the pass.
          if (res.status >= 500) failedNodes.add(nodeKey(node))
          return false
        } catch (err) {
          failedNodes.add(nodeKey(node))
          this.o.logger.info('container node unreachable', { node: nodeKey(node), err: (err as Error).message })
          return false
        }
      }),
    )
    return results.every(Boolean)
  }

  close(): void {
    this.client.close()
  }
}
