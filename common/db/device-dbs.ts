// The database of each device, opened on first use and kept open: `<devices>/<device>/<file>`
// (containers.db/ for the container server, accounts.db/ for the account server). One
// database per device holds every container (or account) whose partition lives there, so a
// device costs one RocksDB instance however many containers it holds.
import { join } from 'node:path'
import { KvStore } from './kv-store.ts'

export class DeviceDatabases {
  readonly #root: string
  readonly #fileName: string
  readonly #open = new Map<string, Promise<KvStore>>()
  #closed = false

  constructor(devicesRoot: string, fileName: string) {
    this.#root = devicesRoot
    this.#fileName = fileName
  }

  /** The device's database, opened on first use. The caller has checked the device (507). */
  get(device: string): Promise<KvStore> {
    if (this.#closed) return Promise.reject(new Error('device databases are closed'))
    let pending = this.#open.get(device)
    if (!pending) {
      pending = KvStore.open(join(this.#root, device, this.#fileName))
      // A failed open is not cached: the device may be remounted.
      pending.catch(() => this.#open.delete(device))
      this.#open.set(device, pending)
    }
    return pending
  }

  /** Devices whose database is open (or opening). */
  devices(): string[] {
    return [...this.#open.keys()]
  }

  async closeAll(): Promise<void> {
    this.#closed = true
    const all = [...this.#open.values()]
    this.#open.clear()
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()))
  }
}
