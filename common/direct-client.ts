// Requests straight to one storage node, bypassing the proxy (Swift's
// swift/common/direct_client.py): the replicators, updaters, reaper and expirer use these.
// A status outside 2xx rejects with DirectClientError carrying the status, headers and body.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { BackendClient, BackendNode, BackendResponse } from './backend-client.ts'
import { backendPath } from './backend-client.ts'

export class DirectClientError extends Error {
  readonly code = 'ERR_DIRECT_CLIENT'
  constructor(
    readonly method: string,
    readonly node: BackendNode,
    readonly path: string,
    readonly httpStatus: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: Buffer,
  ) {
    super(`${method} ${node.ip}:${node.port}/${node.device}${path} answered ${httpStatus}`)
    this.name = 'DirectClientError'
  }
}

export interface DirectOptions {
  headers?: OutgoingHttpHeaders
  /** Query parameters (listing marker, limit, ...). */
  query?: Record<string, string | number | boolean | undefined>
  body?: Buffer | string
  /** Seconds (response_timeout in Swift's direct_client). */
  timeout?: number
}

export type ListingQuery = {
  marker?: string
  limit?: number
  prefix?: string
  delimiter?: string
  end_marker?: string
  reverse?: boolean
}

function queryString(query: DirectOptions['query']): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v))
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** One request to one node; resolves on 2xx, rejects with DirectClientError otherwise. */
export async function directRequest(
  client: BackendClient,
  node: BackendNode,
  partition: number | string,
  method: string,
  path: string,
  options: DirectOptions = {},
): Promise<BackendResponse> {
  // As Swift's direct_client: daemons see the reserved namespace (object versioning's
  // hidden containers), which listings hide from everyone else.
  const headers: OutgoingHttpHeaders = { 'User-Agent': `direct-client ${process.pid}`, 'X-Backend-Allow-Reserved-Names': 'true', ...options.headers }
  const res = await client.request(node, {
    method,
    path: backendPath(node, partition, path) + queryString(options.query),
    headers,
    body: options.body,
    timeout: options.timeout,
  })
  if (res.status < 200 || res.status >= 300) throw new DirectClientError(method, node, path, res.status, res.headers, res.body)
  return res
}

function listingQuery(q: ListingQuery = {}): DirectOptions['query'] {
  return { format: 'json', marker: q.marker, limit: q.limit, prefix: q.prefix, delimiter: q.delimiter, end_marker: q.end_marker, reverse: q.reverse ? 'true' : undefined }
}

const objPath = (a: string, c: string, o: string) => `/${a}/${c}/${o}`

export async function directHeadAccount(client: BackendClient, node: BackendNode, part: number, account: string, headers?: OutgoingHttpHeaders) {
  return (await directRequest(client, node, part, 'HEAD', `/${account}`, headers ? { headers } : {})).headers
}

export async function directGetAccount(client: BackendClient, node: BackendNode, part: number, account: string, q?: ListingQuery) {
  const res = await directRequest(client, node, part, 'GET', `/${account}`, { query: listingQuery(q) })
  return { headers: res.headers, listing: res.status === 204 ? [] : (JSON.parse(res.body.toString('utf8')) as Record<string, unknown>[]) }
}

export async function directHeadContainer(client: BackendClient, node: BackendNode, part: number, account: string, container: string, headers?: OutgoingHttpHeaders) {
  return (await directRequest(client, node, part, 'HEAD', `/${account}/${container}`, headers ? { headers } : {})).headers
}

export async function directGetContainer(client: BackendClient, node: BackendNode, part: number, account: string, container: string, q?: ListingQuery) {
  const res = await directRequest(client, node, part, 'GET', `/${account}/${container}`, { query: listingQuery(q) })
  return { headers: res.headers, listing: res.status === 204 ? [] : (JSON.parse(res.body.toString('utf8')) as Record<string, unknown>[]) }
}

export async function directPutContainer(client: BackendClient, node: BackendNode, part: number, account: string, container: string, headers: OutgoingHttpHeaders) {
  await directRequest(client, node, part, 'PUT', `/${account}/${container}`, { headers })
}

export async function directDeleteContainer(client: BackendClient, node: BackendNode, part: number, account: string, container: string, headers: OutgoingHttpHeaders) {
  await directRequest(client, node, part, 'DELETE', `/${account}/${container}`, { headers })
}

/** Adds or updates an object row in a container (what object servers and updaters send). */
export async function directPutContainerObject(client: BackendClient, node: BackendNode, part: number, account: string, container: string, obj: string, headers: OutgoingHttpHeaders) {
  await directRequest(client, node, part, 'PUT', objPath(account, container, obj), { headers })
}

export async function directDeleteContainerObject(client: BackendClient, node: BackendNode, part: number, account: string, container: string, obj: string, headers: OutgoingHttpHeaders) {
  await directRequest(client, node, part, 'DELETE', objPath(account, container, obj), { headers })
}

export async function directHeadObject(client: BackendClient, node: BackendNode, part: number, account: string, container: string, obj: string, headers?: OutgoingHttpHeaders) {
  return (await directRequest(client, node, part, 'HEAD', objPath(account, container, obj), headers ? { headers } : {})).headers
}

export async function directGetObject(client: BackendClient, node: BackendNode, part: number, account: string, container: string, obj: string, headers?: OutgoingHttpHeaders) {
  const res = await directRequest(client, node, part, 'GET', objPath(account, container, obj), headers ? { headers } : {})
  return { headers: res.headers, body: res.body }
}

export async function directPutObject(client: BackendClient, node: BackendNode, part: number, account: string, container: string, obj: string, body: Buffer | string, headers: OutgoingHttpHeaders) {
  return (await directRequest(client, node, part, 'PUT', objPath(account, container, obj), { headers, body })).headers
}

export async function directDeleteObject(client: BackendClient, node: BackendNode, part: number, account: string, container: string, obj: string, headers: OutgoingHttpHeaders) {
  await directRequest(client, node, part, 'DELETE', objPath(account, container, obj), { headers })
}
