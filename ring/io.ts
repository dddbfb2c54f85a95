// Ring files in Swift's ring.gz format, version 1 (swift/common/ring/ring.py, RingData):
//
//   gzip( "R1NG" | uint16 BE format version (1) | uint32 BE header length | JSON header |
//         replica_count arrays of uint16 device ids, in the header's byteorder )
//
// The JSON header holds devs, part_shift, replica_count (the number of arrays: a fractional
// replica count shows as a shorter last array), byteorder, and version / next_part_power
// when set. Swift writes the header with sorted keys and ASCII escapes and the gzip stream
// with a fixed mtime and the file's name, so identical rings give identical bytes; Tern does
// the same, which keeps md5 comparisons of ring files (swift-recon --md5) meaningful.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, chmodSync, unlinkSync } from 'node:fs'
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { endianness } from 'node:os'
import { randomBytes } from 'node:crypto'
import { constants as zc, crc32 as zlibCrc32, deflateRawSync, gunzip, gunzipSync } from 'node:zlib'
import { promisify } from 'node:util'
import type { RingData, RingDevice } from './types.ts'
import { pythonJsonDumps } from './python-json.ts'

export const RING_MAGIC = 'R1NG'
export const RING_FORMAT_VERSION = 1
/** The gzip mtime Swift's RingData.save() stamps on every ring file (2011-03-20). */
export const SWIFT_RING_GZIP_MTIME = 1300507380

export type RingFormatErrorCode = 'ERR_RING_FORMAT' | 'ERR_RING_VERSION'

