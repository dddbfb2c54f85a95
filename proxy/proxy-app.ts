// What every proxy controller shares (Swift's proxy/server.py Application): the config, the
// three rings, the backend client with its error limiting, the info caches and the /info
// registry. One per proxy process; never per request.
import { join } from 'node:path'
import { BackendClient } from '../common/backend-client.ts'
import type { BackendNode } from '../common/backend-client.ts'
import type { Logger } from '../common/logger.ts'
import { Ring } from '../ring/ring.ts'
import type { RingNode } from '../ring/types.ts'
import type { ProxyConfig } from './config.ts'
import { InfoCache } from './info-cache.ts'
import { InfoRegistry } from './info-registry.ts'

/** The lookups the controllers need from a ring (Ring satisfies it; tests may fake it). */
export interface ProxyRing {
  readonly replicaCount: number
  getPart(account: string, container?: string, object?: string): number
  getPartNodes(part: number): RingNode[]
  getMoreNodes(part: number): Iterable<BackendNode>
}

export interface ProxyRings {
  account: ProxyRing
  container: ProxyRing
  object: ProxyRing
}

/** Swift's quorum_size: more than half. */
export function quorumSize(replicas: number): number {
  return Math.floor(replicas / 2) + 1
}

export function loadRings(config: ProxyConfig): ProxyRings {
  const options = { secrets: config.hashPathSecrets }
  return {
    account: Ring.load(join(config.swiftDir, 'account.ring.gz'), options),
    container: Ring.load(join(config.swiftDir, 'container.ring.gz'), options),
    object: Ring.load(join(config.swiftDir, 'object.ring.gz'), options),
  }
}

export class ProxyApp {
  readonly client: BackendClient
  readonly infoCache: InfoCache
  readonly info: InfoRegistry

  constructor(
    readonly config: ProxyConfig,
    readonly rings: ProxyRings,
    readonly logger: Logger,
  ) {
    this.client = new BackendClient({
      connTimeout: config.connTimeout,
      nodeTimeout: config.nodeTimeout,
      errorSuppressionLimit: config.errorSuppressionLimit,
      errorSuppressionInterval: config.errorSuppressionInterval,
      maxFreeSockets: config.backendMaxFreeSockets,
      logger: logger.child({ component: 'backend' }),
    })
    this.infoCache = new InfoCache(config.recheckAccountExistence, config.recheckContainerExistence)
    this.info = new InfoRegistry(config)
  }

  /** Primaries in read order (shuffled unless sorting_method = none), then handoffs, skipping error-limited nodes. */
  *nodeIter(ring: ProxyRing, part: number, primaries: readonly BackendNode[], options: { shuffle?: boolean } = {}): Generator<BackendNode & { handoff?: boolean }> {
    const limiter = this.client.errorLimiter
    const ordered = options.shuffle !== false && this.config.sortingMethod === 'shuffle' ? shuffled(primaries) : primaries
    const max = this.config.requestNodeCount(Math.ceil(ring.replicaCount))
    let yielded = 0
    for (const node of ordered) {
      if (limiter.isLimited(node)) continue
      yield node
      yielded++
    }
    for (const node of ring.getMoreNodes(part)) {
      if (yielded >= max) return
      if (limiter.isLimited(node)) continue
      yield { ...node, handoff: true }
      yielded++
    }
  }

  close(): void {
    this.client.close()
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const tmp = out[i] as T
    out[i] = out[j] as T
    out[j] = tmp
  }
  return out
}
