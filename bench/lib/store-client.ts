// The load generator's client side: the same five operations (PUT, GET, HEAD, DELETE of an
// object, a container listing page) over the Swift API with a tempauth token or over the S3
// API with SigV4. node:http with a keep-alive Agent per run (maxSockets = concurrency), every
// response body read to the end so its bytes are counted and the socket reused.
import http from 'node:http'
import { signS3Headers } from './sigv4.ts'
import type { SigV4Credentials } from './sigv4.ts'

export interface HttpResult {
  status: number
  bytes: number
  headers: http.IncomingHttpHeaders
  /** The body, only when asked for (small answers: auth, listings, errors). */
  body?: Buffer
}

export interface HttpRequest {
  method: string
  url: URL
  headers?: Record<string, string | number>
  body?: Buffer
  keepBody?: boolean
  agent?: http.Agent
}

export function httpRequest(r: HttpRequest): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers }
    if (r.body) headers['content-length'] = r.body.length
    const req = http.request(
      { method: r.method, host: r.url.hostname, port: r.url.port, path: r.url.pathname + r.url.search, headers, agent: r.agent ?? false },
      (res) => {
        let bytes = 0
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => {
          bytes += c.length
          if (r.keepBody) chunks.push(c)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, headers: res.headers, ...(r.keepBody ? { body: Buffer.concat(chunks) } : {}) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(r.body)
  })
}

export interface OpResult {
  ok: boolean
  /** Payload bytes moved. */
  bytes: number
  /** What went wrong, for the report (status and a little of the body). */
  error?: string
  /** Entries in a listing page. */
  entries?: number
}

/** One API's view of one container / bucket. */
export interface StoreClient {
  readonly api: 'swift' | 's3'
  /** Creates the container; resolves false with a reason when this API is not served. */
  prepare(container: string): Promise<{ available: true } | { available: false; reason: string }>
  put(agent: http.Agent, container: string, name: string, body: Buffer): Promise<OpResult>
  get(agent: http.Agent, container: string, name: string, expectBytes: number): Promise<OpResult>
  head(agent: http.Agent, container: string, name: string): Promise<OpResult>
  delete(agent: http.Agent, container: string, name: string): Promise<OpResult>
  list(agent: http.Agent, container: string, marker: string, limit: number): Promise<OpResult>
}

function failure(what: string, res: HttpResult): OpResult {
  const text = res.body ? res.body.subarray(0, 120).toString('utf8').replace(/\s+/g, ' ') : ''
  return { ok: false, bytes: 0, error: `${what} ${res.status}${text ? ` ${text}` : ''}` }
}

