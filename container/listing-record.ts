// A container listing row as Swift's update_data_record shapes it: the size an SLO manifest
// carries in its content type's swift_bytes parameter, that parameter dropped, the row's
// newest timestamp as last_modified. Used when a row is stored (its JSON text is kept ready
// in the listing entry) and when an older entry is read.
import { listingIsoformat } from '../common/listing-format.ts'
import type { ObjectListingRecord } from '../common/listing-format.ts'
import { extractSwiftBytes } from './content-type.ts'

export interface ListingFields {
  name: string
  lastModified: string
  size: number
  contentType: string
  etag: string
}

export function listingRecord(entry: ListingFields): ObjectListingRecord {
  const [contentType, swiftBytes] = extractSwiftBytes(entry.contentType)
  let bytes = entry.size
  if (swiftBytes !== undefined && /^\s*[+-]?\d+\s*$/.test(swiftBytes)) bytes = Number(swiftBytes)
  return { bytes, hash: entry.etag, name: entry.name, content_type: contentType, last_modified: listingIsoformat(entry.lastModified) }
}
