// Telling the container servers about an object change, and the expirer queue about an
// X-Delete-At (Swift: ObjectController.async_update / container_update / delete_at_update).
// Each update goes to every host named by the proxy; one that cannot be delivered (refused,
// timed out, non-2xx) is written as an async_pending record for the updater to replay.
// A PUT/DELETE waits at most container_update_timeout for them before it answers.
import http from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { hashPath } from '../common/hash-path.ts'
import type { HashPathSecrets } from '../common/hash-path.ts'
import type { Logger } from '../common/logger.ts'
import { Timestamp } from '../common/timestamp.ts'
import { normalizeDeleteAt } from '../common/constraints-check.ts'
import type { AsyncPendingUpdate, DiskFileManager, ObjectName } from './diskfile/types.ts'
import { headerString } from './metadata.ts'
import { UpdateBatcher } from './update-batcher.ts'
import type { ColocatedServers } from '../common/colocated-servers.ts'
import type { SingleUpdate } from './update-batcher.ts'
import { MAX_BATCH_ROWS, UPDATE_BATCH_FORMAT, UPDATE_BATCH_HEADER } from '../common/object-update-batch.ts'
import type { BatchedRow } from '../common/object-update-batch.ts'

export interface ContainerUpdaterOptions {
  readonly diskfile: DiskFileManager
  readonly secrets: HashPathSecrets
  readonly connTimeout: number
  readonly nodeTimeout: number
  readonly containerUpdateTimeout: number
  readonly expiringObjectsAccount: string
  readonly expiringObjectsContainerDivisor: number
  readonly logger: Logger
  /** The servers of this process: updates for a container server among them skip HTTP. */
  readonly colocated?: ColocatedServers | undefined
}

export interface UpdateRequest {
  readonly headers: IncomingHttpHeaders
  readonly method: string
  readonly url: string
  readonly timestamp: Timestamp
  readonly txnId: string
}

type Headers = Record<string, string>

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

/** Python's urllib quote with safe="/". */
function quote(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/')
}

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim())
}

/** Headers of a batch request itself; the rows carry their own. */
const BATCH_REQUEST_HEADERS = ['X-Trans-Id', 'User-Agent', 'Referer']

export class ContainerUpdater {
  /** Updates of object rows (not the expirer queue's) to one container database coalesce here. */
  readonly batcher: UpdateBatcher

  constructor(private readonly o: ContainerUpdaterOptions) {
    this.batcher = new UpdateBatcher(
      {
        single: (ip, port, u) => this.send(ip, port, u.method, u.path, u.headers),
        batch: (ip, port, containerPath, rows, headers) => this.sendBatch(ip, port, containerPath, rows, headers),
      },
      MAX_BATCH_ROWS,
      o.logger,
    )
  }

  /** Sends one update, or records it as async_pending when it does not land. */
  async asyncUpdate(
    op: 'PUT' | 'DELETE', account: string, container: string, obj: string, host: string | undefined, partition: string | undefined,
    contDevice: string | undefined, headersOut: Headers, name: ObjectName, containerPath?: string, batched = false,
  ): Promise<void> {
    const headers: Headers = { ...headersOut, 'User-Agent': `object-server ${process.pid}` }
    const fullPath = containerPath ? `/${containerPath}/${obj}` : `/${account}/${container}/${obj}`
    if (host && partition && contDevice) {
      const at = host.lastIndexOf(':')
      const ip = host.slice(0, at).replace(/^\[(.*)\]$/, '$1')
      const port = Number(host.slice(at + 1))
      try {
        const path = quote(`/${contDevice}/${partition}${fullPath}`)
        const single: SingleUpdate = { method: op, path, headers }
        const dbPath = quote(`/${contDevice}/${partition}${containerPath ? `/${containerPath}` : `/${account}/${container}`}`)
        const local = this.o.colocated?.containerServerAt(ip, port)
        const status = local
          ? ((await local.applyUpdates(dbPath, [{ op, name: obj, headers }], headers))[0] ?? 500)
          : batched
            ? await this.batcher.send(ip, port, dbPath, { op, name: obj, headers }, single)
            : await this.send(ip, port, op, path, headers)
        if (status >= 200 && status < 300) return
        this.o.logger.error('ERROR Container update failed (saving for async update later)', { status, host, device: contDevice })
      } catch (err) {
        this.o.logger.error('ERROR container update failed (saving for async update later)', { host, device: contDevice, err })
      }
    }
    const update: AsyncPendingUpdate = { op, account, container, obj, headers, containerPath }
    const ts = Timestamp.parse(headers['X-Meta-Timestamp'] ?? headers['X-Timestamp'] ?? '0')
    await this.o.diskfile.writeAsyncPending(name.device, name.policy, update, ts)
  }

  private async sendBatch(ip: string, port: number, containerPath: string, rows: readonly BatchedRow[], first: Headers): Promise<number[]> {
    const headers: Headers = { [UPDATE_BATCH_HEADER]: '1', 'Content-Type': 'application/json' }
    for (const h of BATCH_REQUEST_HEADERS) if (first[h] !== undefined) headers[h] = first[h]
    const body = JSON.stringify({ v: UPDATE_BATCH_FORMAT, rows })
    let answer = ''
    const status = await this.send(ip, port, 'POST', containerPath, headers, body, (text) => {
      answer = text
    })
    if (status < 200 || status >= 300) return rows.map(() => status)
    const statuses = (JSON.parse(answer) as { statuses?: unknown }).statuses
    if (!Array.isArray(statuses) || statuses.length !== rows.length) throw new Error('container update batch: malformed answer')
    return statuses.map((s) => (typeof s === 'number' ? s : 500))
  }

