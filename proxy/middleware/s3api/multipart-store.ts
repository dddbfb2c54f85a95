// How s3api stores multipart uploads in Swift, as Swift's s3api does: parts are objects
// "<key>/<uploadId>/<n>" in the container "<bucket>+segments", an upload in progress is the
// marker object "<key>/<uploadId>" there, and a completed upload is a Static Large Object
// manifest at "<bucket>/<key>" (PUT ?multipart-manifest=put through the slo middleware, which
// must follow s3api in the pipeline) naming its parts. The S3 ETag ("<md5 of the part MD5s>-N")
// rides in X-Object-Sysmeta-S3Api-Etag and, as "; s3_etag=...", in the container update
// override so listings show it. Reads go through SLO, which assembles the parts.
import { InternalError } from './errors.ts'
import type { SwiftClient, SwiftResponse } from './swift-client.ts'

export const ETAG_SYSMETA = 'x-object-sysmeta-s3api-etag'
export const UPLOAD_ID_SYSMETA = 'x-object-sysmeta-s3api-upload-id'
const SLO_HEADER = 'x-static-large-object'

export const segmentsContainer = (bucket: string) => `${bucket}+segments`
export const uploadMarkerName = (key: string, uploadId: string) => `${key}/${uploadId}`
export const partName = (key: string, uploadId: string, part: number) => `${key}/${uploadId}/${part}`

/** A segment as the stored SLO manifest lists it. */
export interface ManifestSegment {
  /** "/container/object". */
  name: string
  bytes: number
  hash: string
}

/** Whether a Swift answer is a completed multipart upload (an SLO written by s3api). */
export function isMultipartObject(headers: Record<string, string>): boolean {
  return headers[ETAG_SYSMETA] !== undefined
}

/** Whether a Swift answer is any static large object. */
export function isLargeObject(headers: Record<string, string>): boolean {
  return ['true', '1', 'yes', 'on', 't', 'y'].includes((headers[SLO_HEADER] ?? '').toLowerCase())
}

/** The stored manifest's segments from a ?multipart-manifest=get answer. */
export async function manifestOf(res: SwiftResponse): Promise<ManifestSegment[]> {
  let doc: unknown
  try {
    doc = JSON.parse(await res.text())
  } catch {
    throw new InternalError('Unreadable large object manifest')
  }
  if (!Array.isArray(doc)) throw new InternalError('Unreadable large object manifest')
  return (doc as Partial<ManifestSegment>[]).map((s) => ({ name: s.name ?? '', bytes: Number(s.bytes ?? 0), hash: s.hash ?? '' }))
}

/** The SLO manifest at bucket/key (undefined when the object is missing or not an SLO). */
export async function readManifest(swift: SwiftClient, bucket: string, key: string, versionId?: string): Promise<ManifestSegment[] | undefined> {
  const res = await swift.request({ method: 'GET', container: bucket, object: key, query: { 'multipart-manifest': 'get', 'version-id': versionId } })
  if (res.status !== 200 || !isLargeObject(res.headers)) {
    res.discard()
    return undefined
  }
  return manifestOf(res)
}

/** Deletes the listed segment objects ("/container/object" or names in the bucket's segments container), a few at a time. */
export async function deleteSegments(swift: SwiftClient, bucket: string, names: readonly string[]): Promise<void> {
  const queue = [...names]
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      let target = { container: segmentsContainer(bucket), object: name }
      if (name.startsWith('/')) {
        const slash = name.indexOf('/', 1)
        target = { container: name.slice(1, slash), object: name.slice(slash + 1) }
      }
      const res = await swift.request({ method: 'DELETE', ...target })
      res.discard()
    }
  }
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker))
}

export interface SegmentEntry {
  name: string
  bytes: number
  hash: string
  last_modified: string
}

/** Every object name under `prefix` in the segments container. */
export async function listSegments(swift: SwiftClient, bucket: string, prefix: string): Promise<SegmentEntry[]> {
  const out: SegmentEntry[] = []
  let marker = ''
  for (;;) {
    const res = await swift.request({ method: 'GET', container: segmentsContainer(bucket), query: { format: 'json', prefix, marker: marker || undefined, limit: '10000' } })
    if (res.status === 404 || res.status === 204) {
      res.discard()
      return out
    }
    if (res.status !== 200) {
      res.discard()
      throw new InternalError(`listing segments answered ${res.status}`)
    }
    const page = JSON.parse(await res.text()) as SegmentEntry[]
    out.push(...page)
    if (page.length < 10000) return out
    marker = page.at(-1)?.name ?? ''
  }
}
