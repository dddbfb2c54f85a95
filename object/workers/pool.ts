// Piscina pools for the object layer's CPU-heavy work (hashing for the auditor now, erasure
// coding later). Worker files are TypeScript: a worker thread inherits the parent's
// --import=tsx when the process was started with it, but not a loader registered from code
// (bin/tern.js does that), so the pool adds tsx to the workers' execArgv itself.
import { Piscina } from 'piscina'

/**
 * The Node options a worker is given: the process's own, less V8's flags, which a worker
 * refuses (ERR_WORKER_INVALID_EXEC_ARGV: the all-in-one starts every process with some).
 */
export function workerExecArgv(workerFile: URL, inherited: readonly string[] = process.execArgv): string[] {
  const options = inherited.filter((a) => WORKER_OPTION.test(a))
  // A compiled worker (the all-in-one's servers run compiled JavaScript) needs no loader.
  if (workerFile.pathname.endsWith('.js') || options.some((a) => a.includes('tsx'))) return options
  return [...options, `--import=${import.meta.resolve('tsx')}`]
}

/** Module loading and warning options: what a worker may be given and needs to load its module. */
const WORKER_OPTION = /^--(import|require|loader|experimental-loader|conditions|enable-source-maps|no-warnings)\b/

export interface WorkerPoolOptions {
  readonly threads: number
}

/** A pool running the default export of `workerFile` (a URL next to this module). */
export function createWorkerPool(workerFile: URL, options: WorkerPoolOptions): Piscina {
  const threads = Math.max(1, options.threads)
  return new Piscina({ filename: workerFile.href, minThreads: 0, maxThreads: threads, idleTimeout: 30_000, execArgv: workerExecArgv(workerFile) })
}
