// The all-in-one's rsync daemon (Swift's SAIO rsyncd.conf): one module per device,
// object_<device>, so each node's object replicator pushes suffixes straight into the other
// nodes' devices. It listens on loopback at TERN_PORT_BASE + 3 and only runs when rsync is
// installed; without it the replicators use HTTP (sync_method = ssync).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandExists } from '../replicator/which.ts'
import type { Layout } from './layout.ts'
import { STORAGE_IP } from './layout.ts'
import type { ProcessSpec } from './supervisor.ts'

export function rsyncPort(layout: Layout): number {
  return layout.portBase + 3
}

export function rsyncdConfPath(layout: Layout): string {
  return join(layout.etcDir, 'rsyncd.conf')
}

/** The rsync_module template the nodes' replicators use to reach this daemon. */
export function rsyncModuleTemplate(layout: Layout): string {
  return `rsync://${STORAGE_IP}:${rsyncPort(layout)}/object_{device}`
}

export function rsyncdConfText(layout: Layout): string {
  const lines = [
    '# Written by `tern start` on every start (a module per device of the all-in-one nodes).',
    `address = ${STORAGE_IP}`,
    `port = ${rsyncPort(layout)}`,
    'use chroot = no',
    // Run as root, rsync would switch to "nobody" and could not write into the devices.
    ...(process.getuid ? [`uid = ${process.getuid()}`, `gid = ${process.getgid?.() ?? process.getuid()}`] : []),
    `log file = ${join(layout.logDir, 'rsyncd-transfers.log')}`,
    '',
  ]
  for (const node of layout.nodes) {
    lines.push(
      `[object_${node.device}]`,
      'max connections = 8',
      `path = ${join(node.devicesDir, node.device)}`,
      'read only = false',
      `lock file = ${join(layout.runDir, `rsyncd-object_${node.device}.lock`)}`,
      '',
    )
  }
  return lines.join('\n')
}

/** The rsync daemon's process, or undefined when rsync is not installed. */
export function rsyncdSpec(layout: Layout): ProcessSpec | undefined {
  if (!commandExists('rsync')) return undefined
  mkdirSync(layout.etcDir, { recursive: true })
  mkdirSync(layout.runDir, { recursive: true })
  writeFileSync(rsyncdConfPath(layout), rsyncdConfText(layout))
  return { name: 'rsyncd', command: 'rsync', args: ['--daemon', '--no-detach', `--config=${rsyncdConfPath(layout)}`], host: STORAGE_IP, ports: [rsyncPort(layout)] }
}
