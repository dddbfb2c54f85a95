// The cluster-wide swift.conf: for now its [swift-hash] secrets, which every node must share
// (Swift: swift.common.utils.validate_hash_conf). Tern looks for its own copy first and falls
// back to Swift's, so one file can serve a mixed cluster.
import { existsSync, readFileSync } from 'node:fs'
import type { HashPathSecrets } from './hash-path.ts'
import { parseIni } from './config/ini.ts'

export const DEFAULT_SWIFT_CONF_PATHS = ['/etc/tern/swift.conf', '/etc/swift/swift.conf'] as const

export class SwiftConfError extends Error {
  readonly code = 'ERR_SWIFT_CONF'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SwiftConfError'
  }
}

/**
 * Which swift.conf to read: an explicit path, else $TERN_SWIFT_CONF, else the first of
 * /etc/tern/swift.conf and /etc/swift/swift.conf that exists.
 */
export function resolveSwiftConfPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit
  if (env.TERN_SWIFT_CONF) return env.TERN_SWIFT_CONF
  return DEFAULT_SWIFT_CONF_PATHS.find((p) => existsSync(p)) ?? DEFAULT_SWIFT_CONF_PATHS[0]
}

/** The hash path prefix and suffix in swift.conf text; at least one must be set, as in Swift. */
export function hashPathSecretsFromText(text: string, source = 'swift.conf'): HashPathSecrets {
  let section: Readonly<Record<string, string>> | undefined
  try {
    section = parseIni(text)['swift-hash']
  } catch (cause) {
    throw new SwiftConfError(`${source}: ${(cause as Error).message}`, { cause })
  }
  const prefix = section?.swift_hash_path_prefix ?? ''
  const suffix = section?.swift_hash_path_suffix ?? ''
  if (!prefix && !suffix) {
    throw new SwiftConfError(`[swift-hash]: both swift_hash_path_suffix and swift_hash_path_prefix are missing from ${source}`)
  }
  return { prefix, suffix }
}

export function readHashPathSecrets(path: string): HashPathSecrets {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new SwiftConfError(`cannot read ${path}: ${(cause as Error).message}`, { cause })
  }
  return hashPathSecretsFromText(text, path)
}
