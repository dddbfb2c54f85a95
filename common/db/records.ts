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

/**
 * Listing entries are text, read without their keys (kv-store.ts KvTextCursor):
 * `<name> NUL <version> NUL <field> NUL <field> ...`. Names and header values never hold NUL.
 */
export function encodeTextRecord(name: string, version: number, fields: readonly (string | number)[]): Buffer {
  return Buffer.from(`${name}\0${version}\0${fields.join('\0')}`, 'utf8')
}

/** The fields of a text record's value (the part after the name), checking the version. */
export function decodeTextFields(value: string, knownVersion: number, what: string): string[] {
  const fields = value.split('\0')
  if (fields[0] !== String(knownVersion)) throw new RecordFormatError(`${what}: unknown record format version ${fields[0]}`)
  return fields
}
