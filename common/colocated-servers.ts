// A storage node's servers that share one process (`tern all-in-one-server node` runs a node's
// object, container and account servers in one). An object server gives its container updates
// for a container server of the same process straight to it: the container server runs the same
// checks and the same database merge as for the update's HTTP request, without the request.
//
// Why: on the all-in-one (4 KiB PUTs at c=16) leaving the three container updates of a PUT out
// took its server CPU from 11 to 6.5 ms; handed over in-process (about 3 in 4 of them: the proxy
// pairs each object node with the container replica on its own drive, proxy/info-lookup.ts
// pairWithObjectNodes) they took it to 8.3 ms.
import { networkInterfaces } from 'node:os'
import type { BatchedRow } from './object-update-batch.ts'

/** What a container server offers the object servers of its own process. */
export interface LocalContainerServer {
  /**
   * Applies object rows to the database at `containerPath` (/<dev>/<part>/<account>/<container>,
   * percent-encoded as on the wire), with `headers` as the update request's: a status per row,
   * each what that row's HTTP update would have been answered.
   */
  applyUpdates(containerPath: string, rows: readonly BatchedRow[], headers: Readonly<Record<string, string>>): Promise<number[]>
}

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]'])

function stripBrackets(ip: string): string {
  return ip.replace(/^\[(.*)\]$/, '$1')
}

/** This host's own addresses (loopback included), for servers bound to a wildcard address. */
function localAddresses(): Set<string> {
  const out = new Set<string>(['127.0.0.1', '::1', 'localhost'])
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address)
  return out
}

export class ColocatedServers {
  readonly #containers = new Map<string, LocalContainerServer>()
  #local: Set<string> | undefined

  /** Registers the container server listening on ip:port in this process. */
  addContainerServer(ip: string, port: number, server: LocalContainerServer): void {
    this.#containers.set(this.#key(ip, port), server)
  }

  removeContainerServer(ip: string, port: number): void {
    this.#containers.delete(this.#key(ip, port))
  }

  /** The container server of this process that ip:port reaches, if there is one. */
  containerServerAt(ip: string, port: number): LocalContainerServer | undefined {
    if (this.#containers.size === 0) return undefined
    const host = stripBrackets(ip)
    const exact = this.#containers.get(`${host}:${port}`)
    if (exact) return exact
    const wildcard = this.#containers.get(`*:${port}`)
    if (!wildcard) return undefined
    this.#local ??= localAddresses()
    return this.#local.has(host) ? wildcard : undefined
  }

  #key(ip: string, port: number): string {
    const host = stripBrackets(ip)
    return `${WILDCARDS.has(host) ? '*' : host}:${port}`
  }
}
