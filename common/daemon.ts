// Running a consistency daemon (Swift: swift/common/daemon.py and dump_recon_cache): one pass
// (`--once`) or passes forever with `interval` seconds between starts, a summary line per pass
// in the log, and the last pass's figures written to <recon_cache_path>/<daemon>.recon (JSON,
// versioned) for the storage node's /recon endpoint.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from './logger.ts'

export const RECON_FORMAT_VERSION = 1

/** What a pass reports: counts by name (items, failures, ...). */
export type PassStats = Record<string, number>

export interface Daemon {
  /** "object-replicator", "object-updater", ... */
  readonly name: string
  runOnce(): Promise<PassStats>
}

export interface ReconRecord {
  readonly v: number
  readonly daemon: string
  /** Unix seconds the last pass ended. */
  readonly lastPassEnd: number
  /** Seconds the last pass took. */
  readonly lastPassDuration: number
  readonly stats: PassStats
  readonly passes: number
  readonly error?: string
}

export interface RunOptions {
  readonly once: boolean
  /** Seconds between pass starts when running forever. */
  readonly interval: number
  readonly logger: Logger
  readonly reconCachePath?: string | undefined
  /** Aborting stops the loop after the current pass. */
  readonly signal?: AbortSignal
}

export function reconFile(reconCachePath: string, daemon: string): string {
  return join(reconCachePath, `${daemon}.recon`)
}

export async function writeRecon(reconCachePath: string, record: ReconRecord): Promise<void> {
  await mkdir(reconCachePath, { recursive: true })
  const path = reconFile(reconCachePath, record.daemon)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(record))
  await rename(tmp, path)
}

export async function readRecon(reconCachePath: string, daemon: string): Promise<ReconRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(reconFile(reconCachePath, daemon), 'utf8')) as ReconRecord
    return r.v === RECON_FORMAT_VERSION ? r : undefined
  } catch {
    return undefined
  }
}

/** One line summing up a pass: "object-replicator pass: 12.3s, partitions=40 failures=0". */
export function summaryLine(name: string, seconds: number, stats: PassStats): string {
  const parts = Object.entries(stats).map(([k, v]) => `${k}=${v}`)
  return `${name} pass: ${seconds.toFixed(2)}s${parts.length ? `, ${parts.join(' ')}` : ''}`
}

/** Runs passes; resolves with the last pass's stats (a failing pass is logged, and throws under once). */
export async function runDaemon(daemon: Daemon, options: RunOptions): Promise<PassStats> {
  let passes = 0
  let last: PassStats = {}
  for (;;) {
    const started = Date.now()
    let error: Error | undefined
    try {
      last = await daemon.runOnce()
    } catch (err) {
      error = err as Error
      options.logger.error(`${daemon.name} pass failed`, { err })
    }
    passes++
    const seconds = (Date.now() - started) / 1000
    if (!error) options.logger.info(summaryLine(daemon.name, seconds, last), { daemon: daemon.name, seconds, ...last })
    if (options.reconCachePath) {
      const record: ReconRecord = {
        v: RECON_FORMAT_VERSION, daemon: daemon.name, lastPassEnd: Date.now() / 1000, lastPassDuration: seconds, stats: last, passes,
        ...(error ? { error: error.message } : {}),
      }
      await writeRecon(options.reconCachePath, record).catch((err: unknown) => options.logger.warn('recon cache not written', { err }))
    }
    if (options.once) {
      if (error) throw error
      return last
    }
    const wait = Math.max(0, options.interval * 1000 - (Date.now() - started))
    if (options.signal?.aborted) return last
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait)
      options.signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve()
      }, { once: true })
    })
    if (options.signal?.aborted) return last
  }
}
