// The versioned_writes filter (Swift's versioned_writes/__init__.py): the legacy modes
// (X-Versions-Location / X-History-Location, legacy.ts) in front of object versioning
// (X-Versions-Enabled, object-versioning.ts), each switched on by its own option:
//   [filter:versioned_writes]
//   allow_versioned_writes = true
//   allow_object_versioning = true
// Object versioning stores versions behind static symlinks, so the symlink filter must come
// after this one in the pipeline (as in Swift's sample configuration).
import type { MiddlewareFactory, ProxyMiddleware } from '../../context.ts'
import type { Downstream } from '../../subrequest.ts'
import { downstreamOf } from '../../subrequest.ts'
import { CLIENT_HISTORY_LOC, CLIENT_VERSIONS_LOC, legacyVersionedWritesRequest } from './legacy.ts'
import { objectVersioningRequest } from './object-versioning.ts'
import { truthy } from './ov-support.ts'

/** A pipeline that cannot run object versioning (the code pipeline.ts uses for its own errors). */
export class VersioningConfigError extends Error {
  readonly code = 'ERR_PROXY_PIPELINE'
}

export const versionedWritesFactory: MiddlewareFactory = {
  name: 'versioned_writes',
  create(conf, deps) {
    const allow = conf.allow_versioned_writes
    const objectVersioning = truthy(conf.allow_object_versioning)
    if (truthy(allow)) deps.registerInfo?.('versioned_writes', { allowed_flags: [CLIENT_VERSIONS_LOC, CLIENT_HISTORY_LOC] })
    // Versions sit behind static symlinks: Swift refuses to start without the symlink filter.
    if (objectVersioning && deps.pipeline && !deps.pipeline.includes('symlink')) throw new VersioningConfigError('object versioning requires symlinks')
    if (objectVersioning) deps.registerInfo?.('object_versioning', {})
    const mw: ProxyMiddleware = (ctx, next) => {
      const below = downstreamOf(ctx, mw)
      if (!objectVersioning) return legacyVersionedWritesRequest(ctx, next, below, deps, allow)
      // Legacy's subrequests pass through object versioning, as Swift nests the two.
      const throughVersioning: Downstream = (sub) => objectVersioningRequest(sub, () => below(sub), below, deps)
      return legacyVersionedWritesRequest(ctx, () => objectVersioningRequest(ctx, next, below, deps), throughVersioning, deps, allow)
    }
    return mw
  },
}
