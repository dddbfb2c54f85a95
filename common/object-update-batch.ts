// The wire format of an object-row update batch, which object servers send and container
// servers take (object/update-batcher.ts, container/object-updates.ts). Tern's own backend
// request, sent only while an earlier update to the same container database is in flight:
//   POST /<dev>/<part>/<account>/<container>   X-Backend-Object-Update-Batch: 1
//   {"v":1,"rows":[{"op":"PUT"|"DELETE","name":"<object>","headers":{"X-Timestamp":...}}]}
// answered 200 {"v":1,"statuses":[201,204,400,...]}, one status per row, each what Swift's
// single-row PUT/DELETE with those headers would have answered.

export const UPDATE_BATCH_HEADER = 'x-backend-object-update-batch'
export const UPDATE_BATCH_FORMAT = 1
/** Rows per batch an object server sends at most; container servers refuse more. */
export const MAX_BATCH_ROWS = 256

export interface BatchedRow {
  readonly op: 'PUT' | 'DELETE'
  /** The object's name (not quoted). */
  readonly name: string
  /** The headers the single-row request would carry. */
  readonly headers: Record<string, string>
}
