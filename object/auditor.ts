// The object auditor (Swift: swift/obj/auditor.py): walks every object file of this node's
// devices and checks it. The full pass re-reads each body at no more than bytes_per_second
// and compares its MD5 with the stored ETag; the zero-byte fast pass (`--set zero_byte_fps=N`
// / mode=zbf) only checks that each file's metadata trailer decodes and that the body length
// matches Content-Length. A file that fails is quarantined (its hash directory moved to
// quarantined/objects/), its suffix invalidated, so the replicator restores a good copy from
// another primary; the object server never serves it again.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, appendFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Daemon, PassStats } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import type { Ring } from '../ring/ring.ts'
import type { DaemonConfig } from '../replicator/config.ts'
import { localDevices } from '../replicator/local-devices.ts'
import { policyDir } from './diskfile/async-pending.ts'
import { FOOTER_SIZE, decodeFooter, decodeTrailer } from './diskfile/format.ts'
import { chooseFiles } from './diskfile/ondisk-files.ts'

export interface ObjectAuditorOptions {
  readonly config: DaemonConfig
  readonly ring: Ring
  readonly logger: Logger
  /** Zero-byte fast pass: metadata and sizes only. */
  readonly zeroByteOnly?: boolean
}

export class ObjectAuditor implements Daemon {
  readonly name: string
  private bytesThisSecond = 0
  private secondStart = Date.now()

  constructor(private readonly o: ObjectAuditorOptions) {
    this.name = o.zeroByteOnly ? 'object-auditor-zbf' : 'object-auditor'
  }

  async runOnce(): Promise<PassStats> {
    const stats = { files: 0, bytes: 0, quarantined: 0, errors: 0 }
    const { config } = this.o
    for (const dev of localDevices(this.o.ring.devices, config.bindIp, config.ports.object)) {
      const devPath = join(config.devices, dev.device)
      for (const top of await readdir(devPath).catch(() => [] as string[])) {
        const m = /^objects(?:-(\d+))?$/.exec(top)
        if (!m) continue
        const policy = Number(m[1] ?? 0)
        for (const part of await readdir(join(devPath, top)).catch(() => [] as string[])) {
          if (!/^\d+$/.test(part)) continue
          const partDir = join(devPath, top, part)
          for (const suffix of await readdir(partDir).catch(() => [] as string[])) {
            if (!/^[0-9a-f]{3}$/.test(suffix)) continue
            for (const hash of await readdir(join(partDir, suffix)).catch(() => [] as string[])) {
              const hashDir = join(partDir, suffix, hash)
              const files = chooseFiles(await readdir(hashDir).catch(() => [] as string[]))
              if (!files.data) continue
              stats.files++
              try {
                const problem = await this.check(join(hashDir, files.data.name), stats)
                if (problem) {
                  await this.quarantine(devPath, policy, partDir, suffix, hash)
                  stats.quarantined++
                  this.o.logger.warn('object quarantined', { device: dev.device, partition: part, hash, reason: problem })
                }
              } catch (err) {
                // Gone meanwhile (a newer write or a replication cleanup): nothing to audit.
                if ((err as { code?: unknown }).code === 'ENOENT') continue
                stats.errors++
                this.o.logger.error('audit error', { path: hashDir, err })
              }
            }
          }
        }
      }
    }
    return stats
  }

  /** Why the data file is bad, or undefined when it is good. */
  private async check(path: string, stats: { bytes: number }): Promise<string | undefined> {
    const size = (await stat(path)).size
    const fh = await open(path, 'r')
    let metadata: Record<string, string>
    let bodyLength: number
    try {
      const tailLen = Math.min(size, 64 * 1024)
      const tail = Buffer.alloc(tailLen)
      await fh.read(tail, 0, tailLen, size - tailLen)
      try {
        const footer = decodeFooter(tail)
        let bytes = tail
        if (footer.metaLength + FOOTER_SIZE > tailLen && tailLen < size) {
          bytes = Buffer.alloc(Math.min(size, footer.metaLength + FOOTER_SIZE))
          await fh.read(bytes, 0, bytes.length, size - bytes.length)
        }
        const decoded = decodeTrailer(bytes, size)
        metadata = decoded.metadata
        bodyLength = decoded.bodyLength
      } catch (err) {
        return `metadata: ${(err as Error).message}`
      }
    } finally {
      await fh.close()
    }
    if (String(bodyLength) !== metadata['Content-Length']) return `body is ${bodyLength} bytes, metadata says ${metadata['Content-Length']}`
    if (this.o.zeroByteOnly) return undefined
    const md5 = createHash('md5')
    if (bodyLength > 0) {
      for await (const chunk of createReadStream(path, { start: 0, end: bodyLength - 1, highWaterMark: 256 * 1024 })) {
        md5.update(chunk as Buffer)
        stats.bytes += (chunk as Buffer).length
        await this.pace((chunk as Buffer).length)
      }
    }
    const actual = md5.digest('hex')
    return actual === metadata.ETag ? undefined : `ETag ${metadata.ETag} but the body hashes to ${actual}`
  }

  /** Sleeps as needed to stay under bytes_per_second. */
  private async pace(bytes: number): Promise<void> {
    const limit = this.o.config.bytesPerSecond
    if (limit <= 0) return
    this.bytesThisSecond += bytes
    const elapsed = Date.now() - this.secondStart
    if (elapsed >= 1000) {
      this.secondStart = Date.now()
      this.bytesThisSecond = 0
      return
    }
    if (this.bytesThisSecond >= limit) {
      await new Promise((r) => setTimeout(r, 1000 - elapsed))
      this.secondStart = Date.now()
      this.bytesThisSecond = 0
    }
  }

  private async quarantine(devPath: string, policy: number, partDir: string, suffix: string, hash: string): Promise<void> {
    const base = join(devPath, 'quarantined', policyDir('objects', policy))
    await mkdir(base, { recursive: true })
    const target = join(base, `${hash}-${randomUUID().replaceAll('-', '')}`)
    await rename(join(partDir, suffix, hash), target)
    // The replicator sees the suffix changed and fetches a good copy from another primary.
    await appendFile(join(partDir, 'hashes.invalid'), `${suffix}\n`)
  }
}
