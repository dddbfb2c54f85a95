// Container updates to one container database, coalesced while one is in flight. The first
// update to a database goes out at once as Swift's single-row PUT/DELETE; updates that arrive
// while it is in flight wait for it and then go out together as one update batch
// (common/object-update-batch.ts), and so on. Nothing waits on a timer: an idle cluster sends
// every update alone, and a busy one sends fewer, larger requests, each one merge and one
// database write on the container server instead of one per object.
import type { Logger } from '../common/logger.ts'
import type { BatchedRow } from '../common/object-update-batch.ts'

export interface SingleUpdate {
  readonly method: 'PUT' | 'DELETE'
  /** Quoted object path: /<dev>/<part>/<account>/<container>/<object>. */
  readonly path: string
  readonly headers: Record<string, string>
}


export interface UpdateTransport {
  /** Sends one Swift container update; resolves to its status. */
  single(ip: string, port: number, update: SingleUpdate): Promise<number>
  /** Sends rows to one container database (quoted /<dev>/<part>/<account>/<container>); a status per row. */
  batch(ip: string, port: number, containerPath: string, rows: readonly BatchedRow[], headers: Record<string, string>): Promise<number[]>
}

interface Waiting {
  row: BatchedRow
  single: SingleUpdate
  resolve: (status: number) => void
  reject: (err: unknown) => void
}

interface Target {
  ip: string
  port: number
  containerPath: string
  queue: Waiting[]
}

export class UpdateBatcher {
  readonly #busy = new Map<string, Target>()
  /** Requests sent, single and batched (tests and the log read them). */
  sent = { single: 0, batches: 0, batchedRows: 0 }

  constructor(
    private readonly transport: UpdateTransport,
    private readonly maxRows: number,
    private readonly logger?: Logger,
  ) {}

  /** Delivers one update; resolves to the status the container server gave this row. */
  send(ip: string, port: number, containerPath: string, row: BatchedRow, single: SingleUpdate): Promise<number> {
    const key = `${ip}:${port}${containerPath}`
    const busy = this.#busy.get(key)
    if (busy) {
      return new Promise((resolve, reject) => busy.queue.push({ row, single, resolve, reject }))
    }
    const target: Target = { ip, port, containerPath, queue: [] }
    this.#busy.set(key, target)
    this.sent.single++
    const first = this.transport.single(ip, port, single)
    void first.then(
      () => this.drain(key, target),
      () => this.drain(key, target),
    )
    return first
  }

  private drain(key: string, target: Target): void {
    if (target.queue.length === 0) {
      this.#busy.delete(key)
      return
    }
    const group = target.queue.splice(0, this.maxRows)
    let sending: Promise<number[]>
    if (group.length === 1) {
      this.sent.single++
      sending = this.transport.single(target.ip, target.port, group[0]!.single).then((s) => [s])
    } else {
      this.sent.batches++
      this.sent.batchedRows += group.length
      sending = this.transport.batch(target.ip, target.port, target.containerPath, group.map((w) => w.row), group[0]!.single.headers)
    }
    sending.then(
      (statuses) => {
        group.forEach((w, i) => w.resolve(statuses[i] ?? 500))
        this.drain(key, target)
      },
      (err: unknown) => {
        this.logger?.debug('container update batch failed', { rows: group.length, err })
        for (const w of group) w.reject(err)
        this.drain(key, target)
      },
    )
  }
}
