// libuv's thread pool runs every fs call that may wait on a disk (open, fsync, rename, mkdir)
// and RocksDB's async work. Its size is read once, when the pool first starts, and Node's own
// module loader starts it before any of our code runs: so it can only be given to a server
// through the environment of the process that starts it (the all-in-one, the worker pool).
// 4 threads (libuv's default) let four requests stuck on one stalled device stop every other
// device of the server; object/device-gate.ts caps what one device may hold below this size.

/** Threads per storage-server process unless UV_THREADPOOL_SIZE says otherwise. */
export const DEFAULT_IO_THREADS = 64

/** The environment for a storage server's process: `env` plus the pool size it should start with. */
export function withIoThreads(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE || String(DEFAULT_IO_THREADS) }
}