  private send(ip: string, port: number, method: string, path: string, headers: Headers, body?: string, onBody?: (text: string) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(body)
      const req = http.request({ host: ip, port, method, path, headers: { ...headers, 'Content-Length': String(payload?.length ?? 0) }, agent })
      const connectTimer = setTimeout(() => req.destroy(new Error('connection timeout')), this.o.connTimeout * 1000)
      req.once('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer)
        else socket.once('connect', () => clearTimeout(connectTimer))
      })
      req.setTimeout(this.o.nodeTimeout * 1000, () => req.destroy(new Error('response timeout')))
      req.once('response', (res) => {
        clearTimeout(connectTimer)
        const chunks: Buffer[] = []
        if (onBody) res.on('data', (c: Buffer) => chunks.push(c))
        else res.resume()
        res.once('end', () => {
          onBody?.(Buffer.concat(chunks).toString('utf8'))
          resolve(res.statusCode ?? 0)
        })
        res.once('error', reject)
      })
      req.once('error', (err) => {
        clearTimeout(connectTimer)
        reject(err)
      })
      req.end(payload)
    })
  }

  /** Swift's container_update: one update per X-Container-Host/-Device pair. */
  async containerUpdate(op: 'PUT' | 'DELETE', name: ObjectName, request: UpdateRequest, headersOut: Headers): Promise<void> {
    const h = request.headers
    const hosts = splitList(headerString(h, 'x-container-host'))
    const devices = splitList(headerString(h, 'x-container-device'))
    const partition = headerString(h, 'x-container-partition') ?? ''
    if (hosts.length !== devices.length) {
      this.o.logger.error('ERROR Container update failed: different numbers of hosts and devices in request', { hosts, devices })
      return
    }
    let containerPath: string | undefined
    const quoted = headerString(h, 'x-backend-quoted-container-path')
    const raw = quoted ? decodeURIComponent(quoted) : headerString(h, 'x-backend-container-path')
    if (raw) {
      if (/^[^/]+\/[^/]+$/.test(raw)) containerPath = raw
      else this.o.logger.error('Invalid X-Backend-Container-Path, should be of the form account/container', { path: raw })
    }
    if (!partition) return
    const out: Headers = {
      ...headersOut,
      'X-Trans-Id': headerString(h, 'x-trans-id') ?? '-',
      Referer: `${request.method} ${request.url}`,
      'X-Backend-Storage-Policy-Index': String(name.policy),
    }
    const updates = hosts.map((host, i) =>
      this.asyncUpdate(op, name.account, name.container, name.obj, host, partition, devices[i], out, name, containerPath, true).catch((err: unknown) => {
        this.o.logger.error('ERROR could not save async update', { err })
      }),
    )
    await this.waitAtMost(Promise.all(updates), this.o.containerUpdateTimeout)
  }

  /** Swift's delete_at_update: queue (PUT) or unqueue (DELETE) the object for the expirer. */
  async deleteAtUpdate(op: 'PUT' | 'DELETE', deleteAt: number, name: ObjectName, request: UpdateRequest): Promise<void> {
    const h = request.headers
    if (/^(true|1|yes|on|t|y)$/i.test(headerString(h, 'x-backend-replication') ?? '')) return
    const at = normalizeDeleteAt(deleteAt)
    const out: Headers = {
      'X-Backend-Storage-Policy-Index': '0',
      'X-Timestamp': request.timestamp.internal,
      'X-Trans-Id': headerString(h, 'x-trans-id') ?? '-',
      Referer: `${request.method} ${request.url}`,
    }
    let targets: [string | undefined, string | undefined][] = [[undefined, undefined]]
    let partition: string | undefined
    let container: string
    if (op === 'PUT') {
      const hosts = headerString(h, 'x-delete-at-host')
      if (hosts === undefined) return
      container = headerString(h, 'x-delete-at-container') ?? this.expirerContainer(deleteAt, name)
      partition = headerString(h, 'x-delete-at-partition')
      const devices = splitList(headerString(h, 'x-delete-at-device'))
      const pairs = splitList(hosts).map((host, i): [string | undefined, string | undefined] => [host, devices[i]])
      const usable = pairs.filter(([host, dev]) => host && dev && partition)
      if (usable.length) targets = usable
      Object.assign(out, { 'X-Size': '0', 'X-Content-Type': 'text/plain', 'X-Etag': 'd41d8cd98f00b204e9800998ecf8427e' })
    } else {
      if (!/^(true|1|yes|on|t|y)$/i.test(headerString(h, 'x-backend-clean-expiring-object-queue') ?? 't')) return
      container = this.expirerContainer(deleteAt, name)
    }
    container = normalizeDeleteAt(Number(container))
    const taskObj = `${at}-${name.account}/${name.container}/${name.obj}`
    for (const [host, device] of targets) {
      await this.asyncUpdate(op, this.o.expiringObjectsAccount, container, taskObj, host, partition, device, out, name)
    }
  }

  /** Swift's get_expirer_container: the day bucket, spread over 100 containers by name hash. */
  expirerContainer(deleteAt: number, name: ObjectName): string {
    const shard = Number(BigInt(`0x${hashPath(this.o.secrets, name.account, name.container, name.obj)}`) % 100n)
    const divisor = this.o.expiringObjectsContainerDivisor
    return normalizeDeleteAt(Math.floor(deleteAt / divisor) * divisor - shard)
  }

  private async waitAtMost(work: Promise<unknown>, seconds: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, seconds * 1000)
    })
    await Promise.race([work, timeout])
    clearTimeout(timer)
  }
}

