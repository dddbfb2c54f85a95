// The middleware the proxy pipeline can name: `[pipeline:main] pipeline = a b c proxy-server`
// looks each name up here (Swift resolves `use = egg:swift#<name>` through entry points).
// Add one line per middleware module.
import type { MiddlewareFactory } from '../context.ts'
import { catchErrorsFactory } from './catch-errors.ts'
import { corsFactory } from './cors.ts'
import { healthcheckFactory } from './healthcheck.ts'
import { proxyLoggingFactory } from './proxy-logging.ts'
import { tempauthFactory } from './tempauth.ts'
import { s3apiFactory } from './s3api/index.ts'
import { sloFactory } from './slo/index.ts'
import { dloFactory } from './dlo.ts'
import { tempurlFactory } from './tempurl.ts'
import { formpostFactory } from './formpost.ts'
import { containerQuotasFactory } from './container-quotas.ts'
import { accountQuotasFactory } from './account-quotas.ts'
import { bulkFactory } from './bulk/index.ts'
import { symlinkFactory } from './symlink.ts'
import { rateLimitFactory } from './ratelimit.ts'
import { staticWebFactory } from './staticweb.ts'
import { versionedWritesFactory } from './versioned-writes/index.ts'
import { objectVersioningFactory } from './versioned-writes/object-versioning.ts'
import { copyFactory } from './copy.ts'

export const MIDDLEWARE_REGISTRY: readonly MiddlewareFactory[] = [catchErrorsFactory, healthcheckFactory, proxyLoggingFactory, tempauthFactory, corsFactory, s3apiFactory, sloFactory, dloFactory, tempurlFactory, formpostFactory, containerQuotasFactory, accountQuotasFactory, bulkFactory, symlinkFactory, rateLimitFactory, staticWebFactory, copyFactory, versionedWritesFactory, objectVersioningFactory]
