import t from 'tap'
import { crc32 } from 'node:zlib'
import { FORMAT_VERSION, MAX_FOOTER_SIZE, decodeFooter, decodeTrailer, encodeTrailer } from '../../../../object/diskfile/format.ts'
import { encodeVersion1Trailer } from '../../../helpers/format-v1.ts'

const body = Buffer.from('the body of an object')
const metadata = { 'X-Timestamp': '0000000005.00000', 'Content-Length': String(body.length), ETag: 'e' }

t.test('a version 2 trailer carries the body CRC-32 and round-trips the metadata', async (t) => {
  const file = Buffer.concat([body, encodeTrailer('data', metadata, crc32(body))])
  t.equal(FORMAT_VERSION, 2)
  const footer = decodeFooter(file)
  t.equal(footer.size, 20)
  t.equal(footer.size, MAX_FOOTER_SIZE)
  t.equal(footer.kind, 'data')
  t.equal(footer.bodyCrc, crc32(body))
  const decoded = decodeTrailer(file, file.length)
  t.same(decoded.metadata, metadata)
  t.equal(decoded.bodyLength, body.length)
  t.equal(decoded.bodyCrc, crc32(body))
})

t.test('a flipped bit in the body CRC field reads as a bad trailer, not as a rotted body', async (t) => {
  const file = Buffer.concat([body, encodeTrailer('data', metadata, crc32(body))])
  const field = file.length - 20
  file[field] = file[field]! ^ 0x01
  t.throws(() => decodeTrailer(file, file.length), { code: 'ERR_DISKFILE_BAD_FORMAT', message: /checksum/ })
})

t.test('a version 1 trailer (no body CRC) still decodes', async (t) => {
  const file = Buffer.concat([body, encodeVersion1Trailer('data', metadata)])
  const footer = decodeFooter(file)
  t.equal(footer.size, 16)
  t.equal(footer.bodyCrc, undefined)
  const decoded = decodeTrailer(file, file.length)
  t.same(decoded.metadata, metadata)
  t.equal(decoded.bodyLength, body.length)
  t.equal(decoded.bodyCrc, undefined)
})

t.test('an unknown version, a bad magic and a short file are refused', async (t) => {
  const file = Buffer.concat([body, encodeTrailer('meta', {}, 0)])
  const v = Buffer.from(file)
  v.writeUInt16BE(9, v.length - 8)
  t.throws(() => decodeFooter(v), { message: /unknown format version 9/ })
  const m = Buffer.from(file)
  m[m.length - 1] = 0
  t.throws(() => decodeFooter(m), { message: /magic/ })
  t.throws(() => decodeFooter(file.subarray(file.length - 12)), { message: /too short/ })
  t.throws(() => decodeFooter(file.subarray(file.length - 6)), { message: /too short/ })
})