async function guarded(what: string, fn: () => Promise<OpResult>): Promise<OpResult> {
  try {
    return await fn()
  } catch (err) {
    return { ok: false, bytes: 0, error: `${what} ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }
  }
}

/** Swift API through tempauth (v1.0): one token for the whole run, as a real client caches it. */
export class SwiftApiClient implements StoreClient {
  readonly api = 'swift'
  #storageUrl = ''
  #token = ''

  constructor(
    readonly authUrl: string,
    readonly user: string,
    readonly key: string,
  ) {}

  async authenticate(): Promise<void> {
    const res = await httpRequest({ method: 'GET', url: new URL(this.authUrl), headers: { 'x-auth-user': this.user, 'x-auth-key': this.key }, keepBody: true })
    const url = res.headers['x-storage-url']
    const token = res.headers['x-auth-token']
    if (res.status >= 300 || typeof url !== 'string' || typeof token !== 'string') throw new Error(`auth at ${this.authUrl} answered ${res.status}`)
    this.#storageUrl = url
    this.#token = token
  }

  #url(container: string, name?: string, query = ''): URL {
    return new URL(`${this.#storageUrl}/${encodeURIComponent(container)}${name === undefined ? '' : `/${encodeURIComponent(name)}`}${query}`)
  }

  async prepare(container: string): Promise<{ available: true } | { available: false; reason: string }> {
    if (!this.#token) await this.authenticate()
    const res = await httpRequest({ method: 'PUT', url: this.#url(container), headers: { 'x-auth-token': this.#token }, keepBody: true })
    if (res.status !== 201 && res.status !== 202) return { available: false, reason: failure('container PUT', res).error ?? '' }
    return { available: true }
  }

  put(agent: http.Agent, container: string, name: string, body: Buffer): Promise<OpResult> {
    return guarded('PUT', async () => {
      const res = await httpRequest({ method: 'PUT', url: this.#url(container, name), headers: { 'x-auth-token': this.#token, 'content-type': 'application/octet-stream' }, body, agent, keepBody: true })
      return res.status === 201 ? { ok: true, bytes: body.length } : failure('PUT', res)
    })
  }

  get(agent: http.Agent, container: string, name: string, expectBytes: number): Promise<OpResult> {
    return guarded('GET', async () => {
      const res = await httpRequest({ method: 'GET', url: this.#url(container, name), headers: { 'x-auth-token': this.#token }, agent })
      if (res.status !== 200) return failure('GET', res)
      return res.bytes === expectBytes ? { ok: true, bytes: res.bytes } : { ok: false, bytes: res.bytes, error: `GET short body ${res.bytes}/${expectBytes}` }
    })
  }

  head(agent: http.Agent, container: string, name: string): Promise<OpResult> {
    return guarded('HEAD', async () => {
      const res = await httpRequest({ method: 'HEAD', url: this.#url(container, name), headers: { 'x-auth-token': this.#token }, agent })
      return res.status === 200 ? { ok: true, bytes: 0 } : failure('HEAD', res)
    })
  }

  delete(agent: http.Agent, container: string, name: string): Promise<OpResult> {
    return guarded('DELETE', async () => {
      const res = await httpRequest({ method: 'DELETE', url: this.#url(container, name), headers: { 'x-auth-token': this.#token }, agent, keepBody: true })
      return res.status === 204 ? { ok: true, bytes: 0 } : failure('DELETE', res)
    })
  }

  list(agent: http.Agent, container: string, marker: string, limit: number): Promise<OpResult> {
    return guarded('LIST', async () => {
      const q = `?format=json&limit=${limit}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`
      const res = await httpRequest({ method: 'GET', url: this.#url(container, undefined, q), headers: { 'x-auth-token': this.#token }, agent, keepBody: true })
      if (res.status !== 200) return failure('LIST', res)
      const entries = countListingEntries(res.body!)
      return entries === limit ? { ok: true, bytes: res.bytes, entries } : { ok: false, bytes: res.bytes, entries, error: `LIST short page ${entries}/${limit}` }
    })
  }
}

const NAME_KEY = Buffer.from('"name": "')

/**
 * Rows in a JSON listing page, counted by their `"name": "` keys instead of decoding the page:
 * on this 2-core machine JSON.parse of a 10,000-row page (~19 ms) cost the client about as
 * much CPU as Tern spends serving it, taking CPU from the servers under test. The key cannot
 * occur inside a string value (JSON escapes the quote), and Swift and Tern both write it with
 * Python's ", " / ": " separators. A body that is not a JSON array counts as -1.
 */
export function countListingEntries(body: Buffer): number {
  if (body[0] !== 0x5b || body[body.length - 1] !== 0x5d) return -1
  let entries = 0
  for (let i = body.indexOf(NAME_KEY); i !== -1; i = body.indexOf(NAME_KEY, i + NAME_KEY.length)) entries++
  return entries
}

/** S3 API, path-style, SigV4 with an unsigned payload. */
export class S3ApiClient implements StoreClient {
  readonly api = 's3'
  readonly #endpoint: URL
  readonly #creds: SigV4Credentials

  constructor(endpoint: string, accessKey: string, secretKey: string, region = 'us-east-1') {
    this.#endpoint = new URL(endpoint)
    this.#creds = { accessKey, secretKey, region, service: 's3' }
  }

  #signed(method: string, path: string, query?: Record<string, string>): { url: URL; headers: Record<string, string> } {
    const headers = signS3Headers(this.#creds, { method, path, headers: { host: this.#endpoint.host }, ...(query ? { query } : {}) })
    const url = new URL(path, this.#endpoint)
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v)
    return { url, headers }
  }

  #path(bucket: string, key?: string): string {
    return `/${bucket}${key === undefined ? '' : `/${key.split('/').map(encodeURIComponent).join('/')}`}`
  }

  async prepare(bucket: string): Promise<{ available: true } | { available: false; reason: string }> {
    try {
      const put = this.#signed('PUT', this.#path(bucket))
      const res = await httpRequest({ method: 'PUT', url: put.url, headers: put.headers, keepBody: true })
      const xml = String(res.headers['content-type'] ?? '').includes('xml') || (res.body?.toString('utf8').startsWith('<?xml') ?? false)
      if (res.status === 200) return { available: true }
      if (res.status === 409 && xml) return { available: true } // BucketAlreadyOwnedByYou / BucketAlreadyExists (ours)
      return { available: false, reason: xml ? (failure('bucket PUT', res).error ?? '') : `no S3 API at ${this.#endpoint.origin} (bucket PUT answered ${res.status} without S3 XML)` }
    } catch (err) {
      return { available: false, reason: (err as Error).message }
    }
  }

  put(agent: http.Agent, bucket: string, key: string, body: Buffer): Promise<OpResult> {
    return guarded('PUT', async () => {
      const s = this.#signed('PUT', this.#path(bucket, key))
      const res = await httpRequest({ method: 'PUT', url: s.url, headers: { ...s.headers, 'content-type': 'application/octet-stream' }, body, agent, keepBody: true })
      return res.status === 200 ? { ok: true, bytes: body.length } : failure('PUT', res)
    })
  }

  get(agent: http.Agent, bucket: string, key: string, expectBytes: number): Promise<OpResult> {
    return guarded('GET', async () => {
      const s = this.#signed('GET', this.#path(bucket, key))
      const res = await httpRequest({ method: 'GET', url: s.url, headers: s.headers, agent })
      if (res.status !== 200) return failure('GET', res)
      return res.bytes === expectBytes ? { ok: true, bytes: res.bytes } : { ok: false, bytes: res.bytes, error: `GET short body ${res.bytes}/${expectBytes}` }
    })
  }

  head(agent: http.Agent, bucket: string, key: string): Promise<OpResult> {
    return guarded('HEAD', async () => {
      const s = this.#signed('HEAD', this.#path(bucket, key))
      const res = await httpRequest({ method: 'HEAD', url: s.url, headers: s.headers, agent })
      return res.status === 200 ? { ok: true, bytes: 0 } : failure('HEAD', res)
    })
  }

  delete(agent: http.Agent, bucket: string, key: string): Promise<OpResult> {
    return guarded('DELETE', async () => {
      const s = this.#signed('DELETE', this.#path(bucket, key))
      const res = await httpRequest({ method: 'DELETE', url: s.url, headers: s.headers, agent, keepBody: true })
      return res.status === 204 ? { ok: true, bytes: 0 } : failure('DELETE', res)
    })
  }

  list(agent: http.Agent, bucket: string, marker: string, limit: number): Promise<OpResult> {
    return guarded('LIST', async () => {
      const query: Record<string, string> = { 'max-keys': String(limit), ...(marker ? { marker } : {}) }
      const s = this.#signed('GET', this.#path(bucket), query)
      const res = await httpRequest({ method: 'GET', url: s.url, headers: s.headers, agent, keepBody: true })
      if (res.status !== 200) return failure('LIST', res)
      const entries = res.body!.toString('utf8').split('<Key>').length - 1
      return { ok: true, bytes: res.bytes, entries }
    })
  }
}
