// Pushing suffixes over the object servers' own HTTP, for machines without rsync (Swift's
// ssync, swift/obj/ssync_sender.py, in spirit): one missing check per partition listing the
// current files of every object in the differing suffixes, then each file the receiver asked
// for, streamed whole (object files are self-contained: body + metadata trailer). The
// receiver is object/replicate-handler.ts.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { BackendClient, BackendNode } from '../common/backend-client.ts'
import { backendPath, quotePath, readAll } from '../common/backend-client.ts'
import { listSuffix } from '../object/diskfile/hashes.ts'
import { REPLICATION_METHOD_HEADER, SYNC_FORMAT_VERSION } from '../object/replicate-handler.ts'

export class HttpSyncError extends Error {
  readonly code = 'ERR_HTTP_SYNC'
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'HttpSyncError'
  }
}

export interface HttpSyncResult {
  readonly filesSent: number
  readonly bytesSent: number
}

export interface HttpSyncOptions {
  readonly policy: number
  /** Files in flight at once. */
  readonly concurrency?: number
}

function headers(verb: string, policy: number, extra: Record<string, string | number> = {}) {
  return { [REPLICATION_METHOD_HEADER]: verb, 'X-Backend-Storage-Policy-Index': String(policy), 'User-Agent': `object-replicator ${process.pid}`, ...extra }
}

/** Sends what `node` lacks of the objects in `suffixes` of local partition `partDir`. */
export async function httpSyncPush(
  client: BackendClient, node: BackendNode, partition: number | string, partDir: string, suffixes: readonly string[], options: HttpSyncOptions,
): Promise<HttpSyncResult> {
  const objects: Record<string, string[]> = {}
  for (const suffix of suffixes) Object.assign(objects, await listSuffix(join(partDir, suffix)))
  if (Object.keys(objects).length === 0) return { filesSent: 0, bytesSent: 0 }
  const check = await client.request(node, {
    method: 'POST',
    path: `/${quotePath(node.device)}/${partition}`,
    headers: headers('SSYNC', options.policy, { 'Content-Type': 'application/json' }),
    body: JSON.stringify({ v: SYNC_FORMAT_VERSION, objects }),
  })
  if (check.status !== 200) throw new HttpSyncError(`missing check on ${node.ip}:${node.port}/${node.device} answered ${check.status}`, check.status)
  const answer = JSON.parse(check.body.toString('utf8')) as { v?: number; wanted?: Record<string, string[]> }
  if (answer.v !== SYNC_FORMAT_VERSION || !answer.wanted) throw new HttpSyncError('bad missing check answer')
  const files: { suffix: string; hash: string; name: string }[] = []
  for (const [hash, names] of Object.entries(answer.wanted)) {
    // Only what we offered: the answer names files, never paths of its own choosing.
    const offered = objects[hash]
    for (const name of names) if (offered?.includes(name)) files.push({ suffix: hash.slice(-3), hash, name })
  }
  let filesSent = 0
  let bytesSent = 0
  let next = 0
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!
      const path = join(partDir, f.suffix, f.hash, f.name)
      let size: number
      try {
        size = (await stat(path)).size
      } catch (err) {
        // Cleaned up since the listing (a newer file replaced it): the next pass sees the newer one.
        if ((err as { code?: unknown }).code === 'ENOENT') continue
        throw err
      }
      await sendFile(client, node, partition, `/${f.suffix}/${f.hash}/${f.name}`, path, size, options.policy)
      filesSent++
      bytesSent += size
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, files.length) }, worker))
  return { filesSent, bytesSent }
}

async function sendFile(client: BackendClient, node: BackendNode, partition: number | string, rel: string, path: string, size: number, policy: number): Promise<void> {
  const { req, early } = await client.open(node, 'POST', backendPath(node, partition, rel), headers('SSYNC', policy, { 'Content-Length': size }))
  if (early) {
    await readAll(node, early, client.nodeTimeoutMs)
    throw new HttpSyncError(`${rel} refused by ${node.ip}:${node.port}/${node.device}: ${early.statusCode}`, early.statusCode)
  }
  const responded = client.waitResponse(node, req)
  await pipeline(createReadStream(path), req)
  const res = await responded
  const body = await readAll(node, res, client.nodeTimeoutMs)
  if (res.statusCode !== 201) throw new HttpSyncError(`${rel} to ${node.ip}:${node.port}/${node.device}: ${res.statusCode} ${body.toString('utf8').slice(0, 200)}`, res.statusCode)
}
