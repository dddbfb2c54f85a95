// Bulk sits before the auth middleware in Swift's pipeline, so its subrequests are
// authenticated as the client's own requests are: they carry the client's token.
import type { ProxyContext } from '../../context.ts'

export function authHeaders(ctx: ProxyContext): Record<string, string | undefined> {
  return { 'x-auth-token': ctx.get('X-Auth-Token') || undefined }
}
