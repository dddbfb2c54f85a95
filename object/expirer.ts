// The object expirer (Swift: swift/obj/expirer.py ObjectExpirer). Objects with X-Delete-At are
// queued by the object servers in the hidden `.expiring_objects` account: one container per
// day bucket (and name shard), named by its normalized timestamp, holding one row
// `<delete_at>-<account>/<container>/<object>` per expiring object. A pass:
// - finds the queue containers among this node's container databases (through the container
//   server's REPLICATE `list` / `rows`: the server owns the RocksDB), taking only those whose
//   partition has this device as its first primary, so one node handles each queue container;
// - for every queued object whose time has come, DELETEs it on every object primary with
//   X-Timestamp = X-If-Delete-At = its delete_at (an overwrite made later wins; an object whose
//   X-Delete-At changed meanwhile answers 412 and is left alone), telling each object server
//   which container replica to update, so the listings drop it;
// - removes the queue row from every replica of its queue container once a quorum of object
//   servers has deleted the object (or it was already gone or changed).
// Swift reads the queue through an internal proxy client and splits it over processes; here
// each node works on its own replicas.
import { BackendClient } from '../common/backend-client.ts'
import type { BackendNode } from '../common/backend-client.ts'
import { quotePath } from '../common/backend-client.ts'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import { Timestamp } from '../common/timestamp.ts'
import { DB_REPLICATION_FORMAT, MAX_ROWS_PER_REQUEST, REPLICATION_METHOD_HEADER } from '../common/db/replication-rpc.ts'
import type { DaemonConfig } from '../replicator/config.ts'
import { localDevices } from '../replicator/local-devices.ts'
import type { Ring } from '../ring/ring.ts'
import type { RingDevice } from '../ring/types.ts'

export interface ObjectExpirerOptions {
  readonly config: DaemonConfig
  readonly objectRing: Ring
  readonly containerRing: Ring
  readonly logger: Logger
  readonly client?: BackendClient
  /** Unix seconds (tests). */
  readonly now?: () => number
}

interface QueueRow {
  name: string
  deleted: 0 | 1
  seq: number
}

interface QueueContainer {
  readonly local: BackendNode
  readonly partition: number
  readonly hash: string
  readonly container: string
}

const nodeOf = (dev: RingDevice): BackendNode => ({ ip: dev.ip, port: dev.port, device: dev.device })

/** `<delete_at>-<account>/<container>/<object>` → its parts; undefined when malformed. */
export function parseTaskName(name: string): { deleteAt: string; account: string; container: string; obj: string } | undefined {
  const m = /^(\d+)-([^/]+)\/([^/]+)\/(.+)$/s.exec(name)
  if (!m) return undefined
  return { deleteAt: m[1]!, account: m[2]!, container: m[3]!, obj: m[4]! }
}

export class ObjectExpirer implements Daemon {
  readonly name = 'object-expirer'
  private readonly client: BackendClient
  private stats: Record<string, number> = {}

  constructor(private readonly options: ObjectExpirerOptions) {
    const c = options.config
    this.client = options.client ?? new BackendClient({ connTimeout: c.connTimeout, nodeTimeout: c.nodeTimeout, logger: options.logger })
  }

  close(): void {
    this.client.close()
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now() / 1000
  }

  async runOnce(): Promise<PassStats> {
    this.stats = { queueContainers: 0, objects: 0, expired: 0, failures: 0, queueRowsRemoved: 0 }
    const now = this.now()
    for (const queue of await this.queueContainers()) {
      if (Number(queue.container) > now) continue
      this.stats.queueContainers!++
      for (const row of await this.queueRows(queue)) {
        const task = parseTaskName(row.name)
        if (!task) continue
        if (Number(task.deleteAt) > now) continue
        this.stats.objects!++
        try {
          if (await this.deleteObject(task)) {
            this.stats.expired!++
            await this.removeQueueRow(queue, row.name)
          } else this.stats.failures!++
        } catch (err) {
          this.stats.failures!++
          this.options.logger.warn('object-expirer: object not expired', { task: row.name, err })
        }
      }
    }
    return { ...this.stats }
  }

  private async rpc<T>(node: BackendNode, path: string, body: object): Promise<T | undefined> {
    const res = await this.client.request(node, {
      method: 'POST',
      path,
      headers: { [REPLICATION_METHOD_HEADER]: 'REPLICATE', 'Content-Type': 'application/json' },
      body: JSON.stringify({ v: DB_REPLICATION_FORMAT, ...body }),
    })
    if (res.status !== 200) return undefined
    const parsed = JSON.parse(res.body.toString('utf8')) as T & { v?: number }
    return parsed.v === DB_REPLICATION_FORMAT ? parsed : undefined
  }

