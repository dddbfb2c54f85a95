// The builder file: Tern's own format (Swift pickles; we do not), a msgpack map with a format
// name and version so that a later Tern can migrate it and a foreign file is refused rather
// than misread. Partition arrays are stored as little-endian bytes, not msgpack arrays, so a
// part power 20 builder loads in milliseconds. Writes are atomic (temp file, fsync, rename,
// fsync of the directory); backups go to `backups/<unix time>.<name>` next to the file, as
// swift-ring-builder keeps them.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Packr } from 'msgpackr'
import { BuilderError } from './builder-errors.ts'
import { RingBuilder } from './builder.ts'
import type { BuilderDevice, BuilderState } from './builder.ts'

export const BUILDER_FORMAT = 'tern-ring-builder'
export const BUILDER_FORMAT_VERSION = 1

const packr = new Packr({ useRecords: false, mapsAsObjects: true })
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function u16ToBytes(a: Uint16Array): Buffer {
  const out = Buffer.alloc(a.length * 2)
  if (LITTLE_ENDIAN) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  else for (let i = 0; i < a.length; i++) out.writeUInt16LE(a[i] as number, i * 2)
  return out
}

function bytesToU16(b: Uint8Array): Uint16Array {
  if (b.length % 2 !== 0) throw new Error('odd length partition array')
  const out = new Uint16Array(b.length / 2)
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(b)
  else for (let i = 0; i < out.length; i++) out[i] = (b[2 * i] as number) | ((b[2 * i + 1] as number) << 8)
  return out
}

export function encodeBuilder(b: BuilderState): Buffer {
  return packr.pack({
    format: BUILDER_FORMAT,
    formatVersion: BUILDER_FORMAT_VERSION,
    partPower: b.partPower,
    nextPartPower: b.nextPartPower,
    replicas: b.replicas,
    minPartHours: b.minPartHours,
    devs: b.devs,
    devsChanged: b.devsChanged,
    version: b.version,
    overload: b.overload,
    id: b.id,
    replica2part2dev: b.replica2part2dev ? b.replica2part2dev.map(u16ToBytes) : null,
    lastPartMoves: Buffer.from(b.lastPartMoves.buffer, b.lastPartMoves.byteOffset, b.lastPartMoves.byteLength),
    lastPartMovesEpoch: b.lastPartMovesEpoch,
    lastPartGatherStart: b.lastPartGatherStart,
    dispersion: b.dispersion,
    removeDevs: b.removeDevs,
  })
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

export function decodeBuilder(buf: Buffer, path = 'builder'): RingBuilder {
  const corrupt = (why: string, cause?: unknown): never => {
    throw new BuilderError('ECORRUPT', `Ring Builder file is invalid: ${path} (${why})`, { cause })
  }
  let raw: Record<string, unknown>
  try {
    raw = packr.unpack(buf) as Record<string, unknown>
  } catch (err) {
    return corrupt('not a msgpack builder', err)
  }
  if (!raw || typeof raw !== 'object' || raw.format !== BUILDER_FORMAT) return corrupt('not a Tern builder file')
  if (raw.formatVersion !== BUILDER_FORMAT_VERSION) return corrupt(`unsupported format version ${String(raw.formatVersion)}`)
  const { partPower, replicas, minPartHours } = raw
  if (!isNum(partPower) || !isNum(replicas) || !isNum(minPartHours) || !Array.isArray(raw.devs)) return corrupt('missing fields')
  const parts = 2 ** partPower
  const lpm = raw.lastPartMoves
  if (!(lpm instanceof Uint8Array) || lpm.length !== parts) return corrupt('bad last_part_moves')
  let r2p2d: Uint16Array[] | null = null
  if (raw.replica2part2dev !== null && raw.replica2part2dev !== undefined) {
    if (!Array.isArray(raw.replica2part2dev)) return corrupt('bad replica2part2dev')
    r2p2d = raw.replica2part2dev.map((b: unknown) => {
      if (!(b instanceof Uint8Array) || b.length > parts * 2) return corrupt('bad replica2part2dev')
      return bytesToU16(b)
    })
  }
  const devs = (raw.devs as unknown[]).map((d) => {
    if (d === null || d === undefined) return null
    const dev = d as BuilderDevice
    if (typeof dev !== 'object' || !isNum(dev.id) || !isNum(dev.weight) || typeof dev.ip !== 'string') return corrupt('bad device')
    return dev
  })
  const state: BuilderState = {
    partPower, replicas, minPartHours,
    nextPartPower: isNum(raw.nextPartPower) ? raw.nextPartPower : null,
    devs,
    devsChanged: raw.devsChanged === true,
    version: isNum(raw.version) ? raw.version : 0,
    overload: isNum(raw.overload) ? raw.overload : 0,
    id: typeof raw.id === 'string' ? raw.id : null,
    replica2part2dev: r2p2d,
    lastPartMoves: new Uint8Array(lpm),
    lastPartMovesEpoch: isNum(raw.lastPartMovesEpoch) ? raw.lastPartMovesEpoch : 0,
    lastPartGatherStart: isNum(raw.lastPartGatherStart) ? raw.lastPartGatherStart : 0,
    dispersion: isNum(raw.dispersion) ? raw.dispersion : null,
    removeDevs: Array.isArray(raw.removeDevs) ? (raw.removeDevs as number[]) : [],
  }
  try {
    return RingBuilder.fromState(state)
  } catch (err) {
    return corrupt((err as Error).message, err)
  }
}

export function loadBuilder(path: string): RingBuilder {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new BuilderError('ENOBUILDER', `Ring Builder file does not exist: ${path}`, { cause: err })
    if (code === 'EACCES' || code === 'EPERM') throw new BuilderError('ENOBUILDER', `Ring Builder file cannot be accessed: ${path}`, { cause: err })
    throw new BuilderError('ENOBUILDER', `Problem occurred while reading builder file: ${path}. ${(err as Error).message}`, { cause: err })
  }
  return decodeBuilder(buf, path)
}

/** Writes `data` to `path` so that a crash leaves either the old file or the new one. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'w', 0o644)
  try {
    let off = 0
    while (off < data.length) off += writeSync(fd, data, off, data.length - off)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    try { unlinkSync(tmp) } catch { /* already gone */ }
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
  try {
    const dfd = openSync(dirname(path), 'r')
    try { fsyncSync(dfd) } finally { closeSync(dfd) }
  } catch { /* some filesystems refuse to fsync a directory; the rename is still atomic */ }
}

/** Saves the builder, assigning its persistent id on first save as Swift does. */
export function saveBuilder(b: RingBuilder, path: string): void {
  if (b.id === null) b.id = randomBytes(16).toString('hex')
  writeFileAtomic(path, encodeBuilder(b))
}

/** `backups/` beside `forFile`, created on demand. */
export function backupDir(forFile: string): string {
  const dir = join(dirname(forFile), 'backups')
  mkdirSync(dir, { recursive: true })
  return dir
}

/** `backups/<unix seconds>.<basename>` for a file being saved now. */
export function backupPath(forFile: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return join(backupDir(forFile), `${nowSeconds}.${basename(forFile)}`)
}
