// HTTP errors thrown by handlers and turned into responses by each server's single error
// boundary. The storage layer throws domain errors (with a stable `code`) instead, and the
// server maps those to HTTP errors.
import { defaultBody, reasonPhrase } from './status.ts'

export type HeaderMap = Record<string, string>

export class HttpError extends Error {
  readonly status: number
  readonly headers: HeaderMap
  /** Exact body to send; undefined means Swift's default body for the status. */
  readonly body: string | undefined
  /** Whether the message may be shown to the client (as Koa's `expose`). */
  readonly expose = true

  constructor(status: number, options: { body?: string; headers?: HeaderMap; message?: string; cause?: unknown } = {}) {
    super(options.message ?? options.body ?? reasonPhrase(status), { cause: options.cause })
    this.name = 'HttpError'
    this.status = status
    this.headers = options.headers ?? {}
    this.body = options.body
  }

  /** The body to send: the explicit one, else Swift's default for the status. */
  renderBody(drive?: string): string {
    return this.body ?? defaultBody(this.status, drive)
  }
}

export const badRequest = (body?: string, headers?: HeaderMap) =>
  new HttpError(400, body === undefined ? { headers } : { body, headers })
export const notFound = (headers?: HeaderMap) => new HttpError(404, { headers })
export const conflict = (headers?: HeaderMap) => new HttpError(409, { headers })
export const preconditionFailed = (headers?: HeaderMap) => new HttpError(412, { headers })
export const insufficientStorage = (drive: string) =>
  new HttpError(507, { body: defaultBody(507, drive), message: `insufficient storage on ${drive}` })
