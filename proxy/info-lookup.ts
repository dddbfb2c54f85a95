// Account and container info for the controllers (Swift's get_account_info /
// get_container_info): a HEAD to the account or container nodes, read into a small record and
// cached briefly; plus account auto-creation (Swift's autocreate_account).
import type { IncomingHttpHeaders } from 'node:http'
import type { BackendNode } from '../common/backend-client.ts'
import { Timestamp } from '../common/timestamp.ts'
import type { Target } from './backend-requests.ts'
import { baseBackendHeaders, readFromNodes, writeToNodes } from './backend-requests.ts'
import type { ProxyContext } from './context.ts'
import type { AccountInfo, ContainerInfo } from './info-cache.ts'
import { InfoCache } from './info-cache.ts'
import type { ProxyApp } from './proxy-app.ts'

export function accountTarget(app: ProxyApp, account: string, query?: string): Target {
  const ring = app.rings.account
  const part = ring.getPart(account)
  return { ring, part, primaries: ring.getPartNodes(part), path: `/${account}`, query, serverType: 'Account' }
}

export function containerTarget(app: ProxyApp, account: string, container: string, query?: string): Target {
  const ring = app.rings.container
  const part = ring.getPart(account, container)
  return { ring, part, primaries: ring.getPartNodes(part), path: `/${account}/${container}`, query, serverType: 'Container' }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

function prefixed(headers: IncomingHttpHeaders, prefix: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) if (k.startsWith(prefix) && v !== undefined) out[k.slice(prefix.length)] = String(v)
  return out
}

const int = (v: string | undefined) => (v === undefined ? 0 : Number.parseInt(v, 10) || 0)

export function accountInfoFrom(status: number, headers: IncomingHttpHeaders): AccountInfo {
  return {
    status,
    containerCount: int(header(headers, 'x-account-container-count')),
    objectCount: int(header(headers, 'x-account-object-count')),
    bytes: int(header(headers, 'x-account-bytes-used')),
    meta: prefixed(headers, 'x-account-meta-'),
    sysmeta: prefixed(headers, 'x-account-sysmeta-'),
  }
}

export function containerInfoFrom(status: number, headers: IncomingHttpHeaders): ContainerInfo {
  return {
    status,
    readAcl: header(headers, 'x-container-read'),
    writeAcl: header(headers, 'x-container-write'),
    syncKey: header(headers, 'x-container-sync-key'),
    objectCount: int(header(headers, 'x-container-object-count')),
    bytes: int(header(headers, 'x-container-bytes-used')),
    versions: header(headers, 'x-versions-location'),
    storagePolicy: header(headers, 'x-backend-storage-policy-index') ?? '0',
    meta: prefixed(headers, 'x-container-meta-'),
    sysmeta: prefixed(headers, 'x-container-sysmeta-'),
  }
}

export async function getAccountInfo(app: ProxyApp, ctx: ProxyContext, account: string): Promise<AccountInfo> {
  const cached = app.infoCache.accounts.get(account)
  if (cached) return cached
  const r = await readFromNodes(app, ctx, accountTarget(app, account), 'HEAD', baseBackendHeaders(ctx))
  // Swift treats any 2xx as "exists"; 410 (deleted) and the rest as not.
  const info = accountInfoFrom(r.status, r.headers)
  app.infoCache.accounts.set(account, info)
  return info
}

export async function getContainerInfo(app: ProxyApp, ctx: ProxyContext, account: string, container: string): Promise<ContainerInfo> {
  const key = InfoCache.containerKey(account, container)
  const cached = app.infoCache.containers.get(key)
  if (cached) return cached
  const r = await readFromNodes(app, ctx, containerTarget(app, account, container), 'HEAD', baseBackendHeaders(ctx))
  const info = containerInfoFrom(r.status, r.headers)
  app.infoCache.containers.set(key, info)
  return info
}

export const isSuccess = (status: number) => status >= 200 && status < 300

/** Swift's autocreate_account: PUT the account on its nodes; true when it exists afterwards. */
export async function autocreateAccount(app: ProxyApp, ctx: ProxyContext, account: string): Promise<boolean> {
  const headers = baseBackendHeaders(ctx, { 'X-Timestamp': Timestamp.now().internal })
  const r = await writeToNodes(app, accountTarget(app, account), 'PUT', () => headers)
  app.infoCache.invalidateAccount(account)
  if (isSuccess(r.status)) {
    ctx.state.log.info('autocreated account', { account })
    return true
  }
  ctx.state.log.warn('could not autocreate account', { account, status: r.status })
  return false
}

/**
 * `containers` reordered so that, where one can, the container replica at index i is on the same
 * drive (ip and device name) as object node i: that object server's update then goes to a
 * container server of its own storage node, which takes it without an HTTP request when both
 * run in one process (common/colocated-servers.ts). Any pairing is as good as Swift's order for
 * the quorum arithmetic: each object server still updates different container replicas.
 */
export function pairWithObjectNodes<T extends BackendNode>(containers: readonly T[], objectNodes: readonly BackendNode[]): T[] {
  const out: (T | undefined)[] = new Array<T | undefined>(containers.length)
  const left = [...containers]
  objectNodes.forEach((o, i) => {
    if (i >= out.length) return
    const at = left.findIndex((c) => c.ip === o.ip && c.device === o.device)
    if (at >= 0) out[i] = left.splice(at, 1)[0]
  })
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = left.shift()
  return out as T[]
}

/** Spreads `targets` over `count` requests as Swift's _backend_requests does ("ip:port" and device lists). */
export function spreadUpdates(count: number, targets: readonly BackendNode[], needed: number): { hosts: string[]; devices: string[] }[] {
  const out = Array.from({ length: count }, () => ({ hosts: [] as string[], devices: [] as string[] }))
  if (count === 0 || targets.length === 0) return out
  for (let i = 0; i < needed; i++) {
    const node = targets[i % targets.length] as BackendNode
    const slot = out[i % count] as { hosts: string[]; devices: string[] }
    slot.hosts.push(`${node.ip}:${node.port}`)
    slot.devices.push(node.device)
  }
  return out
}
