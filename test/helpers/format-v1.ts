// Builds format version 1 trailers (metaLength u32be | crc32(meta) u32be | 1 u16be | kind u8 |
// 0 u8 | "TRNO"), as files written before version 2 have them, for compatibility tests.
import { crc32 } from 'node:zlib'

const KIND_CODES = { data: 1, meta: 2, ts: 3 } as const

export function encodeVersion1Trailer(kind: keyof typeof KIND_CODES, metadata: Record<string, string>): Buffer {
  const meta = Buffer.from(JSON.stringify(metadata), 'utf8')
  const footer = Buffer.alloc(16)
  footer.writeUInt32BE(meta.length, 0)
  footer.writeUInt32BE(crc32(meta), 4)
  footer.writeUInt16BE(1, 8)
  footer.writeUInt8(KIND_CODES[kind], 10)
  footer.write('TRNO', 12, 'latin1')
  return Buffer.concat([meta, footer])
}
