// Frees the Buffers of large bodies as they are handled, by asking V8 for a young-generation
// collection every few MiB of body bytes a process has finished with.
//
// Why: every socket read and file read of a body is a fresh Buffer, memory that V8 counts as
// external and frees only when a collection finds its wrapper dead. A 64 MiB PUT or GET left
// 32-36 MB of them alive at a time in each storage node (bench/memory-breakdown.ts), so the
// node's malloc heap grew by that much, and kept it (common/malloc-tunables.ts keeps up to
// 64 MiB of free heap to spare later reads the page faults). The wrappers die young: a
// scavenge of the small young generation (~0.1-1 ms) frees them, and the heap reuses the space.
// How often differs by process (below).
//
// It needs V8's gc() (--expose-gc, which the all-in-one gives its storage nodes and proxy); without it
// this does nothing and V8 collects on its own schedule.
type GcFunction = (options?: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void

/**
 * Body bytes between two collections in a storage node: its GC runs on the main thread
 * (all-in-one/start.ts), where a scavenge every MiB cost a 64 MiB PUT ~25% more CPU than one
 * every 8 MiB (all-in-one, two runs each: ~1,000-1,500 against ~800-880 ms of cluster CPU).
 */
export const NODE_YOUNG_GC_BYTES = 8 * 1024 * 1024
/**
 * In the proxy, a relay of 8 MiB between scavenges still set off V8's full marking some 5 times
 * a 64 MiB GET (--trace-gc: 23 mark-compacts over 4 GETs and a PUT), ~75% of the proxy's CPU in
 * perf; with one every MiB there were 4, and the proxy spent ~90-140 ms a GET instead of ~200.
 */
export const PROXY_YOUNG_GC_BYTES = 1024 * 1024

let gc: GcFunction | undefined = (globalThis as { gc?: GcFunction }).gc
let bytesSinceGc = 0

/** Counts body bytes this process is done with; collects the young generation every `every` bytes. */
export function noteBodyBytes(bytes: number, every: number): void {
  if (!gc) return
  bytesSinceGc += bytes
  if (bytesSinceGc < every) return
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
