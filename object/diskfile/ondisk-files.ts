// Which files of an object's hash directory make up its current state, and which are obsolete
// (Swift: diskfile.get_ondisk_files / cleanup_ondisk_files for replicated policies):
// - the newest .ts wins over every .data/.meta at or before its timestamp;
// - the newest .data makes older .data files, and .ts/.meta at or before it, obsolete;
// - only the newest .meta newer than the data is kept (it carries the whole POSTed set);
// - a tombstone older than reclaim_age is removed, and .meta files with no .data beside
//   them are removed once they are that old;
// - files that do not parse are left alone (rsync temp files, operators' debris).
import { Timestamp } from '../../common/timestamp.ts'

export type Ext = 'data' | 'meta' | 'ts'

export interface OnDiskFile {
  readonly name: string
  readonly ext: Ext
  readonly timestamp: Timestamp
}

const FILE_NAME = /^(\d{10}\.\d{5}(?:_[0-9a-f]{16})?)\.(data|meta|ts)$/

export function fileName(timestamp: Timestamp, ext: Ext): string {
  return `${timestamp.internal}.${ext}`
}

export function parseFileName(name: string): OnDiskFile | undefined {
  const m = FILE_NAME.exec(name)
  if (!m) return undefined
  return { name, ext: m[2] as Ext, timestamp: Timestamp.parse(m[1]!) }
}

export interface FileSet {
  readonly data: OnDiskFile | undefined
  readonly meta: OnDiskFile | undefined
  readonly ts: OnDiskFile | undefined
  /** Files that may be unlinked. */
  readonly obsolete: readonly OnDiskFile[]
}

const newestFirst = (a: OnDiskFile, b: OnDiskFile) => b.timestamp.compare(a.timestamp)

/**
 * Picks the current files among `names`. With `reclaimBefore`, tombstones (and orphan .meta
 * files) older than it are reported obsolete too.
 */
export function chooseFiles(names: readonly string[], reclaimBefore?: Timestamp): FileSet {
  const byExt: Record<Ext, OnDiskFile[]> = { data: [], meta: [], ts: [] }
  for (const n of names) {
    const f = parseFileName(n)
    if (f) byExt[f.ext].push(f)
  }
  byExt.data.sort(newestFirst)
  byExt.meta.sort(newestFirst)
  byExt.ts.sort(newestFirst)
  const obsolete: OnDiskFile[] = []
  let data = byExt.data[0]
  let ts = byExt.ts[0]
  obsolete.push(...byExt.ts.slice(1), ...byExt.data.slice(1))
  if (ts && data) {
    // The newer of the two decides; equal timestamps go to the tombstone, as Swift.
    if (data.timestamp.newerThan(ts.timestamp)) {
      obsolete.push(ts)
      ts = undefined
    } else {
      obsolete.push(data)
      data = undefined
    }
  }
  const floor = data?.timestamp ?? ts?.timestamp
  let meta: OnDiskFile | undefined
  for (const m of byExt.meta) {
    if (floor && !m.timestamp.newerThan(floor)) obsolete.push(m)
    else if (meta) obsolete.push(m)
    else meta = m
  }
  if (reclaimBefore) {
    if (ts && reclaimBefore.newerThan(ts.timestamp)) {
      obsolete.push(ts)
      ts = undefined
    }
    if (meta && !data && reclaimBefore.newerThan(meta.timestamp)) {
      obsolete.push(meta)
      meta = undefined
    }
  }
  // A .meta only describes a .data; without one it is kept (until reclaimed) but not reported.
  return { data, meta: data ? meta : undefined, ts: data ? undefined : ts, obsolete }
}
