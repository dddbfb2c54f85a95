// The object rows object servers send to a container server: one row per PUT/DELETE request
// as Swift sends them (X-Size, X-Content-Type, X-Etag, X-Timestamp, ... on
// PUT/DELETE /<dev>/<part>/<account>/<container>/<object>), or many rows in one update batch.
//
// The batch's wire format is in common/object-update-batch.ts. Its rows merge in one database
// write: under concurrent PUTs to one container this replaces N requests, N info reads and N
// WAL writes by one of each.
import type { IncomingHttpHeaders } from 'node:http'
import { HttpError } from '../common/http/errors.ts'
import { readJsonBody } from '../common/http/request-body.ts'
import { header } from '../common/http/backend-params.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { StorageRequest } from '../common/storage-server.ts'
import { tombstoneItem } from './broker.ts'
import type { ObjectItem } from './broker.ts'
import { MAX_BATCH_ROWS, UPDATE_BATCH_FORMAT, UPDATE_BATCH_HEADER } from '../common/object-update-batch.ts'
import type { BatchedRow } from '../common/object-update-batch.ts'

const MAX_BATCH_BYTES = MAX_BATCH_ROWS * 8192

const TEXT = { 'Content-Type': 'text/plain' }


export function isUpdateBatch(r: StorageRequest): boolean {
  return r.method === 'POST' && header(r.req.headers, UPDATE_BATCH_HEADER) !== undefined
}

function optionalTs(raw: string | undefined): string | undefined {
  if (!raw) return undefined
  try {
    return Timestamp.parse(raw).internal
  } catch {
    throw new HttpError(400, { body: `Invalid timestamp ${raw}`, headers: TEXT })
  }
}

function rowTimestamp(headers: IncomingHttpHeaders): Timestamp {
  const raw = header(headers, 'x-timestamp')
  if (raw === undefined) throw new HttpError(400, { body: 'Missing X-Timestamp header', headers: TEXT })
  try {
    return Timestamp.parse(raw)
  } catch {
    throw new HttpError(400, { body: 'Invalid X-Timestamp header', headers: TEXT })
  }
}

/**
 * The row a PUT or DELETE of `obj` carries (Swift's ContainerController.PUT/DELETE with an
 * object part), or the 400 the request gets. `policy` is the request's checked policy index.
 */
export function objectItem(op: 'PUT' | 'DELETE', obj: string, headers: IncomingHttpHeaders, policy: number): ObjectItem {
  const ts = rowTimestamp(headers)
  if (op === 'DELETE') return tombstoneItem(obj, ts.internal, policy)
  const size = header(headers, 'x-size')
  const contentType = header(headers, 'x-content-type')
  const etag = header(headers, 'x-etag')
  if (size === undefined || !/^\s*\d+\s*$/.test(size) || contentType === undefined || etag === undefined) {
    throw new HttpError(400, { body: 'X-Size, X-Content-Type and X-Etag are required', headers: TEXT })
  }
  return {
    name: obj,
    createdAt: ts.internal,
    size: Number(size),
    contentType,
    etag,
    deleted: 0,
    storagePolicyIndex: policy,
    ctypeTimestamp: optionalTs(header(headers, 'x-content-type-timestamp')),
    metaTimestamp: optionalTs(header(headers, 'x-meta-timestamp')),
  }
}

/** Reads and checks a batch body: 400 for anything but the documented shape. */
export async function readUpdateBatch(r: StorageRequest): Promise<BatchedRow[]> {
  const body = await readJsonBody(r.req, MAX_BATCH_BYTES, TEXT)
  const rows = (body as { v?: unknown; rows?: unknown }).rows
  if ((body as { v?: unknown }).v !== UPDATE_BATCH_FORMAT || !Array.isArray(rows) || rows.length === 0 || rows.length > MAX_BATCH_ROWS) {
    throw new HttpError(400, { body: 'Unknown update batch format', headers: TEXT })
  }
  for (const row of rows as BatchedRow[]) {
    const ok =
      typeof row === 'object' && row !== null && (row.op === 'PUT' || row.op === 'DELETE') && typeof row.name === 'string' && row.name !== '' &&
      typeof row.headers === 'object' && row.headers !== null && Object.values(row.headers).every((v) => typeof v === 'string')
    if (!ok) throw new HttpError(400, { body: 'Invalid update batch row', headers: TEXT })
  }
  return rows as BatchedRow[]
}

/** A row's headers as node:http would have given them: lower-case names. */
export function rowHeaders(row: BatchedRow): IncomingHttpHeaders {
  return lowerCaseHeaders(row.headers)
}

/** Headers as node:http gives them: lower-case names. */
export function lowerCaseHeaders(headers: Readonly<Record<string, string>>): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v
  return out
}
