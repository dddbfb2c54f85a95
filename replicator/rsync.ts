// Pushing suffix directories with rsync through execa (Swift: ObjectReplicator._rsync and
// rsync()). The receiving node runs an rsync daemon with a module per device (Swift's
// rsyncd.conf); the module address comes from the rsync_module template. Existing files are
// never overwritten (--ignore-existing: object files are immutable, a name is a version),
// rsync's temp files are excluded, and --itemize-changes tells which files were sent.
import { execa } from 'execa'
import type { RingDevice } from '../ring/types.ts'

export class RsyncError extends Error {
  readonly code = 'ERR_RSYNC'
  constructor(
    message: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(message)
    this.name = 'RsyncError'
  }
}

/** Expands Swift's rsync_module template ("{replication_ip}::object_{device}") for a device. */
export function rsyncModule(template: string, dev: Pick<RingDevice, 'ip' | 'port' | 'replication_ip' | 'replication_port' | 'device'>): string {
  const ip = dev.replication_ip.includes(':') ? `[${dev.replication_ip}]` : dev.replication_ip
  const values: Record<string, string> = {
    replication_ip: ip,
    replication_port: String(dev.replication_port),
    ip: dev.ip.includes(':') ? `[${dev.ip}]` : dev.ip,
    port: String(dev.port),
    device: dev.device,
  }
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole).replace(/\/+$/, '')
}

export interface RsyncResult {
  /** Files rsync reported as sent (">f" lines of --itemize-changes). */
  readonly filesSent: number
  readonly lines: readonly string[]
}

/** Counts the files rsync sent from its --itemize-changes output. */
export function parseItemized(stdout: string): RsyncResult {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '')
  return { filesSent: lines.filter((l) => l.startsWith('>f') || l.startsWith('<f')).length, lines }
}

export interface RsyncOptions {
  readonly timeout: number
  readonly connTimeout: number
  readonly bwlimit?: string | undefined
  readonly binary?: string
}

/**
 * Copies `sources` (local suffix directories) into `dest` (e.g.
 * rsync://127.0.0.1:6203/object_sdb2/objects/17), creating the path there when missing.
 */
export async function rsyncPush(sources: readonly string[], dest: string, options: RsyncOptions): Promise<RsyncResult> {
  if (sources.length === 0) return { filesSent: 0, lines: [] }
  const args = [
    '--recursive',
    '--whole-file',
    '--human-readable',
    '--itemize-changes',
    '--ignore-existing',
    '--mkpath',
    `--timeout=${Math.ceil(options.timeout)}`,
    `--contimeout=${Math.max(1, Math.ceil(options.connTimeout))}`,
    '--exclude=.*.??????',
  ]
  if (options.bwlimit && options.bwlimit !== '0') args.push(`--bwlimit=${options.bwlimit}`)
  const r = await execa(options.binary ?? 'rsync', [...args, ...sources, `${dest}/`], { reject: false, timeout: options.timeout * 1000 })
  // 24: some source files vanished meanwhile (a concurrent cleanup) - the rest went through.
  if (r.exitCode !== 0 && r.exitCode !== 24) {
    throw new RsyncError(`rsync to ${dest} failed (exit ${r.exitCode}): ${String(r.stderr).trim().slice(0, 500)}`, r.exitCode, String(r.stderr))
  }
  return parseItemized(String(r.stdout))
}

/**
 * The rsync destination for a partition of an object device: a module per device
 * ("{replication_ip}::object_{device}") holds the device's folders, a module for the whole
 * devices folder ("{replication_ip}::object") needs the device name in the path, as Swift.
 */
export function rsyncDestination(template: string, dev: RingDevice, policyDir: string, partition: number | string): string {
  const module = rsyncModule(template, dev)
  const perDevice = template.includes('{device}')
  return `${module}/${perDevice ? '' : `${dev.device}/`}${policyDir}/${partition}`
}
