// The object server's replication verbs (Swift: ObjectController.REPLICATE and the ssync
// receiver, swift/obj/ssync_receiver.py), for replicator/ on other nodes:
//
// (Each is sent as POST with X-Backend-Replication-Method: <verb>; see object/server.ts.)
//   REPLICATE /<dev>/<part>[/<suf>-<suf>...]  → 200, JSON {"v":1,"hashes":{suffix: md5}}
//       recomputing the listed suffixes first (after a push), as Swift's REPLICATE does.
//   SSYNC /<dev>/<part>   body {"v":1,"objects":{hash: [file names]}}  (the missing check)
//       → 200, JSON {"v":1,"wanted":{hash: [file names]}}: the sender's files that would be
//       current here and that this node lacks.
//   SSYNC /<dev>/<part>/<suffix>/<hash>/<file>  body = the file's bytes
//       → 201 once the file is durable in its hash directory (then older files are cleaned up).
//
// Object files are self-contained (body + metadata trailer), so the HTTP sync moves whole
// files, exactly as rsync does, and needs no object name (tombstones carry none).
import { createHash, randomBytes } from 'node:crypto'
import { open, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Writable } from 'node:stream'
import { respond } from '../common/storage-server.ts'
import type { StorageRequest } from '../common/storage-server.ts'
import { checkDevice } from '../common/storage-server.ts'
import { readBodyUpTo } from '../common/http/request-body.ts'
import { HttpError } from '../common/http/errors.ts'
import { splitPath } from '../common/http/split-path.ts'
import type { ObjectServerParts } from './context.ts'
import { policyDir } from './diskfile/async-pending.ts'
import { decodeTrailer } from './diskfile/format.ts'
import { FsDiskFileManager } from './diskfile/fs.ts'
import { HASHES_VERSION, getSuffixHashes, partitionPath } from './diskfile/hashes.ts'
import { chooseFiles, parseFileName } from './diskfile/ondisk-files.ts'

export const SYNC_FORMAT_VERSION = 1
/** The verb of a replication request sent as POST (lower case, as node:http reports headers). */
export const REPLICATION_METHOD_HEADER = 'x-backend-replication-method'
const SUFFIX = /^[0-9a-f]{3}$/
const HASH = /^[0-9a-f]{32}$/
const PART = /^\d+$/
/** A missing check names at most a few suffixes' worth of objects. */
const MAX_CHECK_BYTES = 64 * 1024 * 1024
const json = { 'Content-Type': 'application/json' }

function policyOf(sr: StorageRequest): number {
  const v = sr.req.headers['x-backend-storage-policy-index']
  const text = Array.isArray(v) ? v[0] : v
  if (text === undefined || text.trim() === '') return 0
  if (!/^\d+$/.test(text.trim())) throw new HttpError(503, { body: `No policy with index ${text}` })
  return Number(text)
}

function fsManager(parts: ObjectServerParts): FsDiskFileManager {
  if (!(parts.diskfile instanceof FsDiskFileManager)) throw new HttpError(501, { body: 'replication needs the file-system diskfile' })
  return parts.diskfile
}

export async function REPLICATE(parts: ObjectServerParts, sr: StorageRequest): Promise<void> {
  const [device, partition, suffixText] = splitPath(sr.path, 2, 3, true)
  if (!device || !partition || !PART.test(partition)) throw new HttpError(400, { body: `Invalid path: ${encodeURI(sr.path)}` })
  const recalculate = suffixText ? suffixText.split('-').filter(Boolean) : []
  if (recalculate.some((s) => !SUFFIX.test(s))) throw new HttpError(400, { body: 'Invalid suffixes' })
  await checkDevice(parts.config.devices, device, parts.config.mountCheck)
  const policy = policyOf(sr)
  const hashes = await getSuffixHashes(partitionPath(parts.config.devices, device, policy, partition), {
    reclaimAge: parts.config.reclaimAge,
    recalculate,
  })
  respond(sr.res, 200, json, JSON.stringify({ v: HASHES_VERSION, hashes }))
}

