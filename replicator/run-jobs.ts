// The replicators' pass loop: `concurrency` workers take the next job in order until none is
// left. `work` handles its own failures (each replicator counts and logs them its own way).
export async function runJobs<T>(jobs: readonly T[], concurrency: number, work: (job: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < jobs.length) await work(jobs[next++]!)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker))
}
