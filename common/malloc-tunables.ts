// glibc malloc settings for the servers' processes. Every socket read hands Node a fresh 64 KiB
// buffer (1 MiB for a file read stream), freed only when V8 collects it; with glibc's defaults
// the heap top is given back to the kernel (brk) as soon as 128 KiB of it is free, and grown
// again on the next reads, each time faulting its pages in anew: a 64 MiB GET through the
// proxy made ~500 brk calls and spent most of its CPU in page faults (strace, perf; page
// faults are dear in this kind of VM). Keeping up to 64 MiB of free heap and growing it 16 MiB
// at a time cut the proxy's CPU per 64 MiB GET from ~1.7 s to ~0.4 s. Like the thread pool
// size (io-threads.ts), glibc reads these once at process start: they can only be given
// through the environment of the process that starts a server.

/** glibc.malloc tunables, bytes. */
export const MALLOC_TUNABLES: Readonly<Record<string, number>> = {
  // Free heap kept at the top before it is returned to the kernel (default 128 KiB).
  'glibc.malloc.trim_threshold': 64 * 1024 * 1024,
  // Extra heap asked for on each growth (default 128 KiB).
  'glibc.malloc.top_pad': 16 * 1024 * 1024,
  // Blocks from this size get their own mmap (default 128 KiB, rising as such blocks are
  // freed): a 1 MiB file read buffer stays in the heap instead of an mmap/munmap pair per read.
  'glibc.malloc.mmap_threshold': 4 * 1024 * 1024,
}

/**
 * The storage nodes' settings: the same, with at most 2 malloc arenas. A node has 64 I/O
 * threads (io-threads.ts) and RocksDB's own; glibc gave them up to 16 arenas (8 per core), each
 * keeping up to trim_threshold of freed memory, so a node's RSS depended on which threads had
 * last allocated what. malloc_trim(0) called into one node (gdb) after a bench sequence gave
 * back 33 of its 175 MB. In two bench sequences (4 KiB, 64 MiB, listings, 2 rounds) the nodes
 * peaked at 178-196 MB with 2 arenas, against 206-226 MB in the runs before, with no CPU
 * difference beyond the noise.
 */
export const STORAGE_NODE_MALLOC_TUNABLES: Readonly<Record<string, number>> = { ...MALLOC_TUNABLES, 'glibc.malloc.arena_max': 2 }

/** `env` with the malloc tunables added to GLIBC_TUNABLES; a tunable already set there wins. */
export function withMallocTunables(env: NodeJS.ProcessEnv, tunables: Readonly<Record<string, number>> = MALLOC_TUNABLES): NodeJS.ProcessEnv {
  const current = env.GLIBC_TUNABLES ?? ''
  const given = new Set(current.split(':').filter(Boolean).map((kv) => kv.split('=')[0]))
  const added = Object.entries(tunables).filter(([k]) => !given.has(k)).map(([k, v]) => `${k}=${v}`)
  if (added.length === 0) return env
  return { ...env, GLIBC_TUNABLES: [current, ...added].filter(Boolean).join(':') }
}
