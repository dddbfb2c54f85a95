// Limits of the Swift API (swift/common/constraints.py defaults). One place, so that the
// proxy, the storage servers and /info agree.

export interface Constraints {
  readonly maxFileSize: number
  readonly maxMetaNameLength: number
  readonly maxMetaValueLength: number
  readonly maxMetaCount: number
  readonly maxMetaOverallSize: number
  readonly maxHeaderSize: number
  readonly maxObjectNameLength: number
  readonly containerListingLimit: number
  readonly accountListingLimit: number
  readonly maxAccountNameLength: number
  readonly maxContainerNameLength: number
  readonly extraHeaderCount: number
  readonly validApiVersions: readonly string[]
}

export const DEFAULT_CONSTRAINTS: Constraints = Object.freeze({
  maxFileSize: 5_368_709_122,
  maxMetaNameLength: 128,
  maxMetaValueLength: 256,
  maxMetaCount: 90,
  maxMetaOverallSize: 4096,
  maxHeaderSize: 8192,
  maxObjectNameLength: 1024,
  containerListingLimit: 10_000,
  accountListingLimit: 10_000,
  maxAccountNameLength: 256,
  maxContainerNameLength: 256,
  extraHeaderCount: 0,
  validApiVersions: Object.freeze(['v1', 'v1.0']),
})

/** Key names as Swift's swift.conf [swift-constraints] and /info use them. */
export function constraintsForInfo(c: Constraints): Record<string, unknown> {
  return {
    max_file_size: c.maxFileSize,
    max_meta_name_length: c.maxMetaNameLength,
    max_meta_value_length: c.maxMetaValueLength,
    max_meta_count: c.maxMetaCount,
    max_meta_overall_size: c.maxMetaOverallSize,
    max_header_size: c.maxHeaderSize,
    max_object_name_length: c.maxObjectNameLength,
    container_listing_limit: c.containerListingLimit,
    account_listing_limit: c.accountListingLimit,
    max_account_name_length: c.maxAccountNameLength,
    max_container_name_length: c.maxContainerNameLength,
    extra_header_count: c.extraHeaderCount,
    valid_api_versions: [...c.validApiVersions],
  }
}
