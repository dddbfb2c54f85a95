// The one on-disk format of object files (.data, .meta, .ts). Every file is self-contained:
//
//   [body bytes][metadata JSON (UTF-8)][footer: 16 bytes]
//   footer = metaLength u32be | crc32(metadata) u32be | format version u16be | kind u8 | 0 u8 | "TRNO"
//
// Why a trailer rather than xattrs (Swift) or a header: ext4 caps xattrs of one inode at ~4 KiB,
// less than Swift's metadata limits; a trailer lets a PUT stream the body first and append the
// metadata once the ETag is known, with no reserved space; and a small object (body + metadata
// under READ_AHEAD bytes) is read whole with a single pread. A file truncated anywhere loses its
// footer, so partial files are always detected.
import { crc32 } from 'node:zlib'
import { DiskFileError } from './errors.ts'

export const FORMAT_VERSION = 1
export const FOOTER_SIZE = 16
const MAGIC = Buffer.from('TRNO', 'latin1')

export type FileKind = 'data' | 'meta' | 'ts'
const KIND_CODES: Record<FileKind, number> = { data: 1, meta: 2, ts: 3 }
const KINDS_BY_CODE: Record<number, FileKind> = { 1: 'data', 2: 'meta', 3: 'ts' }

export type StoredMetadata = Record<string, string>

/** Metadata bytes plus footer, to be written right after the body. */
export function encodeTrailer(kind: FileKind, metadata: StoredMetadata): Buffer {
  const meta = Buffer.from(JSON.stringify(metadata), 'utf8')
  const out = Buffer.allocUnsafe(meta.length + FOOTER_SIZE)
  meta.copy(out, 0)
  const f = meta.length
  out.writeUInt32BE(meta.length, f)
  out.writeUInt32BE(crc32(meta), f + 4)
  out.writeUInt16BE(FORMAT_VERSION, f + 8)
  out.writeUInt8(KIND_CODES[kind], f + 10)
  out.writeUInt8(0, f + 11)
  MAGIC.copy(out, f + 12)
  return out
}

export interface Footer {
  readonly kind: FileKind
  readonly metaLength: number
  readonly crc: number
}

function bad(message: string): DiskFileError {
  return new DiskFileError('ERR_DISKFILE_BAD_FORMAT', message)
}

/** Parses the last FOOTER_SIZE bytes of `tail`. */
export function decodeFooter(tail: Buffer): Footer {
  if (tail.length < FOOTER_SIZE) throw bad('file too short for a footer')
  const f = tail.length - FOOTER_SIZE
  if (!tail.subarray(f + 12, f + 16).equals(MAGIC)) throw bad('bad footer magic')
  const version = tail.readUInt16BE(f + 8)
  if (version !== FORMAT_VERSION) throw bad(`unknown format version ${version}`)
  const kind = KINDS_BY_CODE[tail.readUInt8(f + 10)]
  if (!kind) throw bad('unknown file kind')
  return { kind, metaLength: tail.readUInt32BE(f), crc: tail.readUInt32BE(f + 4) }
}

/**
 * Decodes metadata from `tail`, a buffer that ends where the file ends and holds at least
 * the footer and the metadata (more bytes in front are allowed).
 */
export function decodeTrailer(tail: Buffer, fileSize: number): { kind: FileKind; metadata: StoredMetadata; bodyLength: number } {
  const footer = decodeFooter(tail)
  const end = tail.length - FOOTER_SIZE
  const start = end - footer.metaLength
  if (start < 0) throw bad('metadata longer than the bytes read')
  const metaBytes = tail.subarray(start, end)
  if (crc32(metaBytes) !== footer.crc) throw bad('metadata checksum mismatch')
  let parsed: unknown
  try {
    parsed = JSON.parse(metaBytes.toString('utf8'))
  } catch (cause) {
    throw new DiskFileError('ERR_DISKFILE_BAD_FORMAT', 'metadata is not JSON', { cause })
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('metadata is not an object')
  for (const v of Object.values(parsed)) if (typeof v !== 'string') throw bad('metadata value is not a string')
  return { kind: footer.kind, metadata: parsed as StoredMetadata, bodyLength: fileSize - footer.metaLength - FOOTER_SIZE }
}
