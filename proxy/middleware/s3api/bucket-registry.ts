// Which account owns a bucket. S3 bucket names are global, Swift containers live in an
// account: an anonymous request (no credential, so no account) or another user's request
// for a shared bucket needs the owner's account. CreateBucket claims the name here with a
// conditional PUT (so two accounts cannot both create "photos": BucketAlreadyExists),
// DeleteBucket releases it. Swift's s3api has no such index (its buckets are per account
// and anonymous S3 access is unsupported).
//
// Layout: account `.s3api` (Swift's auto-create prefix: an internal account), container
// `buckets`, one empty object per bucket whose metadata names the owner account and the
// owner's canonical id, with a format version.
import type { Owner } from './acl-model.ts'
import type { SwiftClient } from './swift-client.ts'

export const REGISTRY_ACCOUNT = '.s3api'
export const REGISTRY_CONTAINER = 'buckets'
export const REGISTRY_FORMAT = '1'

export interface BucketEntry {
  account: string
  owner: Owner
}

const FORMAT_META = 'x-object-meta-format'
const ACCOUNT_META = 'x-object-meta-account'
const OWNER_META = 'x-object-meta-owner-id'
const OWNER_NAME_META = 'x-object-meta-owner-name'

export class BucketRegistry {
  /** `swift` is bound to REGISTRY_ACCOUNT with s3api's own (system) authority. */
  constructor(private readonly swift: SwiftClient) {}

  async lookup(bucket: string): Promise<BucketEntry | undefined> {
    const res = await this.swift.request({ method: 'HEAD', container: REGISTRY_CONTAINER, object: bucket })
    res.discard()
    if (res.status !== 200) return undefined
    const account = res.headers[ACCOUNT_META]
    const id = res.headers[OWNER_META]
    if (res.headers[FORMAT_META] !== REGISTRY_FORMAT || !account || !id) return undefined
    return { account, owner: { id: decodeURIComponent(id), name: decodeURIComponent(res.headers[OWNER_NAME_META] ?? id) } }
  }

  /**
   * Claims `bucket` for `entry`: 'claimed' (also when it already was this account's), the
   * other owner's entry when taken, or 'unavailable' when the registry cannot be written
   * (the bucket then works for its owner but cannot be found by others).
   */
  async claim(bucket: string, entry: BucketEntry): Promise<'claimed' | 'unavailable' | BucketEntry> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.swift.request({
        method: 'PUT',
        container: REGISTRY_CONTAINER,
        object: bucket,
        headers: {
          'if-none-match': '*',
          [FORMAT_META]: REGISTRY_FORMAT,
          [ACCOUNT_META]: entry.account,
          [OWNER_META]: encodeURIComponent(entry.owner.id),
          [OWNER_NAME_META]: encodeURIComponent(entry.owner.name),
        },
        body: Buffer.alloc(0),
      })
      res.discard()
      if (res.status === 201) return 'claimed'
      if (res.status === 412) {
        const existing = await this.lookup(bucket)
        if (!existing || existing.account === entry.account) return 'claimed'
        return existing
      }
      if (res.status !== 404 || attempt > 0) return 'unavailable'
      const made = await this.swift.request({ method: 'PUT', container: REGISTRY_CONTAINER })
      made.discard()
      if (made.status !== 201 && made.status !== 202) return 'unavailable'
    }
    return 'unavailable'
  }

  /** Releases `bucket` when `account` holds it. */
  async release(bucket: string, account: string): Promise<void> {
    const existing = await this.lookup(bucket)
    if (!existing || existing.account !== account) return
    const res = await this.swift.request({ method: 'DELETE', container: REGISTRY_CONTAINER, object: bucket })
    res.discard()
  }
}
