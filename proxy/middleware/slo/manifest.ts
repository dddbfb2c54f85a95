// SLO manifests (Swift's slo.py parse_and_validate_input and the stored listing): what a
// client may PUT with ?multipart-manifest=put (path/etag/size_bytes/range, or base64 data),
// the record stored for each segment (name/bytes/hash/content_type/last_modified/range/
// sub_slo), and the large object's ETag: the MD5 of the segments' ETags (with ":range;" for
// ranged segments, the MD5 of inline data), as Swift computes it.
import { createHash } from 'node:crypto'
import { HttpError } from '../../../common/http/errors.ts'
import { parseRange, rangesForLength } from '../../../common/http/range.ts'
import { pythonJsonDumps } from '../../../common/python-json.ts'

export const SYSMETA_SLO_ETAG = 'x-object-sysmeta-slo-etag'
export const SYSMETA_SLO_SIZE = 'x-object-sysmeta-slo-size'

/** One entry of a client's manifest, after validation. */
export type InputSegment =
  | { kind: 'path'; path: string; etag: string | null | undefined; sizeBytes: number | undefined; range: string | undefined }
  | { kind: 'data'; data: string }

/** One entry of a stored manifest (Swift's format; key order is Swift's). */
export interface StoredSegment {
  name?: string
  bytes?: number
  hash?: string
  content_type?: string
  last_modified?: string
  range?: string
  sub_slo?: boolean
  data?: string
}

function pyRepr(key: string): string {
  return `'${key}'`
}

/** Strict base64 (Swift's strict_b64decode): padding may be missing, nothing else. */
function strictBase64(text: unknown): Buffer | undefined {
  if (typeof text !== 'string') return undefined
  const cleaned = text.replace(/=+$/, '')
  if (!/^[A-Za-z0-9+/]*$/.test(cleaned) || cleaned.length % 4 === 1) return undefined
  return Buffer.from(cleaned, 'base64')
}

/** Swift's Range('bytes=' + r): the single range a segment entry names, or an error reason. */
function parseSegmentRange(raw: string): { specs: NonNullable<ReturnType<typeof parseRange>> } | 'invalid range' | 'multiple ranges (only one allowed)' {
  const specs = parseRange(`bytes=${raw}`)
  if (!specs) return 'invalid range'
  if (specs.length > 1) return 'multiple ranges (only one allowed)'
  return { specs }
}

/** Parses and checks a manifest body; throws Swift's 400 with every problem found. */
export function parseManifestInput(body: string, reqPath: string, account: string): InputSegment[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new HttpError(400, { body: 'Manifest must be valid JSON.\n' })
  }
  if (!Array.isArray(parsed)) throw new HttpError(400, { body: 'Manifest must be a list.\n' })
  const errors: string[] = []
  const out: InputSegment[] = []
  parsed.forEach((seg: unknown, i) => {
    if (typeof seg !== 'object' || seg === null || Array.isArray(seg)) return void errors.push(`Index ${i}: not a JSON object`)
    const d = seg as Record<string, unknown>
    const kind = 'data' in d ? 'data' : 'path' in d ? 'path' : undefined
    if (!kind) return void errors.push(`Index ${i}: expected keys to include one of ${pyRepr('data')} or ${pyRepr('path')}`)
    const allowed = kind === 'data' ? ['data'] : ['path', 'range', 'etag', 'size_bytes']
    const extra = Object.keys(d).filter((k) => !allowed.includes(k)).sort()
    if (extra.length) return void errors.push(`Index ${i}: extraneous keys ${extra.map((k) => JSON.stringify(k)).join(', ')}`)
    if (kind === 'data') {
      const data = strictBase64(d.data)
      if (!data) return void errors.push(`Index ${i}: data must be valid base64`)
      if (data.length < 1) return void errors.push(`Index ${i}: too small; each segment must be at least 1 byte.`)
      return void out.push({ kind: 'data', data: data.toString('base64') })
    }
    if (typeof d.path !== 'string') return void errors.push(`Index ${i}: "path" must be a string`)
    if (!(d.etag === undefined || d.etag === null || typeof d.etag === 'string')) return void errors.push(`Index ${i}: "etag" must be a string or null (if provided)`)
    if (!d.path.replace(/^\/+|\/+$/g, '').includes('/')) return void errors.push(`Index ${i}: path does not refer to an object. Path must be of the form /container/object.`)
    let sizeBytes: number | undefined
    if (d.size_bytes !== undefined && d.size_bytes !== null) {
      const n = typeof d.size_bytes === 'number' ? d.size_bytes : typeof d.size_bytes === 'string' && /^\s*[-+]?\d+\s*$/.test(d.size_bytes) ? Number(d.size_bytes) : NaN
      if (!Number.isInteger(n)) return void errors.push(`Index ${i}: invalid size_bytes`)
      if (n < 1 && i !== parsed.length - 1) return void errors.push(`Index ${i}: too small; each segment must be at least 1 byte.`)
      sizeBytes = n
    }
    if (`/v1/${account}/${d.path.replace(/^\/+/, '')}` === reqPath) return void errors.push(`Index ${i}: manifest must not include itself as a segment`)
    let range: string | undefined
    if (typeof d.range === 'string' && d.range) {
      const r = parseSegmentRange(d.range)
      if (typeof r === 'string') return void errors.push(`Index ${i}: ${r}`)
      if (sizeBytes !== undefined && rangesForLength(r.specs, sizeBytes).length !== 1) return void errors.push(`Index ${i}: unsatisfiable range`)
      range = d.range
    }
    out.push({ kind: 'path', path: d.path, etag: d.etag as string | null | undefined, sizeBytes, range })
  })
  if (out.length && out.every((s) => s.kind === 'data')) errors.push('Inline data segments require at least one object-backed segment.')
  if (errors.length) throw new HttpError(400, { body: errors.map((e) => `${e}\n`).join(''), headers: { 'Content-Type': 'text/plain' } })
  return out
}

