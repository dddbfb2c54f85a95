// The client side of the container and account servers' replication verb
// (common/db/replication-rpc.ts), shared by the database replicators, auditors and the
// account reaper: one JSON op per POST + X-Backend-Replication-Method: REPLICATE.
import type { BackendClient, BackendNode } from '../common/backend-client.ts'
import { quotePath } from '../common/backend-client.ts'
import { DB_REPLICATION_FORMAT, REPLICATION_METHOD_HEADER } from '../common/db/replication-rpc.ts'
import type { RingDevice } from '../ring/types.ts'

export class DbReplicationError extends Error {
  readonly code = 'ERR_DB_REPLICATION'
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'DbReplicationError'
  }
}

export const nodeOf = (dev: RingDevice): BackendNode => ({ ip: dev.replication_ip, port: dev.replication_port, device: dev.device })

export const dbPath = (device: string, partition: number, hash: string): string => `/${quotePath(device)}/${partition}/${hash}`

/** Sends one op; a 2xx answer's JSON body comes back (checked for its format version). */
export async function callDbOp<T>(client: BackendClient, node: BackendNode, path: string, op: string, args: object, agent: string): Promise<{ status: number; body: T }> {
  const res = await client.request(node, {
    method: 'POST',
    path,
    headers: { [REPLICATION_METHOD_HEADER]: 'REPLICATE', 'Content-Type': 'application/json', 'User-Agent': `${agent} ${process.pid}` },
    body: JSON.stringify({ v: DB_REPLICATION_FORMAT, op, ...args }),
  })
  const text = res.body.toString('utf8')
  let body = {} as T
  if (res.status >= 200 && res.status < 300 && text) {
    const parsed = JSON.parse(text) as { v?: number }
    if (parsed.v !== DB_REPLICATION_FORMAT) throw new DbReplicationError(`${op} on ${node.ip}:${node.port}/${node.device}: unknown answer format`)
    body = parsed as T
  }
  return { status: res.status, body }
}

/** Every database on a device of the local node (`list`). */
export async function listDeviceDbs(client: BackendClient, node: BackendNode, agent: string): Promise<{ partition: number; hash: string }[]> {
  const res = await callDbOp<{ dbs: { partition: number; hash: string }[] }>(client, node, `/${quotePath(node.device)}`, 'list', {}, agent)
  if (res.status !== 200) throw new DbReplicationError(`list answered ${res.status}`, res.status)
  return res.body.dbs
}
