// How s3api stores multipart uploads in Swift: parts are objects "<key>/<uploadId>/<n>" in the
// container "<bucket>+segments", an upload in progress is the marker object "<key>/<uploadId>"
// there, and a completed upload is a manifest object at "<bucket>/<key>" naming its parts.
//
// Tern has no SLO middleware yet, so the manifest is s3api's own: a versioned JSON body
// flagged by X-Object-Sysmeta-S3api-Mpu, whose S3 ETag and size ride in sysmeta and in the
// container update overrides (so listings show them). GetObject streams it part by part.
import { Readable } from 'node:stream'
import { InternalError } from './errors.ts'
import type { SwiftClient } from './swift-client.ts'

export const MANIFEST_FORMAT = 1
export const MPU_SYSMETA = 'x-object-sysmeta-s3api-mpu'
export const ETAG_SYSMETA = 'x-object-sysmeta-s3api-etag'
export const SIZE_SYSMETA = 'x-object-sysmeta-s3api-size'
export const UPLOAD_ID_SYSMETA = 'x-object-sysmeta-s3api-upload-id'

export interface ManifestPart {
  /** The segment's object name in the segments container. */
  name: string
  etag: string
  bytes: number
}

export interface Manifest {
  v: number
  bucket: string
  etag: string
  size: number
  parts: ManifestPart[]
}

export const segmentsContainer = (bucket: string) => `${bucket}+segments`
export const uploadMarkerName = (key: string, uploadId: string) => `${key}/${uploadId}`
export const partName = (key: string, uploadId: string, part: number) => `${key}/${uploadId}/${part}`

export function isManifest(headers: Record<string, string>): boolean {
  return headers[MPU_SYSMETA] !== undefined
}

export function parseManifest(text: string): Manifest {
  let doc: Manifest
  try {
    doc = JSON.parse(text) as Manifest
  } catch {
    throw new InternalError('Unreadable multipart manifest')
  }
  if (doc.v !== MANIFEST_FORMAT || !Array.isArray(doc.parts)) throw new InternalError(`Unknown multipart manifest format ${String(doc.v)}`)
  return doc
}

/** Reads the manifest object at bucket/key (undefined when it is not one). */
export async function readManifest(swift: SwiftClient, bucket: string, key: string): Promise<Manifest | undefined> {
  const res = await swift.request({ method: 'GET', container: bucket, object: key })
  if (res.status !== 200 || !isManifest(res.headers)) {
    res.discard()
    return undefined
  }
  return parseManifest(await res.text())
}

/**
 * The bytes [start, end] (inclusive) of a manifest's object, read segment by segment; a
 * segment missing or changed fails the stream (the client sees a short body, as with SLO).
 */
export function manifestStream(swift: SwiftClient, manifest: Manifest, start: number, end: number): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    let offset = 0
    for (const part of manifest.parts) {
      const partStart = offset
      const partEnd = offset + part.bytes - 1
      offset += part.bytes
      if (partEnd < start || part.bytes === 0) continue
      if (partStart > end) break
      const from = Math.max(start, partStart) - partStart
      const to = Math.min(end, partEnd) - partStart
      const whole = from === 0 && to === part.bytes - 1
      const res = await swift.request({
        method: 'GET',
        container: segmentsContainer(manifest.bucket),
        object: part.name,
        headers: whole ? { 'if-match': part.etag } : { range: `bytes=${from}-${to}` },
      })
      if ((whole && res.status !== 200) || (!whole && res.status !== 206) || !res.stream) {
        res.discard()
        throw new InternalError(`segment ${part.name} answered ${res.status}`)
      }
      for await (const chunk of res.stream) yield chunk as Buffer
    }
  }
  return Readable.from(parts(), { objectMode: false })
}

/** Deletes the listed segment objects, a few at a time. */
export async function deleteSegments(swift: SwiftClient, bucket: string, names: readonly string[]): Promise<void> {
  const queue = [...names]
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const res = await swift.request({ method: 'DELETE', container: segmentsContainer(bucket), object: name })
      res.discard()
    }
  }
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker))
}

/** Every object name under `prefix` in the segments container. */
export async function listSegments(swift: SwiftClient, bucket: string, prefix: string): Promise<{ name: string; bytes: number; hash: string; last_modified: string }[]> {
  const out: { name: string; bytes: number; hash: string; last_modified: string }[] = []
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
    const page = JSON.parse(await res.text()) as { name: string; bytes: number; hash: string; last_modified: string }[]
    out.push(...page)
    if (page.length < 10000) return out
    marker = page.at(-1)?.name ?? ''
  }
}
