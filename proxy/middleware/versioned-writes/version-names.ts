// Names in Swift's reserved namespace (swift/common/request_helpers.py get_reserved_name and
// object_versioning.py): a reserved name starts with NUL and joins its parts with NUL, so no
// client can name it (the proxy refuses NUL unless X-Backend-Allow-Reserved-Names is set by
// middleware). Object versioning keeps the versions of container "c" in "\0versions\0c",
// each version named "\0<object>\0<inverted timestamp>" so that the newest lists first.
// s3api's bucket versioning uses the same names, as Swift's does.
import { Timestamp } from '../../../common/timestamp.ts'

export const RESERVED = '\0'
export const DELETE_MARKER_CONTENT_TYPE = 'application/x-deleted;swift_versions_deleted=1'
export const CLIENT_VERSIONS_ENABLED = 'x-versions-enabled'
export const SYSMETA_VERSIONS_ENABLED = 'x-container-sysmeta-versions-enabled'
export const SYSMETA_VERSIONS_CONT = 'x-container-sysmeta-versions-container'
export const SYSMETA_VERSIONS_SYMLINK = 'x-object-sysmeta-versions-symlink'
/** Swift's Timestamp inversion base: ~ts is (MAX - ticks) ticks. */
const INVERT_BASE = 999_999_999_999_999
const MAX_TICKS = 10_000_000_000 * 100_000

export class ReservedNameError extends Error {
  readonly code = 'ERR_RESERVED_NAME'
}

export function reservedName(...parts: string[]): string {
  if (parts.some((p) => p.includes(RESERVED))) throw new ReservedNameError('Invalid reserved part in components')
  return RESERVED + parts.join(RESERVED)
}

export function splitReservedName(name: string): string[] {
  if (!name.startsWith(RESERVED)) throw new ReservedNameError('Invalid reserved name')
  return name.split(RESERVED).slice(1)
}

/** Swift's ~Timestamp: offsets cannot be inverted. */
export function invertTimestamp(ts: Timestamp): Timestamp {
  if (ts.offset) throw new ReservedNameError('Cannot invert timestamps with offsets')
  return new Timestamp(INVERT_BASE - ts.ticks)
}

/** Swift's Timestamp(value) as a validator: a number of seconds below 10^10. */
export function parseVersionTimestamp(value: string): Timestamp | undefined {
  try {
    const ts = Timestamp.parse(value)
    return ts.ticks < MAX_TICKS ? ts : undefined
  } catch {
    return undefined
  }
}

/** A version id for a write's timestamp (its offset dropped). */
export function timestampToVersion(ts: Timestamp): string {
  return new Timestamp(ts.ticks).internal
}

export const versionsContainerName = (container: string) => reservedName('versions', container)
export const versionsObjectPrefix = (object: string) => reservedName(object, '')

export function versionsObjectName(object: string, versionId: string): string {
  const ts = parseVersionTimestamp(versionId)
  if (!ts) throw new ReservedNameError(`invalid version id ${JSON.stringify(versionId)}`)
  return reservedName(object, invertTimestamp(ts).internal)
}

/** The user's object name and version id of a version object; no version id when not one. */
export function parseVersionsObjectName(name: string): { name: string; versionId: string | undefined } {
  try {
    const [object, inv, extra] = splitReservedName(name)
    const ts = inv === undefined || extra !== undefined ? undefined : parseVersionTimestamp(inv)
    if (object === undefined || !ts || ts.offset) return { name, versionId: undefined }
    return { name: object, versionId: invertTimestamp(ts).internal }
  } catch {
    return { name, versionId: undefined }
  }
}

/** The user's container of a versions container name (the name itself when it is not one). */
export function splitVersionsContainerName(name: string): string {
  try {
    const [versions, container] = splitReservedName(name)
    return versions === 'versions' && container !== undefined ? container : name
  } catch {
    return name
  }
}
