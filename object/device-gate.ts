// Per-device admission for the object server's requests. One process serves every device,
// and all of them share libuv's thread pool (common/io-threads.ts): without a cap, requests to
// one stalled or throttled device would take every thread, one blocked fsync each, and
// requests to healthy devices would queue behind them. A device holds at most `limit`
// requests at once; the rest wait in order for a free slot (the proxy's node_timeout decides
// when to give up on them), so a stalled device costs at most `limit` threads.

export class DeviceGate {
  private readonly active = new Map<string, number>()
  private readonly waiting = new Map<string, Array<() => void>>()

  constructor(readonly limit: number) {}

  async run<T>(device: string, work: () => Promise<T>): Promise<T> {
    await this.acquire(device)
    try {
      return await work()
    } finally {
      this.release(device)
    }
  }

  /** Requests holding a slot of `device` now (for tests and recon). */
  inFlight(device: string): number {
    return this.active.get(device) ?? 0
  }

  private acquire(device: string): Promise<void> | void {
    const n = this.active.get(device) ?? 0
    if (n < this.limit) {
      this.active.set(device, n + 1)
      return
    }
    let queue = this.waiting.get(device)
    if (!queue) this.waiting.set(device, (queue = []))
    const q = queue
    // The releasing request hands its slot over directly, so the count stays unchanged.
    return new Promise((resolve) => q.push(resolve))
  }

  private release(device: string): void {
    const next = this.waiting.get(device)?.shift()
    if (next) return next()
    if (this.waiting.get(device)?.length === 0) this.waiting.delete(device)
    const n = (this.active.get(device) ?? 1) - 1
    if (n === 0) this.active.delete(device)
    else this.active.set(device, n)
  }
}
