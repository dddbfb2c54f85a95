// Request bodies whose integrity S3 promises: `aws-chunked` bodies signed chunk by chunk
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD: `<hex size>;chunk-signature=<sig>\r\n<data>\r\n`, each
// signature chained from the previous, ending with a signed empty chunk), and plain bodies
// whose x-amz-content-sha256 names their hash. Both pass on only verified bytes and hold back
// the last piece until the whole body is proven, so a failed check leaves the backend PUT
// short and nothing is stored.
import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import type { S3Error } from './errors.ts'
import { IncompleteBody, InvalidArgument, SignatureDoesNotMatch, XAmzContentSHA256Mismatch } from './errors.ts'
import { chunkSignature, sameSignature } from './sigv4.ts'

/** A chunk header line is short; anything longer is garbage. */
const MAX_CHUNK_HEADER = 4096
/** The biggest chunk buffered for verification (clients use 8-64 KiB). */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024

/** A body check that failed records the S3 error here for the middleware to answer with. */
export interface BodyCheck {
  failure: S3Error | undefined
}

export interface ChunkSigner {
  key: Buffer
  amzDate: string
  scope: string
  seedSignature: string
}

/** A body decoder that parses as the bytes arrive; a parse or check error is the request's answer. */
export abstract class DrainingDecoder extends Transform implements BodyCheck {
  failure: S3Error | undefined
  protected buffer: Buffer = Buffer.alloc(0)

  protected fail(err: S3Error, callback: TransformCallback): void {
    this.failure = err
    callback(err)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    try {
      this.drain()
    } catch (err) {
      return this.fail(err as S3Error, callback)
    }
    callback()
  }

  /** Consumes what `buffer` holds so far. */
  protected abstract drain(): void
}

/** Decodes and verifies an aws-chunked body; emits the payload. */
export class AwsChunkedDecoder extends DrainingDecoder {
  #previous: string
  #expecting: { size: number; signature: string } | undefined
  #finished = false
  #held: Buffer | undefined
  #decoded = 0

  constructor(
    private readonly signer: ChunkSigner,
    private readonly decodedLength: number,
  ) {
    super()
    this.#previous = signer.seedSignature
  }

  protected drain(): void {
    for (;;) {
      if (this.#finished) {
        if (this.buffer.length > 0 && this.buffer.toString('latin1').trim() !== '') throw new InvalidArgument('Data after the final aws-chunked chunk')
        this.buffer = Buffer.alloc(0)
        return
      }
      if (!this.#expecting) {
        const eol = this.buffer.indexOf('\r\n')
        if (eol < 0) {
          if (this.buffer.length > MAX_CHUNK_HEADER) throw new IncompleteBody('Malformed aws-chunked header')
          return
        }
        const line = this.buffer.subarray(0, eol).toString('latin1')
        const m = /^([0-9a-fA-F]+);chunk-signature=([0-9a-f]{64})$/.exec(line)
        if (!m) throw new IncompleteBody('Malformed aws-chunked header')
        const size = Number.parseInt(m[1] as string, 16)
        if (size > MAX_CHUNK_SIZE) throw new InvalidArgument('aws-chunked chunk too large')
        this.#expecting = { size, signature: m[2] as string }
        this.buffer = this.buffer.subarray(eol + 2)
      }
      const { size, signature } = this.#expecting
      if (this.buffer.length < size + 2) return
      const data = this.buffer.subarray(0, size)
      if (this.buffer.subarray(size, size + 2).toString('latin1') !== '\r\n') throw new IncompleteBody('Malformed aws-chunked chunk')
      this.buffer = this.buffer.subarray(size + 2)
      this.#expecting = undefined
      const hash = createHash('sha256').update(data).digest('hex')
      const expected = chunkSignature(this.signer.key, this.signer.amzDate, this.signer.scope, this.#previous, hash)
      if (!sameSignature(expected, signature)) throw new SignatureDoesNotMatch('The chunk signature does not match.')
      this.#previous = signature
      this.#decoded += size
      if (this.#decoded > this.decodedLength) throw new IncompleteBody('More data than x-amz-decoded-content-length')
      if (size === 0) {
        this.#finished = true
        continue
      }
      if (this.#held) this.push(this.#held)
      this.#held = Buffer.from(data)
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#finished || this.#decoded !== this.decodedLength) return this.fail(new IncompleteBody(), callback)
    if (this.#held) this.push(this.#held)
    callback()
  }
}

/** Passes a plain body through, checking it against x-amz-content-sha256 before its last bytes go on. */
export class Sha256Check extends Transform implements BodyCheck {
  failure: S3Error | undefined
  #hash = createHash('sha256')
  #held: Buffer | undefined

  constructor(private readonly expected: string) {
    super()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk)
    if (this.#held) this.push(this.#held)
    this.#held = chunk
    callback()
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.#hash.digest('hex')
    if (actual !== this.expected.toLowerCase()) {
      this.failure = new XAmzContentSHA256Mismatch(undefined, { ClientComputedContentSHA256: this.expected, S3ComputedContentSHA256: actual })
      return callback(this.failure)
    }
    if (this.#held) this.push(this.#held)
    callback()
  }
}
