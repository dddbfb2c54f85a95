// Frees the Buffers of large bodies as they are handled, by asking V8 for a young-generation
// collection every YOUNG_GC_BYTES of body bytes a process has finished with.
//
// Why: every socket read and file read of a body is a fresh Buffer, memory that V8 counts as
// external and frees only when a collection finds its wrapper dead. A 64 MiB PUT or GET left
// 32-36 MB of them alive at a time in each storage node (bench/memory-breakdown.ts), so the
// node's malloc heap grew by that much, and kept it (common/malloc-tunables.ts keeps up to
// 64 MiB of free heap to spare later reads the page faults). The wrappers die young: a
// scavenge of the small young generation (~0.1-1 ms) frees them, and the heap reuses the space.
//
// It needs V8's gc() (--expose-gc, given by the all-in-one to the storage nodes); without it
// this does nothing and V8 collects on its own schedule.
type GcFunction = (options?: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void

export const YOUNG_GC_BYTES = 8 * 1024 * 1024

let gc: GcFunction | undefined = (globalThis as { gc?: GcFunction }).gc
let bytesSinceGc = 0

/** Counts body bytes this process is done with; collects the young generation every YOUNG_GC_BYTES. */
export function noteBodyBytes(bytes: number): void {
  if (!gc) return
  bytesSinceGc += bytes
  if (bytesSinceGc < YOUNG_GC_BYTES) return
  bytesSinceGc = 0
  gc({ type: 'minor' })
}

/** Replaces the collector (tests); returns the previous one. */
export function setYoungGc(fn: GcFunction | undefined): GcFunction | undefined {
  const previous = gc
  gc = fn
  bytesSinceGc = 0
  return previous
}
