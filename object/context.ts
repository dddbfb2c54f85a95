// What every object handler gets: the parsed request (device, partition, names, policy,
// timestamp) and the server's shared parts. Parsing follows Swift's get_obj_name_and_placement
// and valid_timestamp, with the same 400/503 bodies.
import type { StorageRequest } from '../common/storage-server.ts'
import { statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { defaultBody } from '../common/http/status.ts'
import { HttpError } from '../common/http/errors.ts'
import { splitPath } from '../common/http/split-path.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { Constraints } from '../common/constraints.ts'
import type { ObjectServerConfig } from './config.ts'
import type { ContainerUpdater } from './container-update.ts'
import type { DiskFileManager, ObjectName } from './diskfile/types.ts'
import { headerString } from './metadata.ts'

export interface ObjectServerParts {
  readonly config: ObjectServerConfig
  readonly diskfile: DiskFileManager
  readonly updater: ContainerUpdater
  readonly constraints: Constraints
  /** allowed_headers as a set of lower-case names. */
  readonly allowed: ReadonlySet<string>
}

export interface ObjectRequest {
  readonly sr: StorageRequest
  readonly name: ObjectName
}

const textPlain = { 'Content-Type': 'text/plain' }

export function parseObjectRequest(sr: StorageRequest): ObjectRequest {
  const policyText = headerString(sr.req.headers, 'x-backend-storage-policy-index')
  let policy = 0
  if (policyText !== undefined && policyText.trim() !== '') {
    if (!/^\s*\d+\s*$/.test(policyText) || Number(policyText) > 2 ** 31) {
      throw new HttpError(503, { body: `No policy with index ${policyText}`, headers: textPlain })
    }
    policy = Number(policyText)
  }
  const [device, partition, account, container, obj] = splitPath(sr.path, 5, 5, true)
  if (!device || !partition || !account || !container || !obj) throw new HttpError(400, { body: `Invalid path: ${encodeURI(sr.path)}` })
  return { sr, name: { device, partition, account, container, obj, policy } }
}

/** Swift's valid_timestamp: X-Timestamp required and well formed. */
export function requestTimestamp(sr: StorageRequest, required: boolean): Timestamp {
  const text = headerString(sr.req.headers, 'x-timestamp')
  if (text === undefined) {
    if (!required) return Timestamp.now()
    throw new HttpError(400, { body: 'Missing X-Timestamp header', headers: textPlain })
  }
  try {
    return Timestamp.parse(text)
  } catch {
    throw new HttpError(400, { body: 'Invalid X-Timestamp header', headers: textPlain })
  }
}

/**
 * Swift's check_drive on every request: the device folder exists (and, with mount_check, is
 * a mount point), else 507. Two stat calls made inline: microseconds, where a threadpool
 * round trip per request cost more than the check itself, and no cache that could let a
 * write land in an unmounted device's folder on the root file system.
 */
export async function checkObjectDevice(parts: ObjectServerParts, name: ObjectName): Promise<void> {
  const { device } = name
  const fail = () => new HttpError(507, { body: defaultBody(507, device), message: `insufficient storage on ${device}` })
  if (!VALID_DEVICE.test(device) || device === '.' || device === '..') throw fail()
  const root = join(parts.config.devices, device)
  const st = statSync(root, { throwIfNoEntry: false })
  if (!st || !st.isDirectory()) throw fail()
  if (parts.config.mountCheck) {
    const parent = statSync(dirname(root), { throwIfNoEntry: false })
    // A different device than the parent's, or the same inode (the root), means a mount point.
    if (!parent || (parent.dev === st.dev && parent.ino !== st.ino)) throw fail()
  }
}

const VALID_DEVICE = /^[^/\0]+$/

export function updateRequest(sr: StorageRequest, timestamp: Timestamp) {
  return { headers: sr.req.headers, method: sr.method, url: sr.req.url ?? sr.path, timestamp, txnId: sr.txnId }
}
