// What a middleware needs to know about a request's path (Swift's req.split_path(2, 4, True)
// in middleware): the API version, account, container and object, decoded; undefined for
// paths that are not Swift API paths (/info, /healthcheck, /auth/v1.0, bad encodings), which
// middleware then pass along for the proxy to answer.
import { allowsReservedNames, decodePath, splitPath } from '../common/http/split-path.ts'
import type { ProxyContext } from './context.ts'

export interface SwiftPath {
  version: string
  account: string
  container?: string | undefined
  object?: string | undefined
  /** The decoded path, e.g. "/v1/AUTH_test/c/o". */
  decoded: string
}

export function swiftPathOf(ctx: ProxyContext): SwiftPath | undefined {
  let decoded: string
  let parts: (string | undefined)[]
  try {
    decoded = decodePath(ctx.path, allowsReservedNames(ctx.req.headers))
    parts = splitPath(decoded, 2, 4, true)
  } catch {
    return undefined
  }
  const [version, account, container, object] = parts
  if (!version || !account || !/^v1(\.0)?$/.test(version)) return undefined
  if (object !== undefined && container === undefined) return undefined
  return { version, account, container, object, decoded }
}
