// Small request bodies the storage servers read whole (replication messages, container update
// batches): 413 past the caller's limit, 400 for JSON that does not parse.
import type { IncomingMessage } from 'node:http'
import { HttpError } from './errors.ts'

/** The whole body, or 413 as soon as it passes `limit` bytes. */
export async function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new HttpError(413)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** The body parsed as JSON (unchecked shape), 413 past `limit`, 400 when it is not JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number, headers?: Record<string, string>): Promise<unknown> {
  const raw = await readBodyUpTo(req, limit)
  try {
    return JSON.parse(raw.toString('utf8')) as unknown
  } catch {
    throw new HttpError(400, { body: 'Invalid JSON body', ...(headers ? { headers } : {}) })
  }
}
