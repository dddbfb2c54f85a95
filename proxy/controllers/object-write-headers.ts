// The per-node headers of object writes (Swift's BaseObjectController._backend_requests): each
// object server is told which container servers to update (X-Container-Host/-Partition/
// -Device), enough of them that a quorum of object writes always reaches a quorum of
// container replicas, and, for objects that expire, which expirer-queue container to update.
import type { OutgoingHttpHeaders } from 'node:http'
import { normalizeDeleteAt } from '../../common/constraints-check.ts'
import { hashPath } from '../../common/hash-path.ts'
import { containerTarget, pairWithObjectNodes, spreadUpdates } from '../info-lookup.ts'
import type { BackendNode } from '../../common/backend-client.ts'
import type { ProxyApp } from '../proxy-app.ts'
import { quorumSize } from '../proxy-app.ts'

/** Swift's num_container_updates: max(Qc + Ro - Qo, Rc). */
export function numContainerUpdates(containerReplicas: number, objectReplicas: number): number {
  return Math.max(quorumSize(containerReplicas) + objectReplicas - quorumSize(objectReplicas), containerReplicas)
}

/** Swift's get_expirer_container: the day's queue container, spread over 100 shards. */
export function expirerContainer(app: ProxyApp, deleteAt: string, account: string, container: string, object: string): string {
  const divisor = app.config.expiringObjectsContainerDivisor
  const shard = Number(BigInt(`0x${hashPath(app.config.hashPathSecrets, account, container, object)}`) % 100n)
  return normalizeDeleteAt(Math.floor(Number(deleteAt) / divisor) * divisor - shard)
}

export interface WriteHeaderOptions {
  account: string
  container: string
  object: string
  /** Object nodes the request goes to. */
  count: number
  /** Those nodes, in request order: each is given a container replica of its own drive when there is one. */
  objectNodes?: readonly BackendNode[]
  common: OutgoingHttpHeaders
  deleteAt?: string | undefined
}

export function objectWriteHeaders(app: ProxyApp, o: WriteHeaderOptions): (index: number) => OutgoingHttpHeaders {
  const cTarget = containerTarget(app, o.account, o.container)
  const needed = numContainerUpdates(cTarget.primaries.length, o.count)
  const containers = spreadUpdates(o.count, pairWithObjectNodes(cTarget.primaries, o.objectNodes ?? []), needed)
  let expirer: { container: string; part: number; slots: { hosts: string[]; devices: string[] }[] } | undefined
  if (o.deleteAt !== undefined) {
    const queue = expirerContainer(app, o.deleteAt, o.account, o.container, o.object)
    const qTarget = containerTarget(app, app.config.expiringObjectsAccount, queue)
    // Swift fills these from the last request backwards, so they land apart from the container updates.
    const slots = spreadUpdates(o.count, qTarget.primaries, needed).reverse()
    expirer = { container: queue, part: qTarget.part, slots }
  }
  const all = Array.from({ length: o.count }, (_v, i): OutgoingHttpHeaders => {
    const h: OutgoingHttpHeaders = { ...o.common }
    const slot = containers[i]
    if (slot && slot.hosts.length) {
      h['X-Container-Partition'] = String(cTarget.part)
      h['X-Container-Host'] = slot.hosts.join(',')
      h['X-Container-Device'] = slot.devices.join(',')
    }
    const eslot = expirer?.slots[i]
    if (expirer && eslot && eslot.hosts.length) {
      h['X-Delete-At-Container'] = expirer.container
      h['X-Delete-At-Partition'] = String(expirer.part)
      h['X-Delete-At-Host'] = eslot.hosts.join(',')
      h['X-Delete-At-Device'] = eslot.devices.join(',')
    }
    // Swift asks two object servers to clean the expirer queue on overwrite/delete.
    h['X-Backend-Clean-Expiring-Object-Queue'] = i < 2 ? 't' : 'f'
    return h
  })
  return (index) => all[index] ?? o.common
}