/** A segment range normalised against the segment's length: [start, end] inclusive, or undefined when unsatisfiable. */
export function normaliseRange(raw: string, length: number): [number, number] | undefined {
  const specs = parseRange(`bytes=${raw}`)
  const ranges = specs ? rangesForLength(specs, length) : []
  const first = ranges[0]
  if (ranges.length !== 1 || !first) return undefined
  return [first[0], first[1] - 1]
}

/** The bytes a stored segment contributes. */
export function segmentLength(seg: StoredSegment): number {
  if (seg.data !== undefined) return Buffer.from(seg.data, 'base64').length
  if (seg.range) {
    const r = normaliseRange(seg.range, seg.bytes ?? 0)
    return r ? r[1] - r[0] + 1 : 0
  }
  return seg.bytes ?? 0
}

/** Swift's SLO ETag: MD5 over each segment's ETag (ranged: "etag:range;", inline: MD5 of its bytes). */
export function sloEtag(segments: readonly StoredSegment[]): string {
  const h = createHash('md5')
  for (const seg of segments) {
    if (seg.data !== undefined) h.update(createHash('md5').update(Buffer.from(seg.data, 'base64')).digest('hex'))
    else if (seg.range) h.update(`${seg.hash}:${seg.range};`)
    else h.update(seg.hash ?? '')
  }
  return h.digest('hex')
}

export function storedManifestText(segments: readonly StoredSegment[]): string {
  return pythonJsonDumps(segments)
}

/** A stored manifest body; [] when it does not parse (as Swift's _get_manifest_read). */
export function parseStoredManifest(text: string): StoredSegment[] {
  try {
    const doc = JSON.parse(text) as unknown
    return Array.isArray(doc) ? (doc as StoredSegment[]) : []
  } catch {
    return []
  }
}

/** ?multipart-manifest=get&format=raw: the stored manifest in the form a PUT accepts. */
export function rawManifestText(segments: readonly StoredSegment[]): string {
  const raw = segments.map((s) => {
    if (s.data !== undefined) return { data: s.data }
    const out: Record<string, unknown> = { etag: s.hash, path: s.name, size_bytes: s.bytes }
    if (s.range) out.range = s.range
    return out
  })
  return pythonJsonDumps(raw, { sortKeys: true })
}

/** "/container/object" of a stored segment name, split. */
export function segmentContainerObject(name: string): { container: string; object: string } {
  const trimmed = name.replace(/^\/+/, '')
  const slash = trimmed.indexOf('/')
  return { container: trimmed.slice(0, slash), object: trimmed.slice(slash + 1) }
}
