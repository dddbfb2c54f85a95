// Versioned encoding of every value stored in a device database: msgpack, with the format
// version as the first byte so that a later format can be told apart and migrated on read.
import { Packr } from 'msgpackr'

const packr = new Packr({ useRecords: false, moreTypes: false })

export class RecordFormatError extends Error {
  readonly code = 'ERR_DB_RECORD_FORMAT'
}

export function encodeRecord(version: number, value: unknown): Buffer {
  const body = packr.pack(value)
  const out = Buffer.allocUnsafe(body.length + 1)
  out[0] = version
  body.copy(out, 1)
  return out
}

/** Decodes a record, refusing versions this code does not know. */
export function decodeRecord<T>(buf: Buffer, knownVersion: number, what: string): T {
  const version = buf[0]
  if (version !== knownVersion) throw new RecordFormatError(`${what}: unknown record format version ${version}`)
  return packr.unpack(buf.subarray(1)) as T
}
