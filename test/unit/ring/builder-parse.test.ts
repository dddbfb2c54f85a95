// Device strings: add values, search values, set_info change values, as swift-ring-builder
// parses them (swift/common/ring/utils.py), and the builder file round trip.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deviceMatches, formatDevice, normalizeAddress, parseAddValue, parseChangeValue, parseSearchValue } from '../../../ring/device-parse.ts'
import { decodeBuilder, encodeBuilder, loadBuilder, saveBuilder } from '../../../ring/builder-file.ts'
import { RingBuilder } from '../../../ring/builder.ts'

t.test('add values', async (t) => {
  t.same(parseAddValue('r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_meta data'), {
    region: 1, zone: 1, ip: '127.0.0.1', port: 6200, replication_ip: '127.0.0.1', replication_port: 6300, device: 'sdb1', meta: 'meta data',
  })
  const noRegion = parseAddValue('z2-10.0.0.1:6000/sdc')
  t.equal(noRegion.region, undefined, 'region left for the caller to default')
  t.equal(noRegion.replication_ip, '10.0.0.1', 'replication address defaults to the main one')
  t.equal(noRegion.replication_port, 6000)
  t.equal(parseAddValue('r2z3-[2001:DB8::0001]:6200/sdd').ip, '2001:db8::1', 'IPv6 lower-cased and compressed')
  for (const bad of ['z1-127.0.0.1/sdb', 'r1-127.0.0.1:6200/sdb', 'r1z1127.0.0.1:6200/sdb', 'r1z1-127.0.0.1:62x0/sdb',
    'r1z1-127.0.0.1:6200', 'r1z1-127.0.0.1:6200/', 'r1z1-999.0.0.1:6200/sdb', 'r1z1-127.0.0.1:70000/sdb']) {
    t.throws(() => parseAddValue(bad), { code: 'EINVALIDVALUE' }, bad)
  }
})

t.test('search values', async (t) => {
  t.same(parseSearchValue('d74r4z1-1.2.3.4:5678R5.6.7.8:9/sdb1_"snet: 5.6.7.8"'), {
    id: 74, region: 4, zone: 1, ip: '1.2.3.4', port: 5678, replication_ip: '5.6.7.8', replication_port: 9, device: 'sdb1', meta: '"snet: 5.6.7.8"',
  })
  t.same(parseSearchValue('z1'), { zone: 1 })
  t.same(parseSearchValue('1.2.3.4'), { ip: '1.2.3.4' })
  t.same(parseSearchValue(':5678'), { port: 5678 })
  t.same(parseSearchValue('R:5678'), { replication_port: 5678 })
  t.same(parseSearchValue('/sdb1'), { device: 'sdb1' })
  t.same(parseSearchValue('_shiny'), { meta: 'shiny' })
  t.same(parseSearchValue('z1-[::1]:5678'), { zone: 1, ip: '::1', port: 5678 })
  t.throws(() => parseSearchValue('q1'), { code: 'EINVALIDVALUE' })
  const dev = { id: 3, region: 1, zone: 2, ip: '10.0.0.1', port: 6200, replication_ip: '10.0.0.2', replication_port: 6300, device: 'sdb1', weight: 100, meta: 'rack 7' }
  t.ok(deviceMatches(dev, parseSearchValue('z2-10.0.0.1')))
  t.ok(deviceMatches(dev, parseSearchValue('_ck 7')), 'meta matches as a substring')
  t.notOk(deviceMatches(dev, parseSearchValue('z2-10.0.0.2')))
  t.equal(formatDevice(dev), 'd3r1z2-10.0.0.1:6200R10.0.0.2:6300/sdb1_"rack 7"')
  t.equal(normalizeAddress('Host.Example.COM'), 'host.example.com')
  t.throws(() => normalizeAddress('bad_host!'), { code: 'EINVALIDVALUE' })
})

t.test('set_info change values', async (t) => {
  t.same(parseChangeValue('1.2.3.4:5R6.7.8.9:10/sdz_new meta'), { ip: '1.2.3.4', port: 5, replication_ip: '6.7.8.9', replication_port: 10, device: 'sdz', meta: 'new meta' })
  t.same(parseChangeValue('_only meta'), { meta: 'only meta' })
  t.throws(() => parseChangeValue(''), { code: 'EINVALIDVALUE' })
  t.throws(() => parseChangeValue('x'), { code: 'EINVALIDVALUE' })
})

t.test('builder file round trip, format version, corruption', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tern-builder-file-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const b = new RingBuilder(8, 2.5, 3)
  for (let i = 0; i < 4; i++) b.addDev({ region: 1, zone: i + 1, ip: `10.0.0.${i + 1}`, port: 6200, replication_ip: `10.0.0.${i + 1}`, replication_port: 6200, device: 'sdb', meta: `m${i}`, weight: 100 + i })
  b.rebalance('file')
  b.removeDev(3)
  const path = join(dir, 'x.builder')
  saveBuilder(b, path)
  t.match(b.id, /^[0-9a-f]{32}$/, 'an id is assigned on first save')
  const back = loadBuilder(path)
  t.equal(back.id, b.id)
  t.equal(back.replicas, 2.5)
  t.same(back.removeDevs, [3])
  t.same(back.devs, b.devs)
  t.same(back.replica2part2dev?.map((a) => Array.from(a)), b.replica2part2dev?.map((a) => Array.from(a)))
  t.same(Array.from(back.lastPartMoves), Array.from(b.lastPartMoves))
  t.equal(back.lastPartMovesEpoch, b.lastPartMovesEpoch)
  back.validate()
  const bytes = readFileSync(path)
  t.throws(() => decodeBuilder(bytes.subarray(0, bytes.length - 10), 'cut'), { code: 'ECORRUPT' })
  t.throws(() => decodeBuilder(Buffer.from('not a builder'), 'junk'), { code: 'ECORRUPT' })
  writeFileSync(join(dir, 'future.builder'), encodeBuilder(b).toString('latin1').replace('formatVersion', 'formatVersioX'), 'latin1')
  t.throws(() => loadBuilder(join(dir, 'future.builder')), { code: 'ECORRUPT' }, 'a file without the format version is refused')
  t.throws(() => loadBuilder(join(dir, 'missing.builder')), { code: 'ENOBUILDER' })
})
