// Building an object's served state from its .data and .meta metadata, shared by the fs
// diskfile and its memory twin (Swift: DiskFile._construct_from_data_file, _verify_data_file).
import { Timestamp } from '../../common/timestamp.ts'
import { DiskFileError } from './errors.ts'
import type { StoredMetadata } from './format.ts'

/** Data-file keys a POST never replaces (Swift: RESERVED_DATAFILE_META | DATAFILE_SYSTEM_META + sysmeta). */
function survivesPost(key: string): boolean {
  const k = key.toLowerCase()
  return k === 'content-length' || k === 'deleted' || k === 'etag' || k === 'x-static-large-object' || k === 'name' ||
    (k.startsWith('x-object-sysmeta-') && k.length > 'x-object-sysmeta-'.length)
}

export interface MergedState {
  readonly metadata: StoredMetadata
  readonly dataTimestamp: Timestamp
  readonly timestamp: Timestamp
  readonly contentTypeTimestamp: Timestamp
  readonly contentLength: number
}

export function mergeMetadata(dataMeta: StoredMetadata, metaMeta: StoredMetadata | undefined): MergedState {
  const dataTs = requireTimestamp(dataMeta)
  const lengthText = dataMeta['Content-Length']
  const contentLength = lengthText === undefined ? NaN : Number(lengthText)
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
    throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', 'data file metadata lacks a valid Content-Length')
  }
  if (!metaMeta) {
    return { metadata: { ...dataMeta }, dataTimestamp: dataTs, timestamp: dataTs, contentTypeTimestamp: dataTs, contentLength }
  }
  const merged: StoredMetadata = { ...metaMeta }
  for (const [k, v] of Object.entries(dataMeta)) if (survivesPost(k)) merged[k] = v
  const ctypeTsText = metaMeta['Content-Type-Timestamp']
  const ctypeTs = ctypeTsText ? Timestamp.parse(ctypeTsText) : undefined
  let contentTypeTimestamp = dataTs
  if (ctypeTs && ctypeTs.newerThan(dataTs)) {
    contentTypeTimestamp = ctypeTs
  } else if (dataMeta['Content-Type'] !== undefined) {
    merged['Content-Type'] = dataMeta['Content-Type']
    delete merged['Content-Type-Timestamp']
  }
  const metaTs = requireTimestamp(metaMeta)
  return {
    metadata: merged,
    dataTimestamp: dataTs,
    timestamp: metaTs.newerThan(dataTs) ? metaTs : dataTs,
    contentTypeTimestamp,
    contentLength,
  }
}

function requireTimestamp(meta: StoredMetadata): Timestamp {
  const text = meta['X-Timestamp']
  if (!text) throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', 'metadata lacks X-Timestamp')
  return Timestamp.parse(text)
}

/** Throws ERR_DISKFILE_EXPIRED when X-Delete-At is at or before `now` (Swift: _verify_data_file). */
export function checkExpiry(state: MergedState, now: Timestamp, openExpired: boolean | undefined): void {
  const deleteAt = state.metadata['X-Delete-At']
  if (openExpired || !deleteAt) return
  const at = Number(deleteAt)
  if (Number.isFinite(at) && at <= now.seconds) {
    throw new DiskFileError('ERR_DISKFILE_EXPIRED', 'object expired', { timestamp: state.timestamp, metadata: state.metadata })
  }
}
