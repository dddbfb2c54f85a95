// The async_pending record: a container update that could not be delivered, kept on the
// object's device until the updater replays it (Swift: pickle_async_update). Swift pickles a
// dict; we keep the same fields as versioned JSON, one self-contained file per update at
// async_pending[-N]/<hash[-3:]>/<hash>-<timestamp>.
import type { AsyncPendingUpdate } from './types.ts'
import { DiskFileError } from './errors.ts'

export const ASYNC_PENDING_VERSION = 1

export function encodeAsyncPending(update: AsyncPendingUpdate): Buffer {
  const record: Record<string, unknown> = {
    v: ASYNC_PENDING_VERSION,
    op: update.op,
    account: update.account,
    container: update.container,
    obj: update.obj,
    headers: update.headers,
  }
  if (update.containerPath !== undefined) record.container_path = update.containerPath
  return Buffer.from(JSON.stringify(record), 'utf8')
}

export function decodeAsyncPending(bytes: Buffer): AsyncPendingUpdate {
  let r: Record<string, unknown>
  try {
    r = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>
  } catch (cause) {
    throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', 'async pending is not JSON', { cause })
  }
  if (r.v !== ASYNC_PENDING_VERSION) throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', `unknown async pending version ${String(r.v)}`)
  if ((r.op !== 'PUT' && r.op !== 'DELETE') || typeof r.account !== 'string' || typeof r.container !== 'string' || typeof r.obj !== 'string') {
    throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', 'async pending lacks op/account/container/obj')
  }
  return {
    op: r.op,
    account: r.account,
    container: r.container,
    obj: r.obj,
    headers: (r.headers ?? {}) as Record<string, string>,
    containerPath: typeof r.container_path === 'string' ? r.container_path : undefined,
  }
}

/** Swift's policy-suffixed folder names: "objects", "objects-1", ... */
export function policyDir(base: 'objects' | 'tmp' | 'async_pending', policy: number): string {
  return policy === 0 ? base : `${base}-${policy}`
}
