// What every object handler gets: the parsed request (device, partition, names, policy,
// timestamp) and the server's shared parts. Parsing follows Swift's get_obj_name_and_placement
// and valid_timestamp, with the same 400/503 bodies.
import type { StorageRequest } from '../common/storage-server.ts'
import { checkDevice } from '../common/storage-server.ts'
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

/** Devices that passed the check recently: a stat (two with mount_check) per request is measurable. */
const recentlyChecked = new Map<string, number>()
const DEVICE_CHECK_TTL_MS = 1000

export async function checkObjectDevice(parts: ObjectServerParts, name: ObjectName): Promise<void> {
  const key = `${parts.config.devices}\0${name.device}\0${parts.config.mountCheck}`
  const until = recentlyChecked.get(key)
  const now = Date.now()
  if (until !== undefined && until > now) return
  await checkDevice(parts.config.devices, name.device, parts.config.mountCheck)
  if (recentlyChecked.size > 10_000) recentlyChecked.clear()
  recentlyChecked.set(key, now + DEVICE_CHECK_TTL_MS)
}

export function updateRequest(sr: StorageRequest, timestamp: Timestamp) {
  return { headers: sr.req.headers, method: sr.method, url: sr.req.url ?? sr.path, timestamp, txnId: sr.txnId }
}
