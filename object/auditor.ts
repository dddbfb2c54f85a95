// The object auditor (Swift: swift/obj/auditor.py): walks every object file of this node's
// devices and checks it. The full pass re-reads each body at no more than bytes_per_second
// and compares its MD5 with the stored ETag; the zero-byte fast pass (`--set zero_byte_fps=N`
// / mode=zbf) only checks that each file's metadata trailer decodes and that the body length
// matches Content-Length. The checks run in piscina worker threads (object/workers/
// audit-file.worker.ts), `concurrency` files at a time, so hashing never holds up the
// daemon process's event loop. A file that fails is quarantined (its hash directory moved to
// quarantined/objects/), its suffix invalidated, so the replicator restores a good copy from
// another primary; the object server never serves it again.
import { mkdir, readdir, rename, appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Piscina } from 'piscina'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import type { Ring } from '../ring/ring.ts'
import type { DaemonConfig } from '../replicator/config.ts'
import { localDevices } from '../replicator/local-devices.ts'
import { policyDir } from './diskfile/async-pending.ts'
import { chooseFiles } from './diskfile/ondisk-files.ts'
import type { AuditFileResult, AuditFileTask } from './workers/audit-file.worker.ts'
import { createWorkerPool } from './workers/pool.ts'

export interface ObjectAuditorOptions {
  readonly config: DaemonConfig
  readonly ring: Ring
  readonly logger: Logger
  /** Zero-byte fast pass: metadata and sizes only. */
  readonly zeroByteOnly?: boolean
}

interface AuditItem {
  readonly device: string
  readonly devPath: string
  readonly policy: number
  readonly partition: string
  readonly partDir: string
  readonly suffix: string
  readonly hash: string
  readonly dataFile: string
}

type AuditStats = { files: number; bytes: number; quarantined: number; errors: number }

export class ObjectAuditor implements Daemon {
  readonly name: string
  private pool: Piscina | undefined
  private passStart = 0
  private passBytes = 0

  constructor(private readonly o: ObjectAuditorOptions) {
    this.name = o.zeroByteOnly ? 'object-auditor-zbf' : 'object-auditor'
  }

  private get threads(): number {
    return this.o.config.concurrency
  }

  async runOnce(): Promise<PassStats> {
    const stats: AuditStats = { files: 0, bytes: 0, quarantined: 0, errors: 0 }
    this.pool ??= createWorkerPool(new URL('./workers/audit-file.worker.ts', import.meta.url), { threads: this.threads })
    this.passStart = performance.now()
    this.passBytes = 0
    const items = this.walk()
    const worker = async () => {
      for (;;) {
        const next = await items.next()
        if (next.done) return
        await this.audit(next.value, stats)
      }
    }
    await Promise.all(Array.from({ length: this.threads }, worker))
    return { ...stats }
  }

  /** Every object's newest data file, device by device (a generator: a pass never lists all at once). */
  private async *walk(): AsyncGenerator<AuditItem> {
    const { config } = this.o
    for (const dev of localDevices(this.o.ring.devices, config.bindIp, config.ports.object)) {
      const devPath = join(config.devices, dev.device)
      for (const top of await readdir(devPath).catch(() => [] as string[])) {
        const m = /^objects(?:-(\d+))?$/.exec(top)
        if (!m) continue
        const policy = Number(m[1] ?? 0)
        for (const partition of await readdir(join(devPath, top)).catch(() => [] as string[])) {
          if (!/^\d+$/.test(partition)) continue
          const partDir = join(devPath, top, partition)
          for (const suffix of await readdir(partDir).catch(() => [] as string[])) {
            if (!/^[0-9a-f]{3}$/.test(suffix)) continue
            for (const hash of await readdir(join(partDir, suffix)).catch(() => [] as string[])) {
              const files = chooseFiles(await readdir(join(partDir, suffix, hash)).catch(() => [] as string[]))
              if (files.data) yield { device: dev.device, devPath, policy, partition, partDir, suffix, hash, dataFile: join(partDir, suffix, hash, files.data.name) }
            }
          }
        }
      }
    }
  }

  private async audit(item: AuditItem, stats: AuditStats): Promise<void> {
    const limit = this.o.config.bytesPerSecond
    const task: AuditFileTask = { path: item.dataFile, zeroByteOnly: !!this.o.zeroByteOnly, bytesPerSecond: limit > 0 ? limit / this.threads : 0 }
    let result: AuditFileResult
    try {
      result = (await this.pool!.run(task)) as AuditFileResult
    } catch (err) {
      stats.errors++
      this.o.logger.error('audit error', { path: item.dataFile, err })
      return
    }
    if (result.missing) return
    stats.files++
    stats.bytes += result.bytes
    if (result.problem) {
      try {
        await this.quarantine(item)
        stats.quarantined++
        this.o.logger.warn('object quarantined', { device: item.device, partition: item.partition, hash: item.hash, reason: result.problem })
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOENT') return
        stats.errors++
        this.o.logger.error('quarantine failed', { path: item.dataFile, err })
      }
    }
    await this.pace(result.bytes)
  }

  /** Keeps the whole pass (all worker threads together) under bytes_per_second. */
  private async pace(bytes: number): Promise<void> {
    const limit = this.o.config.bytesPerSecond
    if (limit <= 0 || bytes === 0) return
    this.passBytes += bytes
    const due = (this.passBytes / limit) * 1000 - (performance.now() - this.passStart)
    if (due > 1) await sleep(due)
  }

  private async quarantine(item: AuditItem): Promise<void> {
    const base = join(item.devPath, 'quarantined', policyDir('objects', item.policy))
    await mkdir(base, { recursive: true })
    const target = join(base, `${item.hash}-${randomUUID().replaceAll('-', '')}`)
    await rename(join(item.partDir, item.suffix, item.hash), target)
    // The replicator sees the suffix changed and fetches a good copy from another primary.
    await appendFile(join(item.partDir, 'hashes.invalid'), `${item.suffix}\n`)
  }

  async close(): Promise<void> {
    const pool = this.pool
    this.pool = undefined
    await pool?.destroy()
  }
}
