// Swift API subrequests from s3api into the rest of the pipeline (Swift's s3api calls
// `self.app` with a rewritten environ, as many times as a translation needs), through the
// proxy's one subrequest runner (proxy/subrequest.ts). A client is bound to one account and
// to the identity its subrequests carry (the credential's, or s3api's own authority).
import type { Readable } from 'node:stream'
import type { ProxyContext, ProxyState } from '../../context.ts'
import type { Downstream, SubResponse } from '../../subrequest.ts'
import { quoteSwiftPath, subrequest } from '../../subrequest.ts'

export { downstreamOf } from '../../subrequest.ts'
export type { Downstream } from '../../subrequest.ts'
export type SwiftResponse = SubResponse

export interface SwiftRequest {
  method: string
  container?: string | undefined
  object?: string | undefined
  /** Query parameters (values unencoded). */
  query?: Record<string, string | undefined>
  headers?: Record<string, string | undefined>
  body?: Buffer | Readable
}

export class SwiftClient {
  constructor(
    private readonly ctx: ProxyContext,
    private readonly downstream: Downstream,
    readonly account: string,
    /** The state each subrequest starts with (identity, authorize bound to that subrequest). */
    private readonly stateFor: () => Partial<ProxyState>,
  ) {}

  path(container?: string, object?: string): string {
    let p = `/v1/${quoteSwiftPath(this.account)}`
    if (container !== undefined) p += `/${quoteSwiftPath(container)}`
    if (object !== undefined) p += `/${quoteSwiftPath(object)}`
    return p
  }

  request(r: SwiftRequest): Promise<SwiftResponse> {
    return subrequest(this.ctx, this.downstream, {
      method: r.method,
      path: this.path(r.container, r.object),
      query: r.query,
      headers: r.headers,
      body: r.body,
      state: { resellerRequest: undefined, ...this.stateFor() },
      userAgent: 'tern-s3api',
    })
  }
}
