// Placement hash shared by the ring and the storage servers (Swift: utils.hash_path).
// md5(prefix + "/" + account[/container[/object]] + suffix), hex digest.
import { createHash } from 'node:crypto'

export interface HashPathSecrets {
  readonly prefix: string
  readonly suffix: string
}

export class HashPathError extends Error {
  readonly code = 'ERR_HASH_PATH'
}

/** The path that is hashed: "/account[/container[/object]]", as Swift builds it. */
export function placementPath(account: string, container?: string, object?: string): string {
  if (object !== undefined && container === undefined) {
    throw new HashPathError('an object name needs a container name')
  }
  let path = '/' + account
  if (container !== undefined) path += '/' + container
  if (object !== undefined) path += '/' + object
  return path
}

/** md5 digest (16 bytes) of the placement path with the cluster's secrets around it. */
export function hashPathDigest(secrets: HashPathSecrets, account: string, container?: string, object?: string): Buffer {
  return createHash('md5')
    .update(secrets.prefix, 'utf8')
    .update(placementPath(account, container, object), 'utf8')
    .update(secrets.suffix, 'utf8')
    .digest()
}

export function hashPath(secrets: HashPathSecrets, account: string, container?: string, object?: string): string {
  return hashPathDigest(secrets, account, container, object).toString('hex')
}
