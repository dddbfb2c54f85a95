// Bucket versioning over Swift's object versioning (X-Versions-Enabled, the versioned_writes
// filter with allow_object_versioning, which must follow s3api in the pipeline), as Swift's
// s3api maps it (controllers/versioning.py, bucket.py ?versions, obj.py versionId):
// Get/PutBucketVersioning are the container's X-Versions-Enabled, ListObjectVersions is the
// ?versions listing (delete markers are its rows of DELETE_MARKER_CONTENT_TYPE), and an
// object's versionId is Swift's version-id.
import { IllegalVersioningConfigurationException, InvalidArgument, MalformedXML, NoSuchBucket, NotImplemented } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { quoteEtag, readXmlBody, s3ListingTime, sendEmpty, sendXml, swiftError } from './s3-request.ts'
import type { ContainerEntry } from './bucket.ts'
import { encoder, listingEtag, maxKeysOf } from './bucket.ts'
import { textOf } from './xml.ts'

export const DELETE_MARKER_CONTENT_TYPE = 'application/x-deleted;swift_versions_deleted=1'
const SYSMETA_VERSIONS_CONT = 'x-container-sysmeta-versions-container'

/** Swift's version ids are timestamps ("1700000000.12345"); "null" is the unversioned object. */
export function checkVersionId(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  if (raw !== 'null' && !/^\d{10}\.\d{5}$/.test(raw)) throw new InvalidArgument('Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: raw })
  return raw
}

/** The bucket's versioning state: never enabled ("off"), Enabled, or Suspended. */
export async function bucketVersioning(req: S3Request): Promise<{ status: 'off' | 'Enabled' | 'Suspended'; everEnabled: boolean }> {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket })
  res.discard()
  if (res.status === 404) throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  if (res.status !== 204 && res.status !== 200) throw swiftError(req, res)
  const enabled = res.headers['x-versions-enabled']
  const status = enabled === undefined ? 'off' : enabled.toLowerCase() === 'true' ? 'Enabled' : 'Suspended'
  return { status, everEnabled: status !== 'off' || Boolean(res.headers[SYSMETA_VERSIONS_CONT]) }
}

export async function getBucketVersioning(req: S3Request): Promise<void> {
  const { status } = await bucketVersioning(req)
  sendXml(req, 200, 'VersioningConfiguration', status === 'off' ? {} : { Status: status })
}

export async function putBucketVersioning(req: S3Request): Promise<void> {
  const doc = await readXmlBody(req)
  const config = doc.VersioningConfiguration
  if (config === undefined) throw new MalformedXML()
  const status = textOf(config, 'Status')
  if (status !== 'Enabled' && status !== 'Suspended') throw new IllegalVersioningConfigurationException('The Versioning element must be specified')
  if (textOf(config, 'MfaDelete') === 'Enabled') throw new NotImplemented('MFA delete is not supported')
  const res = await req.swift.request({ method: 'POST', container: req.bucket, headers: { 'x-versions-enabled': String(status === 'Enabled') } })
  res.discard()
  if (res.status !== 204 && res.status !== 200) throw swiftError(req, res)
  // Without object versioning in the pipeline the header is ignored: say so rather than pretend.
  if ((await bucketVersioning(req)).status !== status) throw new NotImplemented('Bucket versioning needs the versioned_writes filter with allow_object_versioning after s3api')
  sendEmpty(req, 200)
}

interface VersionRow extends ContainerEntry {
  version_id?: string | null
  is_latest?: boolean
}

/** ListObjectVersions: the ?versions listing, versions and delete markers newest first per key. */
export async function listObjectVersions(req: S3Request): Promise<void> {
  const encode = encoder(req)
  const maxKeys = maxKeysOf(req, 'max-keys')
  const prefix = req.query.get('prefix') ?? ''
  const delimiter = req.query.get('delimiter') ?? ''
  const keyMarker = req.query.get('key-marker') ?? ''
  const versionMarker = req.query.get('version-id-marker')
  if (versionMarker !== undefined && !keyMarker) throw new InvalidArgument('A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionMarker })
  if (versionMarker) checkVersionId(versionMarker)
  const res = await req.swift.request({
    method: 'GET',
    container: req.bucket,
    query: {
      versions: '',
      format: 'json',
      limit: String(maxKeys + 1),
      prefix: prefix || undefined,
      delimiter: delimiter || undefined,
      marker: keyMarker || undefined,
      version_marker: versionMarker || undefined,
    },
  })
  if (res.status !== 200 && res.status !== 204) throw swiftError(req, res)
  let rows = res.status === 204 ? [] : (JSON.parse(await res.text()) as VersionRow[])
  const truncated = rows.length > maxKeys
  if (truncated) rows = rows.slice(0, maxKeys)
  const owner = { ID: req.owner.id, DisplayName: req.owner.displayName }
  const versions: Record<string, unknown>[] = []
  const markers: Record<string, unknown>[] = []
  const prefixes: Record<string, string>[] = []
  for (const row of rows) {
    if (row.subdir !== undefined) {
      prefixes.push({ Prefix: encode(row.subdir) })
      continue
    }
    const common = { Key: encode(row.name ?? ''), VersionId: row.version_id || 'null', IsLatest: row.is_latest === false ? 'false' : 'true', LastModified: s3ListingTime(row.last_modified ?? '') }
    if (row.content_type === DELETE_MARKER_CONTENT_TYPE) markers.push({ ...common, Owner: owner })
    else versions.push({ ...common, ETag: quoteEtag(listingEtag(row)), Size: row.bytes ?? 0, StorageClass: 'STANDARD', Owner: owner })
  }
  const out: Record<string, unknown> = { Name: req.bucket, Prefix: encode(prefix), KeyMarker: encode(keyMarker), VersionIdMarker: versionMarker ?? '' }
  const last = rows.at(-1)
  if (truncated && last) {
    out.NextKeyMarker = encode(last.subdir ?? last.name ?? '')
    out.NextVersionIdMarker = last.subdir !== undefined ? 'null' : last.version_id || 'null'
  }
  out.MaxKeys = maxKeys
  if (delimiter) out.Delimiter = encode(delimiter)
  if (req.query.has('encoding-type')) out.EncodingType = 'url'
  out.IsTruncated = truncated ? 'true' : 'false'
  if (versions.length) out.Version = versions
  if (markers.length) out.DeleteMarker = markers
  if (prefixes.length) out.CommonPrefixes = prefixes
  sendXml(req, 200, 'ListVersionsResult', out)
}
