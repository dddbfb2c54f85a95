// After a container PUT or DELETE, the container server tells the account servers named in
// X-Account-Host / -Device / -Partition (Swift: ContainerController.account_update). A
// failure is logged and left to the container updater (replication issue); only when every
// account server answers 404 does the client see 404.
import http from 'node:http'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { HttpError } from '../common/http/errors.ts'
import { header } from '../common/http/backend-params.ts'
import type { Logger } from '../common/logger.ts'

export interface AccountUpdateStats {
  putTimestamp: string
  deleteTimestamp: string
  objectCount: number
  bytesUsed: number
  storagePolicyIndex: number
}

export interface AccountUpdateOptions {
  connTimeout: number
  nodeTimeout: number
  log: Logger
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })

/** Returns 'not-found' when every account server answered 404 (the PUT/DELETE then answers 404). */
export async function accountUpdate(
  reqHeaders: IncomingHttpHeaders,
  account: string,
  container: string,
  stats: AccountUpdateStats,
  opts: AccountUpdateOptions,
): Promise<'ok' | 'not-found'> {
  const hostsHeader = header(reqHeaders, 'x-account-host') ?? ''
  const devicesHeader = header(reqHeaders, 'x-account-device') ?? ''
  const hosts = hostsHeader.split(',').map((h) => h.trim())
  const devices = devicesHeader.split(',').map((d) => d.trim())
  const partition = header(reqHeaders, 'x-account-partition') ?? ''
  if (hosts.length !== devices.length) {
    opts.log.error('ERROR Account update failed: different numbers of hosts and devices in request', { hosts: hostsHeader, devices: devicesHeader })
    throw new HttpError(400)
  }
  if (!partition) return 'ok'
  const headers: OutgoingHttpHeaders = {
    'X-Put-Timestamp': stats.putTimestamp,
    'X-Delete-Timestamp': stats.deleteTimestamp,
    'X-Object-Count': stats.objectCount,
    'X-Bytes-Used': stats.bytesUsed,
    'X-Trans-Id': header(reqHeaders, 'x-trans-id') ?? '-',
    'X-Backend-Storage-Policy-Index': stats.storagePolicyIndex,
    'User-Agent': `container-server ${process.pid}`,
  }
  if ((header(reqHeaders, 'x-account-override-deleted') ?? 'no').toLowerCase() === 'yes') headers['X-Account-Override-Deleted'] = 'yes'
  const path = '/' + [account, container].map((s) => encodeURIComponent(s)).join('/')
  const results = await Promise.all(
    hosts.map(async (host, i) => {
      const device = devices[i]!
      const at = host.lastIndexOf(':')
      const ip = host.slice(0, at).replace(/^\[|\]$/g, '')
      const port = Number(host.slice(at + 1))
      try {
        const status = await put(ip, port, `/${encodeURIComponent(device)}/${encodeURIComponent(partition)}${path}`, headers, opts)
        if (status === 404) return 404
        if (status < 200 || status >= 300) {
          opts.log.error('ERROR Account update failed (will retry later)', { ip, port, device, status })
        }
        return status
      } catch (err) {
        opts.log.error('ERROR account update failed (will retry later)', { ip, port, device, err })
        return 0
      }
    }),
  )
  return results.length > 0 && results.every((s) => s === 404) ? 'not-found' : 'ok'
}

function put(host: string, port: number, path: string, headers: OutgoingHttpHeaders, opts: AccountUpdateOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: 'PUT', headers: { ...headers, 'Content-Length': 0 }, agent })
    const connectTimer = setTimeout(() => req.destroy(new Error(`connect timeout after ${opts.connTimeout}s`)), opts.connTimeout * 1000)
    req.once('socket', (socket) => {
      const connected = () => clearTimeout(connectTimer)
      if (socket.connecting) socket.once('connect', connected)
      else connected()
    })
    req.setTimeout(opts.nodeTimeout * 1000, () => req.destroy(new Error(`no answer within ${opts.nodeTimeout}s`)))
    req.once('error', (err) => {
      clearTimeout(connectTimer)
      reject(err)
    })
    req.once('response', (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? 0))
      res.once('error', reject)
    })
    req.end()
  })
}
