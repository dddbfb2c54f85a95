// ring.gz format v1: round trips, byte-compatibility with files Swift 2.30 wrote
// (test/fixtures/ring/make-ring-fixture.py), and rejection of damaged files.
import t from 'tap'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import {
  decodeRing, encodeRing, readRingFile, readRingFileSync, replicaCountOf, serializeRing,
  SWIFT_RING_GZIP_MTIME, writeRingFile, writeRingFileSync,
} from '../../../ring/io.ts'
import { pythonFloatRepr, pythonJsonDumps } from '../../../ring/python-json.ts'
import type { RingData } from '../../../ring/types.ts'
import { makeTestRingData } from '../../helpers/test-ring.ts'

const fixtureDir = new URL('../../fixtures/ring/', import.meta.url)
const fixture = JSON.parse(readFileSync(new URL('ring-fixture.json', fixtureDir), 'utf8')) as {
  host_byteorder: 'little' | 'big'
  devs: RingData['devs']
  tables: number[][]
  part_shift: number
  next_part_power: number
  version: number
  float_reprs: string[]
  header_json: string
}
const otherOrder = fixture.host_byteorder === 'little' ? 'big' : 'little'

function fixtureData(): RingData {
  return {
    devs: fixture.devs,
    replica2part2dev: fixture.tables.map((a) => Uint16Array.from(a)),
    partShift: fixture.part_shift,
    nextPartPower: fixture.next_part_power,
    version: fixture.version,
  }
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tern-ring-io-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function expectFormatError(t: { throws: Function }, fn: () => unknown, what: string, code = 'ERR_RING_FORMAT'): void {
  t.throws(fn, { code }, what)
}

t.test('reads rings written by Swift, in either byte order', async (t) => {
  for (const name of ['swift-small.ring.gz', `swift-small-${otherOrder}.ring.gz`]) {
    const data = await readRingFile(new URL(name, fixtureDir).pathname)
    t.same(data.devs, fixture.devs, `${name}: devices`)
    t.same(data.replica2part2dev.map((a) => [...a]), fixture.tables, `${name}: partition tables`)
    t.equal(data.partShift, 29)
    t.equal(data.nextPartPower, 4)
    t.equal(data.version, 42)
    t.equal(replicaCountOf(data.replica2part2dev), 2.5, 'fractional replica count')
  }
})

t.test('writes the payload Swift writes, byte for byte, in either byte order', async (t) => {
  const swiftLittle = gunzipSync(readFileSync(new URL('swift-small.ring.gz', fixtureDir)))
  const swiftOther = gunzipSync(readFileSync(new URL(`swift-small-${otherOrder}.ring.gz`, fixtureDir)))
  t.ok(serializeRing(fixtureData()).equals(swiftLittle), 'host byte order')
  t.ok(serializeRing(fixtureData(), otherOrder).equals(swiftOther), `${otherOrder}-endian`)
  t.ok(gunzipSync(encodeRing(fixtureData(), { byteorder: otherOrder })).equals(swiftOther), 'through encodeRing')
})

t.test('gzip header as Swift writes it: fixed mtime, file name, reproducible bytes', async (t) => {
  const swift = readFileSync(new URL('swift-small.ring.gz', fixtureDir))
  const ours = encodeRing(fixtureData(), { filename: 'swift-small.ring.gz' })
  // Up to the end of the name the headers must agree (the deflate bytes depend on the zlib build).
  const headerEnd = swift.indexOf(0, 10) + 1
  t.ok(ours.subarray(0, headerEnd).equals(swift.subarray(0, headerEnd)), 'same gzip header')
  t.equal(ours.readUInt32LE(4), SWIFT_RING_GZIP_MTIME)
  t.ok(encodeRing(fixtureData(), { filename: 'swift-small.ring.gz' }).equals(ours), 'same data, same bytes')
})

t.test('round trips', async (t) => {
  for (const options of [
    { partPower: 6, replicas: 3 },
    { partPower: 5, replicas: 1.25 },
    { partPower: 0, replicas: 2 },
  ]) {
    const data = makeTestRingData(options)
    const back = decodeRing(encodeRing(data))
    t.same(back.devs, data.devs, `devs ${JSON.stringify(options)}`)
    t.same(back.replica2part2dev.map((a) => [...a]), data.replica2part2dev.map((a) => [...a]), 'tables')
    t.equal(back.partShift, data.partShift)
    t.equal(back.version, data.version)
    t.equal(back.nextPartPower, undefined, 'absent next_part_power stays absent')
    t.equal(replicaCountOf(back.replica2part2dev), options.replicas)
  }
  const empty: RingData = { devs: [], replica2part2dev: [], partShift: 22 }
  t.same(decodeRing(encodeRing(empty)), empty, 'a ring without partitions (builder before rebalance)')
})

t.test('Python json.dumps formatting', async (t) => {
  for (const repr of fixture.float_reprs) t.equal(pythonFloatRepr(Number(repr)), repr, `float ${repr}`)
  const floats = fixture.float_reprs.map(Number)
  t.equal(pythonJsonDumps({ devs: fixture.devs, x: floats }, { floatKeys: new Set(['weight', 'x']) }), fixture.header_json)
})

t.test('damaged files are rejected with ERR_RING_FORMAT', async (t) => {
  const good = serializeRing(fixtureData())
  const gz = encodeRing(fixtureData())
  expectFormatError(t, () => decodeRing(Buffer.from('not gzip at all')), 'not gzip')
  expectFormatError(t, () => decodeRing(gz.subarray(0, gz.length - 5)), 'truncated gzip stream')
  expectFormatError(t, () => decodeRing(gz.subarray(0, 12)), 'gzip header only')
  expectFormatError(t, () => decodeRing(Buffer.alloc(0)), 'empty file')
  const damage = (fn: (b: Buffer) => Buffer) => gzipSync(fn(Buffer.from(good)))
  expectFormatError(t, () => decodeRing(damage((b) => (b.write('R2NG', 0, 'latin1'), b))), 'bad magic')
  expectFormatError(t, () => decodeRing(damage((b) => (b.writeUInt16BE(2, 4), b))), 'format version 2', 'ERR_RING_VERSION')
  expectFormatError(t, () => decodeRing(damage((b) => (b.writeUInt32BE(0xffffff, 6), b))), 'header length past the end')
  expectFormatError(t, () => decodeRing(damage((b) => (b[10] = 0x5b, b))), 'header not JSON')
  expectFormatError(t, () => decodeRing(damage((b) => b.subarray(0, b.length - 1))), 'odd table length')
  expectFormatError(t, () => decodeRing(damage((b) => b.subarray(0, b.length - 16))), 'tables cut short: a full table is missing')
  expectFormatError(t, () => decodeRing(damage((b) => Buffer.concat([b, Buffer.alloc(20)]))), 'trailing bytes')
  expectFormatError(t, () => decodeRing(damage((b) => (b.writeUInt16LE(1, b.length - 2), b.writeUInt16BE(1, b.length - 2), b))), 'partition on a removed device')
  const noTables = serializeRing({ ...fixtureData(), replica2part2dev: [] })
  expectFormatError(t, () => decodeRing(gzipSync(Buffer.concat([noTables.subarray(0, 10), Buffer.from('[1, 2]')]))), 'header not an object')
  const dir = tempDir(t)
  const path = join(dir, 'bad.ring.gz')
  writeFileSync(path, gz.subarray(0, gz.length - 5))
  await t.rejects(readRingFile(path), { code: 'ERR_RING_FORMAT' }, 'readRingFile rejects a truncated file')
  expectFormatError(t, () => readRingFileSync(path), 'readRingFileSync too')
})

t.test('writeRingFile replaces the file atomically and leaves no temp files', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'object.ring.gz')
  const first = makeTestRingData({ partPower: 4, replicas: 3, seed: 1 })
  const second = makeTestRingData({ partPower: 4, replicas: 3, seed: 2 })
  await writeRingFile(path, first)
  t.same((await readRingFile(path)).replica2part2dev, first.replica2part2dev)
  await writeRingFile(path, second)
  t.same((await readRingFile(path)).replica2part2dev, second.replica2part2dev, 'replaced')
  writeRingFileSync(path, first)
  t.same(readRingFileSync(path).replica2part2dev, first.replica2part2dev, 'sync writer')
  t.same(readdirSync(dir), ['object.ring.gz'], 'no temp files left')
  t.equal(statSync(path).mode & 0o777, 0o644, 'mode 0644 as Swift')
  t.equal(readFileSync(path).subarray(10, 22).toString('latin1'), 'object.ring\0', 'gzip FNAME is the file name minus .gz')
  await t.rejects(writeRingFile(join(dir, 'missing', 'x.ring.gz'), first), { code: 'ENOENT' })
})
