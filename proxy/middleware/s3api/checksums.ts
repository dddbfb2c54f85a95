// S3's additional checksums (x-amz-checksum-crc32, -crc32c, -sha1, -sha256): which one a
// write names (x-amz-checksum-<algorithm> with its base64 value, x-amz-sdk-checksum-algorithm),
// a stream check that holds back the body's last bytes until the checksum matches (BadDigest
// otherwise, so the backend PUT stays unfinished and nothing is stored), and the sysmeta the
// checksum is kept in so GET/HEAD (x-amz-checksum-mode: ENABLED) and GetObjectAttributes can
// return it. CRC32 is node:zlib's; CRC32C (Castagnoli) is computed here, table-driven.
import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import zlib from 'node:zlib'
import type { BodyCheck } from './aws-chunked.ts'
import { BadDigest, InvalidRequest } from './errors.ts'
import type { S3Error } from './errors.ts'

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'sha1', 'sha256'] as const
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number]

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, sha1: 20, sha256: 32 }

/** Where a stored object keeps its checksum: one header per algorithm, plus the checksum's type. */
export const checksumSysmeta = (algorithm: ChecksumAlgorithm) => `x-object-sysmeta-s3api-checksum-${algorithm}`
export const CHECKSUM_TYPE_SYSMETA = 'x-object-sysmeta-s3api-checksum-type'
/** On an upload's marker: the algorithm CreateMultipartUpload named. */
export const UPLOAD_CHECKSUM_SYSMETA = 'x-object-sysmeta-s3api-checksum-algorithm'

/** AWS's name of an algorithm in XML elements and messages (ChecksumCRC32C, "CRC32C"). */
export const awsName = (algorithm: ChecksumAlgorithm) => algorithm.toUpperCase()

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32C (Castagnoli, reflected 0x82F63B78), continuing from `previous`. */
export function crc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0
  for (let i = 0; i < data.length; i++) crc = (CRC32C_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8)
  return ~crc >>> 0
}

export interface Hasher {
  update(data: Buffer): void
  /** The raw digest (CRCs big-endian, as S3 encodes them). */
  digest(): Buffer
}

export function newHasher(algorithm: ChecksumAlgorithm): Hasher {
  if (algorithm === 'sha1' || algorithm === 'sha256') return createHash(algorithm)
  const step = algorithm === 'crc32' ? zlib.crc32 : crc32c
  let crc = 0
  return {
    update: (data) => {
      crc = step(data, crc)
    },
    digest: () => {
      const out = Buffer.alloc(4)
      out.writeUInt32BE(crc >>> 0)
      return out
    },
  }
}

function parseAlgorithm(name: string, header: string): ChecksumAlgorithm {
  const algorithm = name.toLowerCase()
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) throw new InvalidRequest(`Value for ${header} header is invalid.`)
  return algorithm as ChecksumAlgorithm
}

export interface RequestedChecksum {
  algorithm: ChecksumAlgorithm
  /** The base64 value the client sent. */
  value: string
}

/** The checksum a write carries (at most one), checked for form; undefined when none. */
export function requestedChecksum(headers: Record<string, string | string[] | undefined>): RequestedChecksum | undefined {
  const present = Object.keys(headers).filter((h) => h.startsWith('x-amz-checksum-') && !['x-amz-checksum-mode', 'x-amz-checksum-type', 'x-amz-checksum-algorithm'].includes(h))
  if (present.length > 1) throw new InvalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.')
  const sdk = headers['x-amz-sdk-checksum-algorithm']
  const named = typeof sdk === 'string' ? parseAlgorithm(sdk, 'x-amz-sdk-checksum-algorithm') : undefined
  const header = present[0]
  if (header === undefined) {
    if (named && headers['x-amz-trailer'] === undefined) throw new InvalidRequest('x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.')
    return undefined
  }
  const algorithm = parseAlgorithm(header.slice('x-amz-checksum-'.length), header)
  if (named && named !== algorithm) throw new InvalidRequest('Value for x-amz-sdk-checksum-algorithm header is invalid.')
  const value = String(headers[header])
  const raw = Buffer.from(value, 'base64')
  if (raw.length !== DIGEST_BYTES[algorithm] || raw.toString('base64') !== value.trim()) throw new InvalidRequest(`Value for ${header} header is invalid.`)
  return { algorithm, value: value.trim() }
}

/** Passes a body through, checking its checksum before the last bytes go on. */
export class ChecksumCheck extends Transform implements BodyCheck {
  failure: S3Error | undefined
  readonly #hasher: Hasher
  #held: Buffer | undefined

  constructor(private readonly expected: RequestedChecksum) {
    super()
    this.#hasher = newHasher(expected.algorithm)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#hasher.update(chunk)
    if (this.#held) this.push(this.#held)
    this.#held = chunk
    callback()
  }

  override _flush(callback: TransformCallback): void {
    if (this.#hasher.digest().toString('base64') !== this.expected.value) {
      this.failure = new BadDigest(`The ${awsName(this.expected.algorithm)} you specified did not match the calculated checksum.`)
      return callback(this.failure)
    }
    if (this.#held) this.push(this.#held)
    callback()
  }
}

/** The checksum a Swift answer's sysmeta holds: algorithm, value, type. */
export function storedChecksum(headers: Record<string, string>): { algorithm: ChecksumAlgorithm; value: string; type: string } | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = headers[checksumSysmeta(algorithm)]
    if (value) return { algorithm, value, type: headers[CHECKSUM_TYPE_SYSMETA] ?? 'FULL_OBJECT' }
  }
  return undefined
}

/** A multipart object's checksum: the checksum of its parts' raw checksums, "-N" (AWS's COMPOSITE). */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partValues: readonly string[]): string {
  const h = newHasher(algorithm)
  for (const v of partValues) h.update(Buffer.from(v, 'base64'))
  return `${h.digest().toString('base64')}-${partValues.length}`
}
