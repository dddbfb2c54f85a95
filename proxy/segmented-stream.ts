// The body of a large object, read segment by segment through the pipeline (Swift's
// request_helpers.SegmentedIterable): each segment is fetched when the previous one is done,
// with a Range when only part of it is wanted, and checked against what the manifest says
// (ETag, size). The first segment is opened before any header goes out, so a broken manifest
// answers 409 Conflict as Swift does; a later failure cuts the body short, and the client
// sees a truncated response, never a complete wrong one.
import { Readable } from 'node:stream'
import { HttpError } from '../common/http/errors.ts'
import { normalizeEtag } from '../common/http/conditional.ts'
import type { Logger } from '../common/logger.ts'
import type { SubResponse } from './subrequest.ts'

/** One piece of a large object's body: bytes [start, end] (inclusive) of an object, or inline data. */
export interface SegmentPiece {
  /** Quoted "/v1/<account>/<container>/<object>"; absent for inline data. */
  path?: string
  /** Inline bytes (SLO "data" segments), already cut to the wanted range. */
  data?: Buffer
  start: number
  end: number
  /** The segment's expected ETag and whole size, when the manifest records them. */
  etag?: string | undefined
  size?: number | undefined
}

export type SegmentFetch = (path: string, range: string | undefined) => Promise<SubResponse>

export class SegmentError extends Error {
  readonly code = 'ERR_SEGMENT'
}

function describe(piece: SegmentPiece): string {
  return piece.path ? decodeURIComponent(piece.path) : '<inline data>'
}

/** Opens one piece; throws SegmentError when it is missing or no longer matches the manifest. */
async function open(fetch: SegmentFetch, piece: SegmentPiece): Promise<Readable> {
  if (piece.data) return Readable.from([piece.data])
  const whole = piece.size !== undefined && piece.start === 0 && piece.end === piece.size - 1
  const res = await fetch(piece.path as string, whole ? undefined : `bytes=${piece.start}-${piece.end}`)
  if (res.status !== 200 && res.status !== 206) {
    res.discard()
    throw new SegmentError(`While processing manifest, got ${res.status} while retrieving ${describe(piece)}`)
  }
  const etag = normalizeEtag(res.headers.etag ?? '')
  const totalSize = res.status === 206 ? Number(/\/(\d+)$/.exec(res.headers['content-range'] ?? '')?.[1]) : Number(res.headers['content-length'])
  if ((piece.etag && etag !== normalizeEtag(piece.etag)) || (piece.size !== undefined && totalSize !== piece.size)) {
    res.discard()
    throw new SegmentError(
      `Object segment no longer valid: ${describe(piece)} etag: ${etag} != ${piece.etag ?? etag} or size: ${totalSize} != ${piece.size ?? totalSize}.`,
    )
  }
  if (!res.stream) return Readable.from([await res.buffer()])
  return res.stream
}

export interface SegmentedBody {
  /** The stream to send; it errors (cutting the response) if a later segment fails. */
  readonly stream: Readable
}

/**
 * Opens the first piece at once (a failure there is a 409), then streams the rest in order.
 * `pieces` may be lazy (nested manifests, DLO listings are expanded as the body is read).
 */
export async function segmentedBody(pieces: AsyncIterable<SegmentPiece>, fetch: SegmentFetch, log: Logger, name: string): Promise<SegmentedBody> {
  const iterator = pieces[Symbol.asyncIterator]()
  // Inline pieces (SLO data segments, multipart/byteranges part headers) ahead of the first
  // object segment are taken too, so that the first real segment is checked before any header.
  let queue: { stream: Readable; expected: number }[] = []
  let exhausted = false
  try {
    for (;;) {
      const first = await iterator.next()
      if (first.done) {
        exhausted = true
        break
      }
      queue.push({ stream: await open(fetch, first.value), expected: first.value.end - first.value.start + 1 })
      if (!first.value.data) break
    }
  } catch (err) {
    log.warn('large object: first segment failed', { name, err: (err as Error).message })
    throw new HttpError(409)
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    for (;;) {
      for (const { stream, expected } of queue) {
        let got = 0
        for await (const chunk of stream) {
          const b = chunk as Buffer
          got += b.length
          yield b
        }
        if (got !== expected) throw new SegmentError(`segment short read: ${got} of ${expected} bytes`)
      }
      queue = []
      if (exhausted) return
      try {
        const next = await iterator.next()
        if (next.done) return
        queue.push({ stream: await open(fetch, next.value), expected: next.value.end - next.value.start + 1 })
      } catch (err) {
        log.error('large object: segment failed mid-stream', { name, err: (err as Error).message })
        throw err
      }
    }
  }
  const stream = Readable.from(bytes(), { objectMode: false })
  stream.on('error', () => {
    for (const q of queue) q.stream.destroy()
  })
  return { stream }
}
