// Key layout of a device database. Every key starts with a type byte and, except the
// partition index, the 16-byte id of the container (or account) database it belongs to, so
// each database's records are contiguous and each kind of record is one ordered range:
//
//   01 <id>                      info: status timestamps, stats, next row sequence
//   02 <id>                      metadata: { key: [value, timestamp] }
//   03 <id> <ident>              a row (object or container row), tombstones included
//   04 <id> <listing key>        the listing entry of a live row (no tombstones in this range),
//                                as text that starts with the row's name (records.ts)
//   05 <id> <seq:u64be>          sequence index: seq -> ident, for "rows since N"
//   06 <partition:u32be> <id>    which databases a partition holds (replication)
//   07 <id> <remote id>          incoming sync point: the highest row of that replica merged here
//
// Names sort as Swift sorts them (SQLite BINARY collation = UTF-8 byte order) because keys
// are compared bytewise. A name never holds NUL (the servers answer 412), so NUL can end a
// name inside an ident.
export const KEY_INFO = 0x01
export const KEY_META = 0x02
export const KEY_ROW = 0x03
export const KEY_LIST = 0x04
export const KEY_SEQ = 0x05
export const KEY_PART = 0x06
export const KEY_SYNC = 0x07

export const DB_ID_LENGTH = 16

export function dbKey(type: number, dbId: Buffer, suffix?: Buffer): Buffer {
  const key = Buffer.allocUnsafe(1 + DB_ID_LENGTH + (suffix?.length ?? 0))
  key[0] = type
  dbId.copy(key, 1)
  suffix?.copy(key, 1 + DB_ID_LENGTH)
  return key
}

/** The first key after every key that starts with `prefix` (an exclusive upper bound). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++
      return end.subarray(0, i + 1)
    }
  }
  // All 0xff: no finite bound; callers never build such prefixes (type bytes are small).
  throw new RangeError('prefix has no upper bound')
}

export function seqKey(dbId: Buffer, seq: number): Buffer {
  const s = Buffer.allocUnsafe(8)
  s.writeBigUInt64BE(BigInt(seq))
  return dbKey(KEY_SEQ, dbId, s)
}

export function seqFromKey(key: Buffer): number {
  return Number(key.readBigUInt64BE(1 + DB_ID_LENGTH))
}

export function partitionKey(partition: number, dbId: Buffer): Buffer {
  const key = Buffer.allocUnsafe(1 + 4 + DB_ID_LENGTH)
  key[0] = KEY_PART
  key.writeUInt32BE(partition, 1)
  dbId.copy(key, 5)
  return key
}

export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(n)
  return b
}

/** The part of a key after its type byte and database id. */
export function keySuffix(key: Buffer): Buffer {
  return key.subarray(1 + DB_ID_LENGTH)
}
