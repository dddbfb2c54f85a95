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
 * `<name> NUL <version> NUL <field> NUL <field> ...`. Header values never hold NUL; names
 * do only in the reserved namespace (they start with NUL: Swift's object versioning), and
 * those are written `NUL <name length> NUL <name> NUL <version> ...`, which no other entry
 * can start with (a user name is never empty).
 */
export function encodeTextRecord(name: string, version: number, fields: readonly (string | number)[]): Buffer {
  const head = name.includes('\0') ? `\0${name.length}\0${name}` : name
  return Buffer.from(`${head}\0${version}\0${fields.join('\0')}`, 'utf8')
}

/** A listing entry's text split into its name and the rest (the part after the name's NUL). */
export function splitTextRecord(text: string): { name: string; value: string } {
  if (text.charCodeAt(0) === 0) {
    const lengthEnd = text.indexOf('\0', 1)
    const start = lengthEnd + 1
    const end = start + Number(text.slice(1, lengthEnd))
    return { name: text.slice(start, end), value: text.slice(end + 1) }
  }
  const nul = text.indexOf('\0')
  return { name: text.slice(0, nul), value: text.slice(nul + 1) }
}

/** The fields of a text record's value (the part after the name), checking the version. */
export function decodeTextFields(value: string, knownVersion: number, what: string): string[] {
  const fields = value.split('\0')
  if (fields[0] !== String(knownVersion)) throw new RecordFormatError(`${what}: unknown record format version ${fields[0]}`)
  return fields
}