/** A ring file that cannot be read: not gzip, truncated, wrong magic, inconsistent header. */
export class RingFormatError extends Error {
  readonly code: RingFormatErrorCode
  constructor(message: string, options?: { cause?: unknown; code?: RingFormatErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RingFormatError'
    this.code = options?.code ?? 'ERR_RING_FORMAT'
  }
}

export type ByteOrder = 'little' | 'big'

const HOST_BYTE_ORDER: ByteOrder = endianness() === 'LE' ? 'little' : 'big'
const FLOAT_KEYS = new Set(['weight'])
const gunzipAsync = promisify(gunzip)

export interface EncodeOptions {
  /** Name stored in the gzip header, as Swift's GzipFile does (basename minus ".gz"). */
  filename?: string
  /** gzip header mtime; Swift's default keeps ring files reproducible. */
  mtime?: number
  /** Byte order of the partition arrays; Swift writes the host's (sys.byteorder). */
  byteorder?: ByteOrder
}

/** Number of replicas, fractional when the last array is shorter (Swift: calc_replica_count). */
export function replicaCountOf(replica2part2dev: readonly Uint16Array[]): number {
  const first = replica2part2dev[0]
  const last = replica2part2dev[replica2part2dev.length - 1]
  if (first === undefined || last === undefined) return 0
  return replica2part2dev.length - 1 + last.length / first.length
}

/** The uncompressed payload: magic, version, header, partition arrays. */
export function serializeRing(data: RingData, byteorder: ByteOrder = HOST_BYTE_ORDER): Buffer {
  const header: Record<string, unknown> = {
    devs: data.devs,
    part_shift: data.partShift,
    replica_count: data.replica2part2dev.length,
    byteorder,
  }
  if (data.version !== undefined && data.version !== null) header.version = data.version
  if (data.nextPartPower !== undefined && data.nextPartPower !== null) header.next_part_power = data.nextPartPower
  const json = Buffer.from(pythonJsonDumps(header, { floatKeys: FLOAT_KEYS }), 'ascii')
  const prefix = Buffer.alloc(10)
  prefix.write(RING_MAGIC, 0, 'latin1')
  prefix.writeUInt16BE(RING_FORMAT_VERSION, 4)
  prefix.writeUInt32BE(json.length, 6)
  const parts: Buffer[] = [prefix, json]
  for (const part2dev of data.replica2part2dev) {
    const bytes = Buffer.from(part2dev.buffer, part2dev.byteOffset, part2dev.byteLength)
    if (byteorder === HOST_BYTE_ORDER) parts.push(bytes)
    else parts.push(Buffer.from(bytes).swap16())
  }
  return Buffer.concat(parts)
}

/** A gzip member laid out as Python's GzipFile writes it (FNAME, level-9 XFL, OS 255). */
function gzipLikePython(payload: Buffer, filename: string, mtime: number): Buffer {
  let name = Buffer.from(basename(filename), 'latin1')
  // Python leaves the name out when it is not Latin-1; Buffer would mangle it instead.
  if (!/^[\u0000-\u00ff]*$/.test(basename(filename))) name = Buffer.alloc(0)
  if (name.subarray(-3).toString('latin1') === '.gz') name = name.subarray(0, -3)
  const head = Buffer.alloc(10)
  head.writeUInt16BE(0x1f8b, 0)
  head[2] = 8 // deflate
  head[3] = name.length > 0 ? 0x08 : 0 // FNAME
  head.writeUInt32LE(Math.trunc(mtime) >>> 0, 4)
  head[8] = 2 // XFL: maximum compression
  head[9] = 255 // OS: unknown, as Python writes
  const body = deflateRawSync(payload, { level: 9, memLevel: 8, windowBits: 15, strategy: zc.Z_DEFAULT_STRATEGY })
  const tail = Buffer.alloc(8)
  tail.writeUInt32LE(zlibCrc32(payload) >>> 0, 0)
  tail.writeUInt32LE(payload.length >>> 0, 4)
  const parts = name.length > 0 ? [head, name, Buffer.from([0]), body, tail] : [head, body, tail]
  return Buffer.concat(parts)
}

/** The bytes of a ring.gz file for `data`. */
export function encodeRing(data: RingData, options: EncodeOptions = {}): Buffer {
  const payload = serializeRing(data, options.byteorder ?? HOST_BYTE_ORDER)
  return gzipLikePython(payload, options.filename ?? '', options.mtime ?? SWIFT_RING_GZIP_MTIME)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function readHeader(raw: Buffer): { header: Record<string, unknown>; offset: number } {
  if (raw.length < 10) throw new RingFormatError(`ring data too short (${raw.length} bytes)`)
  const magic = raw.subarray(0, 4).toString('latin1')
  if (magic !== RING_MAGIC) throw new RingFormatError(`not a ring file (magic ${JSON.stringify(magic)})`)
  const version = raw.readUInt16BE(4)
  if (version !== RING_FORMAT_VERSION) {
    throw new RingFormatError(`unknown ring format version ${version}`, { code: 'ERR_RING_VERSION' })
  }
  const jsonLength = raw.readUInt32BE(6)
  if (10 + jsonLength > raw.length) throw new RingFormatError('ring header is truncated')
  let header: unknown
  try {
    header = JSON.parse(raw.subarray(10, 10 + jsonLength).toString('utf8'))
  } catch (cause) {
    throw new RingFormatError('ring header is not valid JSON', { cause })
  }
  if (!isObject(header)) throw new RingFormatError('ring header is not a JSON object')
  return { header, offset: 10 + jsonLength }
}

function checkDevices(devs: unknown): (RingDevice | null)[] {
  if (!Array.isArray(devs)) throw new RingFormatError('ring header has no devs list')
  return devs.map((dev, i) => {
    if (dev === null) return null
    if (!isObject(dev) || dev.id !== i) throw new RingFormatError(`ring device ${i} is malformed or has a wrong id`)
    // Swift's RingData fills in region for rings from before regions existed.
    if (dev.region === undefined) dev.region = 1
    return dev as RingDevice
  })
}

function readPartitionArray(raw: Buffer, start: number, end: number, swap: boolean): Uint16Array {
  // Copy into fresh memory: the source offset may be odd, and the gunzip buffer is large.
  const copy = new Uint8Array(end - start)
  copy.set(raw.subarray(start, end))
  if (swap) Buffer.from(copy.buffer).swap16()
  return new Uint16Array(copy.buffer)
}

/** The RingData in an uncompressed ring payload (magic onwards). */
export function deserializeRing(raw: Buffer): RingData {
  const { header, offset } = readHeader(raw)
  const devs = checkDevices(header.devs)
  const partShift = header.part_shift
  if (typeof partShift !== 'number' || !Number.isInteger(partShift) || partShift < 0 || partShift > 32) {
    throw new RingFormatError(`bad part_shift ${String(partShift)}`)
  }
  const arrays = header.replica_count
  if (typeof arrays !== 'number' || !Number.isInteger(arrays) || arrays < 0) {
    throw new RingFormatError(`bad replica_count ${String(arrays)}`)
  }
  const byteorder = header.byteorder ?? HOST_BYTE_ORDER
  if (byteorder !== 'little' && byteorder !== 'big') throw new RingFormatError(`bad byteorder ${String(byteorder)}`)
  const fullBytes = 2 * 2 ** (32 - partShift)
  const replica2part2dev: Uint16Array[] = []
  let at = offset
  for (let r = 0; r < arrays; r++) {
    // As in Swift, only the last array may be short (a fractional replica).
    const end = Math.min(at + fullBytes, raw.length)
    const short = end - at < fullBytes
    if ((short && r !== arrays - 1) || end === at || (end - at) % 2 !== 0) {
      throw new RingFormatError(`partition table of replica ${r} is truncated`)
    }
    replica2part2dev.push(readPartitionArray(raw, at, end, byteorder !== HOST_BYTE_ORDER))
    at = end
  }
  if (at !== raw.length) throw new RingFormatError(`${raw.length - at} unexpected bytes after the partition tables`)
  for (const part2dev of replica2part2dev) {
    for (const id of part2dev) {
      if (devs[id] == null) throw new RingFormatError(`partition assigned to missing device ${id}`)
    }
  }
  const data: RingData = { devs, replica2part2dev, partShift }
  if (typeof header.next_part_power === 'number') data.nextPartPower = header.next_part_power
  if (typeof header.version === 'number') data.version = header.version
  return data
}

function gunzipOrThrow(fn: () => Buffer): Buffer {
  try {
    return fn()
  } catch (cause) {
    throw new RingFormatError(`ring file is not a complete gzip stream: ${(cause as Error).message}`, { cause })
  }
}

/** The RingData in the bytes of a ring.gz file. */
export function decodeRing(buf: Buffer): RingData {
  return deserializeRing(gunzipOrThrow(() => gunzipSync(buf)))
}

export async function readRingFile(path: string): Promise<RingData> {
  const gz = await readFile(path)
  let raw: Buffer
  try {
    raw = await gunzipAsync(gz)
  } catch (cause) {
    throw new RingFormatError(`${path}: not a complete gzip stream: ${(cause as Error).message}`, { cause })
  }
  return deserializeRing(raw)
}

export function readRingFileSync(path: string): RingData {
  return decodeRing(readFileSync(path))
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Writes the ring atomically: a temp file in the same directory, fsynced, then renamed over
 * `path` — readers see the old ring or the new one, never a partial file.
 */
export async function writeRingFile(path: string, data: RingData, options: EncodeOptions = {}): Promise<void> {
  const bytes = encodeRing(data, { filename: basename(path), ...options })
  const tmp = tempPathFor(path)
  const handle = await open(tmp, 'wx', 0o644)
  try {
    await handle.writeFile(bytes)
    await handle.chmod(0o644)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(tmp).catch(() => {})
    throw err
  }
  await handle.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
  await syncDirectory(dirname(path))
}

export function writeRingFileSync(path: string, data: RingData, options: EncodeOptions = {}): void {
  const bytes = encodeRing(data, { filename: basename(path), ...options })
  const tmp = tempPathFor(path)
  const fd = openSync(tmp, 'wx', 0o644)
  try {
    try {
      let off = 0
      while (off < bytes.length) off += writeSync(fd, bytes, off)
      chmodSync(tmp, 0o644)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    unlinkSync(tmp)
    throw err
  }
  renameSync(tmp, path)
}

/** Makes the rename durable; some filesystems refuse to fsync a directory, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined)
  if (!handle) return
  try {
    await handle.sync()
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync.
  } finally {
    await handle.close()
  }
}
