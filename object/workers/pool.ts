// Piscina pools for the object layer's CPU-heavy work (hashing for the auditor now, erasure
// coding later). Worker files are TypeScript: a worker thread inherits the parent's
// --import=tsx when the process was started with it, but not a loader registered from code
// (bin/tern.js does that), so the pool adds tsx to the workers' execArgv itself.
import { Piscina } from 'piscina'

function workerExecArgv(workerFile: URL): string[] {
  const inherited = process.execArgv
  // A compiled worker (the all-in-one's servers run compiled JavaScript) needs no loader.
  if (workerFile.pathname.endsWith('.js') || inherited.some((a) => a.includes('tsx'))) return inherited
  return [...inherited, `--import=${import.meta.resolve('tsx')}`]
}

export interface WorkerPoolOptions {
  readonly threads: number
}

/** A pool running the default export of `workerFile` (a URL next to this module). */
export function createWorkerPool(workerFile: URL, options: WorkerPoolOptions): Piscina {
  const threads = Math.max(1, options.threads)
  return new Piscina({ filename: workerFile.href, minThreads: 0, maxThreads: threads, idleTimeout: 30_000, execArgv: workerExecArgv(workerFile) })
}
