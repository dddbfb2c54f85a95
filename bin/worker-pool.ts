// `workers` processes sharing one port through node:cluster, as Swift's servers fork workers:
// the primary only forks, re-forks a worker that dies, and passes SIGTERM/SIGINT on.
import cluster from 'node:cluster'
import { once } from 'node:events'
import type { Logger } from '../common/logger.ts'

/** Resolves when the process is asked to stop (SIGTERM or SIGINT). */
export function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve())
    process.once('SIGINT', () => resolve())
  })
}

/**
 * In the primary with workers > 1: forks the workers and supervises them until a stop signal,
 * then returns true. Anywhere else returns false at once: the caller serves from this process.
 */
export async function superviseWorkers(workers: number, logger: Logger, env: Record<string, string> = {}): Promise<boolean> {
  if (workers <= 1 || !cluster.isPrimary) return false
  let stopping = false
  const fork = () => {
    const worker = cluster.fork(env)
    // Ctrl-C signals the whole process group: a worker may exit while the primary still
    // talks to it (EPIPE), which must not bring the primary down.
    worker.on('error', (err) => logger.warn('worker channel error', { worker: worker.process.pid, err }))
  }
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    logger.error('worker died, starting another', { worker: worker.process.pid, code, signal })
    // A worker that dies at start-up would otherwise be re-forked in a tight loop.
    setTimeout(() => stopping || fork(), 1000).unref()
  })
  for (let i = 0; i < workers; i++) fork()
  logger.info('started workers', { workers })
  await stopSignal()
  stopping = true
  const running = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined)
  await Promise.all(
    running.map(async (w) => {
      const exited = once(w, 'exit')
      w.process.kill('SIGTERM')
      await exited
    }),
  )
  return true
}

/** In a worker, its IPC channel would keep the process alive after the server closes. */
export function leaveCluster(): void {
  if (cluster.isWorker) cluster.worker?.disconnect()
}