export async function SSYNC(parts: ObjectServerParts, sr: StorageRequest): Promise<void> {
  const segments = splitPath(sr.path, 2, 5, false)
  const [device, partition, suffix, hash, file] = segments
  if (!device || !partition || !PART.test(partition)) throw new HttpError(400, { body: `Invalid path: ${encodeURI(sr.path)}` })
  await checkDevice(parts.config.devices, device, parts.config.mountCheck)
  const policy = policyOf(sr)
  const partDir = partitionPath(parts.config.devices, device, policy, partition)
  if (suffix === undefined) return missingCheck(sr, partDir)
  if (!SUFFIX.test(suffix) || !hash || !HASH.test(hash) || !hash.endsWith(suffix) || !file || !parseFileName(file)) {
    throw new HttpError(400, { body: `Invalid path: ${encodeURI(sr.path)}` })
  }
  await receiveFile(parts, sr, { device, policy, partDir, suffix, hash, file })
}

async function missingCheck(sr: StorageRequest, partDir: string): Promise<void> {
  let offered: Record<string, unknown>
  try {
    const body = JSON.parse((await readBodyUpTo(sr.req, MAX_CHECK_BYTES)).toString('utf8')) as { v?: unknown; objects?: unknown }
    if (body.v !== SYNC_FORMAT_VERSION || typeof body.objects !== 'object' || body.objects === null) throw new Error('bad shape')
    offered = body.objects as Record<string, unknown>
  } catch (err) {
    if (err instanceof HttpError) throw err
    throw new HttpError(400, { body: 'Invalid missing check' })
  }
  const wanted: Record<string, string[]> = {}
  for (const [hash, files] of Object.entries(offered)) {
    if (!HASH.test(hash) || !Array.isArray(files)) throw new HttpError(400, { body: 'Invalid missing check' })
    const theirs = files.filter((f): f is string => typeof f === 'string' && parseFileName(f) !== undefined)
    const ours = await readdir(join(partDir, hash.slice(-3), hash)).catch(() => [] as string[])
    const have = new Set(ours)
    // What would be current once both sets are together; of that, what only they have.
    const merged = chooseFiles([...new Set([...ours, ...theirs])])
    const want = [merged.data, merged.meta, merged.ts].filter((f) => f !== undefined && !have.has(f.name) && theirs.includes(f.name)).map((f) => f!.name)
    if (want.length) wanted[hash] = want
  }
  respond(sr.res, 200, json, JSON.stringify({ v: SYNC_FORMAT_VERSION, wanted }))
}

interface Target {
  readonly device: string
  readonly policy: number
  readonly partDir: string
  readonly suffix: string
  readonly hash: string
  readonly file: string
}

async function receiveFile(parts: ObjectServerParts, sr: StorageRequest, target: Target): Promise<void> {
  const manager = fsManager(parts)
  const devPath = join(parts.config.devices, target.device)
  const tmpDir = join(devPath, policyDir('tmp', target.policy))
  await manager.ensureDir(tmpDir)
  const tmpPath = join(tmpDir, `ssync-${randomBytes(12).toString('hex')}`)
  const fh = await open(tmpPath, 'wx')
  let installed = false
  try {
    const md5 = createHash('md5')
    let size = 0
    const chunks: Buffer[] = []
    let tailBytes = 0
    await pipeline(
      sr.req,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          md5.update(chunk)
          size += chunk.length
          // Keep the last 64 KiB in memory to check the trailer without reading back.
          chunks.push(chunk)
          tailBytes += chunk.length
          while (chunks.length > 1 && tailBytes - chunks[0]!.length >= 64 * 1024) tailBytes -= chunks.shift()!.length
          fh.write(chunk).then(() => done(), done)
        },
      }),
    )
    const expected = sr.req.headers['content-length']
    if (expected !== undefined && Number(expected) !== size) throw new HttpError(499)
    const sent = sr.req.headers['x-file-md5']
    if (typeof sent === 'string' && sent !== md5.digest('hex')) throw new HttpError(422, { body: 'File MD5 mismatch' })
    const tail = Buffer.concat(chunks)
    try {
      const decoded = decodeTrailer(tail, size)
      const kind = parseFileName(target.file)!.ext
      if (decoded.kind !== kind) throw new Error(`a ${decoded.kind} file named .${kind}`)
    } catch (err) {
      throw new HttpError(422, { body: `Invalid object file: ${(err as Error).message}` })
    }
    await fh.datasync()
    await fh.close()
    const paths = { devPath, partDir: target.partDir, suffix: target.suffix, hashDir: join(target.partDir, target.suffix, target.hash), hash: target.hash }
    await manager.install(paths, tmpPath, target.file)
    installed = true
    await manager.cleanup(paths)
  } finally {
    await fh.close().catch(() => undefined)
    if (!installed) await unlink(tmpPath).catch(() => undefined)
  }
  respond(sr.res, 201)
}
