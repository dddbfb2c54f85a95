// `aws-chunked` bodies with unsigned chunks and a checksum trailer
// (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER, which newer SDKs send over TLS):
// `<hex size>\r\n<data>\r\n` chunks, a `0\r\n` chunk, then trailer lines such as
// `x-amz-checksum-crc32:<base64>\r\n` and an empty line. The checksum the x-amz-trailer header
// names is verified before the last bytes go on (BadDigest otherwise, nothing stored). The
// value arrives after the object's headers were sent, so it is checked but not kept.
import type { TransformCallback } from 'node:stream'
import type { ChecksumAlgorithm, Hasher } from './checksums.ts'
import { CHECKSUM_ALGORITHMS, awsName, newHasher } from './checksums.ts'
import { BadDigest, IncompleteBody, InvalidRequest } from './errors.ts'
import { DrainingDecoder, MAX_CHUNK_SIZE } from './aws-chunked.ts'

export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
const MAX_LINE = 4096

/** The algorithm an x-amz-trailer header names (only checksums are allowed there). */
export function trailerAlgorithm(header: string | undefined): ChecksumAlgorithm | undefined {
  if (!header) return undefined
  const name = header.trim().toLowerCase()
  const algorithm = name.startsWith('x-amz-checksum-') ? name.slice('x-amz-checksum-'.length) : ''
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) throw new InvalidRequest('The value specified in the x-amz-trailer header is not supported')
  return algorithm as ChecksumAlgorithm
}

export class UnsignedTrailerDecoder extends DrainingDecoder {
  #remaining: number | undefined
  #inTrailer = false
  #done = false
  #decoded = 0
  #held: Buffer | undefined
  readonly #hasher: Hasher | undefined
  readonly #trailers = new Map<string, string>()

  constructor(
    private readonly decodedLength: number,
    private readonly algorithm: ChecksumAlgorithm | undefined,
  ) {
    super()
    this.#hasher = algorithm ? newHasher(algorithm) : undefined
  }

  #line(): string | undefined {
    const eol = this.buffer.indexOf('\r\n')
    if (eol < 0) {
      if (this.buffer.length > MAX_LINE) throw new IncompleteBody('Malformed aws-chunked body')
      return undefined
    }
    const line = this.buffer.subarray(0, eol).toString('latin1')
    this.buffer = this.buffer.subarray(eol + 2)
    return line
  }

  protected drain(): void {
    while (!this.#done) {
      if (this.#inTrailer) {
        const line = this.#line()
        if (line === undefined) return
        if (line === '') {
          this.#done = true
          break
        }
        const colon = line.indexOf(':')
        if (colon <= 0) throw new IncompleteBody('Malformed aws-chunked trailer')
        this.#trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
        continue
      }
      if (this.#remaining === undefined) {
        const line = this.#line()
        if (line === undefined) return
        const m = /^([0-9a-fA-F]+)(;.*)?$/.exec(line)
        if (!m) throw new IncompleteBody('Malformed aws-chunked header')
        const size = Number.parseInt(m[1] as string, 16)
        if (size > MAX_CHUNK_SIZE) throw new IncompleteBody('aws-chunked chunk too large')
        if (size === 0) {
          this.#inTrailer = true
          continue
        }
        this.#remaining = size
      }
      if (this.buffer.length < this.#remaining + 2) return
      const data = Buffer.from(this.buffer.subarray(0, this.#remaining))
      if (this.buffer.subarray(this.#remaining, this.#remaining + 2).toString('latin1') !== '\r\n') throw new IncompleteBody('Malformed aws-chunked chunk')
      this.buffer = this.buffer.subarray(this.#remaining + 2)
      this.#remaining = undefined
      this.#decoded += data.length
      if (this.#decoded > this.decodedLength) throw new IncompleteBody('More data than x-amz-decoded-content-length')
      this.#hasher?.update(data)
      if (this.#held) this.push(this.#held)
      this.#held = data
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#done || this.#decoded !== this.decodedLength) return this.fail(new IncompleteBody(), callback)
    if (this.algorithm && this.#hasher) {
      const sent = this.#trailers.get(`x-amz-checksum-${this.algorithm}`)
      if (sent === undefined) return this.fail(new InvalidRequest(`The x-amz-checksum-${this.algorithm} trailer was not sent`), callback)
      if (this.#hasher.digest().toString('base64') !== sent) return this.fail(new BadDigest(`The ${awsName(this.algorithm)} you specified did not match the calculated checksum.`), callback)
    }
    if (this.#held) this.push(this.#held)
    callback()
  }
}
