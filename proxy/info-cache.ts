// Account and container info (existence, counts, ACLs, metadata) kept briefly in memory, as
// Swift keeps it in memcache for recheck_account_existence / recheck_container_existence
// seconds. Writes through this proxy drop the entries they change; answers that say "not
// there" are kept a tenth as long, as Swift does.

export interface AccountInfo {
  readonly status: number
  readonly containerCount: number
  readonly objectCount: number
  readonly bytes: number
  readonly meta: Readonly<Record<string, string>>
  /** X-Account-Sysmeta-* values keyed after the prefix (Swift's account_info['sysmeta']). */
  readonly sysmeta: Readonly<Record<string, string>>
}

export interface ContainerInfo {
  readonly status: number
  readonly readAcl: string | undefined
  readonly writeAcl: string | undefined
  readonly syncKey: string | undefined
  readonly objectCount: number
  readonly bytes: number
  readonly versions: string | undefined
  readonly storagePolicy: string
  readonly meta: Readonly<Record<string, string>>
  readonly sysmeta: Readonly<Record<string, string>>
}

interface Entry<T> {
  value: T
  expires: number
}

class TtlMap<T extends { status: number }> {
  private readonly map = new Map<string, Entry<T>>()
  constructor(private readonly ttlMs: number) {}

  get(key: string): T | undefined {
    const entry = this.map.get(key)
    if (!entry) return undefined
    if (entry.expires < Date.now()) {
      this.map.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: T): void {
    if (this.ttlMs <= 0) return
    // Unknown states (5xx) are never cached; misses for a tenth of the time.
    if (value.status >= 500) return
    const ttl = value.status === 404 || value.status === 410 ? this.ttlMs / 10 : this.ttlMs
    if (this.map.size > 100_000) this.map.clear()
    this.map.set(key, { value, expires: Date.now() + ttl })
  }

  delete(key: string): void {
    this.map.delete(key)
  }

  deletePrefix(prefix: string): void {
    for (const key of this.map.keys()) if (key.startsWith(prefix)) this.map.delete(key)
  }
}

export class InfoCache {
  readonly accounts: TtlMap<AccountInfo>
  readonly containers: TtlMap<ContainerInfo>

  constructor(accountSeconds: number, containerSeconds: number) {
    this.accounts = new TtlMap(accountSeconds * 1000)
    this.containers = new TtlMap(containerSeconds * 1000)
  }

  static containerKey(account: string, container: string): string {
    return `${account}/${container}`
  }

  invalidateAccount(account: string): void {
    this.accounts.delete(account)
    this.containers.deletePrefix(`${account}/`)
  }

  invalidateContainer(account: string, container: string): void {
    this.containers.delete(InfoCache.containerKey(account, container))
    // Container counts in the account change too.
    this.accounts.delete(account)
  }
}