  /** Queue containers of which this node holds the first primary's replica. */
  private async queueContainers(): Promise<QueueContainer[]> {
    const { config, containerRing } = this.options
    const out: QueueContainer[] = []
    for (const dev of localDevices(containerRing.devices, config.bindIp, config.ports.container)) {
      const local = nodeOf(dev)
      const listed = await this.rpc<{ dbs: { partition: number; hash: string }[] }>(local, `/${quotePath(dev.device)}`, { op: 'list' }).catch((err: unknown) => {
        this.options.logger.warn('object-expirer: device skipped', { device: dev.device, err })
        return undefined
      })
      for (const { partition, hash } of listed?.dbs ?? []) {
        if (partition >= containerRing.partitionCount || containerRing.getPartNodes(partition)[0]?.id !== dev.id) continue
        const info = await this.rpc<{ info: { account?: string; container?: string } }>(local, `/${quotePath(dev.device)}/${partition}/${hash}`, { op: 'rows', since: 0, limit: 0 })
        if (info?.info.account !== config.expiringObjectsAccount || info.info.container === undefined) continue
        if (!/^\d+$/.test(info.info.container)) continue
        out.push({ local, partition, hash, container: info.info.container })
      }
    }
    return out
  }

  private async queueRows(queue: QueueContainer): Promise<QueueRow[]> {
    const rows: QueueRow[] = []
    for (let since = 0; ; ) {
      const page = await this.rpc<{ rows: QueueRow[] }>(queue.local, `/${quotePath(queue.local.device)}/${queue.partition}/${queue.hash}`, { op: 'rows', since, limit: MAX_ROWS_PER_REQUEST })
      if (!page || page.rows.length === 0) break
      for (const r of page.rows) if (!r.deleted) rows.push(r)
      since = page.rows[page.rows.length - 1]!.seq
      if (page.rows.length < MAX_ROWS_PER_REQUEST) break
    }
    return rows
  }

  /** DELETE on every object primary; true when a quorum deleted it or no longer needs to. */
  private async deleteObject(task: { deleteAt: string; account: string; container: string; obj: string }): Promise<boolean> {
    const { objectRing, containerRing } = this.options
    const { partition, nodes } = objectRing.getNodes(task.account, task.container, task.obj)
    const cont = containerRing.getNodes(task.account, task.container)
    const ts = Timestamp.parse(task.deleteAt).internal
    const statuses = await Promise.all(
      nodes.map(async (node, i) => {
        const c = cont.nodes[i % cont.nodes.length]!
        const res = await this.client.request(nodeOf(node), {
          method: 'DELETE',
          path: `/${quotePath(node.device)}/${partition}/${quotePath(task.account)}/${quotePath(task.container)}/${quotePath(task.obj)}`,
          headers: {
            'X-Timestamp': ts,
            'X-If-Delete-At': task.deleteAt,
            'X-Backend-Clean-Expiring-Object-Queue': 'no',
            'X-Container-Host': `${c.ip}:${c.port}`,
            'X-Container-Device': c.device,
            'X-Container-Partition': String(cont.partition),
            'User-Agent': `object-expirer ${process.pid}`,
          },
        }).catch(() => undefined)
        return res?.status ?? 0
      }),
    )
    // 404: already gone; 412: X-Delete-At changed (a newer POST), nothing to do for this entry.
    const done = statuses.filter((s) => (s >= 200 && s < 300) || s === 404 || s === 412).length
    return done >= Math.floor(nodes.length / 2) + 1
  }

  private async removeQueueRow(queue: QueueContainer, name: string): Promise<void> {
    const { containerRing, config } = this.options
    const { partition, nodes } = containerRing.getNodes(config.expiringObjectsAccount, queue.container)
    const ts = Timestamp.fromSeconds(this.now()).internal
    const results = await Promise.all(
      nodes.map((node) =>
        this.client
          .request(nodeOf(node), {
            method: 'DELETE',
            path: `/${quotePath(node.device)}/${partition}/${quotePath(config.expiringObjectsAccount)}/${quotePath(queue.container)}/${quotePath(name)}`,
            headers: { 'X-Timestamp': ts, 'X-Backend-Storage-Policy-Index': '0' },
          })
          .then((r) => r.status)
          .catch(() => 0),
      ),
    )
    if (results.some((s) => s >= 200 && s < 300)) this.stats.queueRowsRemoved!++
  }
}
