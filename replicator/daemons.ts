// The consistency daemons by name, as `tern daemon <name> <conf>` and the all-in-one start
// them: each reads its own section of the node's ini file (Swift's section names).
import { join } from 'node:path'
import type { Daemon } from '../common/daemon.ts'
import type { Logger } from '../common/logger.ts'
import { Ring } from '../ring/ring.ts'
import type { DaemonConfig } from './config.ts'
import { ObjectReplicator } from './object-replicator.ts'
import { ObjectUpdater } from '../object/updater.ts'
import { ObjectAuditor } from '../object/auditor.ts'
import { DbReplicator } from './db-replicator.ts'
import { ObjectExpirer } from '../object/expirer.ts'
import { ContainerUpdater } from '../container/updater.ts'
import { DbAuditor } from './db-auditor.ts'
import { AccountReaper } from '../account/reaper.ts'

export interface DaemonArgs {
  readonly config: DaemonConfig
  readonly logger: Logger
  readonly devices?: readonly string[] | undefined
  readonly partitions?: readonly number[] | undefined
}

export interface DaemonEntry {
  readonly summary: string
  create(args: DaemonArgs): Promise<Daemon & { close?(): void | Promise<void> }>
}

export function loadRing(config: DaemonConfig, type: 'object' | 'container' | 'account'): Ring {
  return Ring.load(join(config.swiftDir, `${type}.ring.gz`), { secrets: config.hashPath })
}

export const DAEMONS: Readonly<Record<string, DaemonEntry>> = {
  'object-replicator': {
    summary: 'push differing suffixes to the other primaries (rsync or HTTP), move handoffs home',
    create: async ({ config, logger, devices, partitions }) =>
      new ObjectReplicator({ config, logger, ring: loadRing(config, 'object'), devices, partitions }),
  },
  'object-auditor': {
    summary: 're-hash object bodies at bytes_per_second and quarantine mismatches (mode = zbf: sizes and metadata only)',
    create: async ({ config, logger }) =>
      new ObjectAuditor({ config, logger, ring: loadRing(config, 'object'), zeroByteOnly: config.raw.mode === 'zbf' }),
  },
  'container-auditor': {
    summary: 'check every container database (info, rows, sequence index, stats) and quarantine a broken one',
    create: async ({ config, logger }) => new DbAuditor({ type: 'container', config, logger, ring: loadRing(config, 'container') }),
  },
  'account-auditor': {
    summary: 'check every account database (info, rows, sequence index, stats) and quarantine a broken one',
    create: async ({ config, logger }) => new DbAuditor({ type: 'account', config, logger, ring: loadRing(config, 'account') }),
  },
  'object-updater': {
    summary: 'replay async pending container updates to the container servers',
    create: async ({ config, logger }) =>
      new ObjectUpdater({ config, logger, objectRing: loadRing(config, 'object'), containerRing: loadRing(config, 'container') }),
  },
  'object-expirer': {
    summary: 'delete objects past X-Delete-At from the .expiring_objects queue, cluster-wide, and unqueue them',
    create: async ({ config, logger }) =>
      new ObjectExpirer({ config, logger, objectRing: loadRing(config, 'object'), containerRing: loadRing(config, 'container') }),
  },
  'container-updater': {
    summary: 'report changed container stats (object count, bytes, put/delete timestamps) to the account servers',
    create: async ({ config, logger }) =>
      new ContainerUpdater({ config, logger, containerRing: loadRing(config, 'container'), accountRing: loadRing(config, 'account') }),
  },
  'account-reaper': {
    summary: 'remove every object and container of accounts marked deleted, delay_reaping seconds after their deletion',
    create: async ({ config, logger }) =>
      new AccountReaper({ config, logger, accountRing: loadRing(config, 'account'), containerRing: loadRing(config, 'container'), objectRing: loadRing(config, 'object') }),
  },
  'container-replicator': {
    summary: 'send container rows since the last sync point to the other primaries, copy missing databases, move handoffs home',
    create: async ({ config, logger, devices, partitions }) =>
      new DbReplicator({ type: 'container', config, logger, ring: loadRing(config, 'container'), devices, partitions }),
  },
  'account-replicator': {
    summary: 'send account rows since the last sync point to the other primaries, copy missing databases, move handoffs home',
    create: async ({ config, logger, devices, partitions }) =>
      new DbReplicator({ type: 'account', config, logger, ring: loadRing(config, 'account'), devices, partitions }),
  },
}
