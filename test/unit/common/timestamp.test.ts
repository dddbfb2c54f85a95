import t from 'tap'
import { Timestamp, maxTimestamp } from '../../../common/timestamp.ts'

// Computed once with Debian's python3-swift (swift.common.utils.Timestamp).
const SWIFT = [
  { in: '1', normal: '0000000001.00000', internal: '0000000001.00000', isoformat: '1970-01-01T00:00:01.000000', ceil: 1 },
  { in: '1.5', normal: '0000000001.50000', internal: '0000000001.50000', isoformat: '1970-01-01T00:00:01.500000', ceil: 2 },
  { in: '1234567890.123456', normal: '1234567890.12346', internal: '1234567890.12346', isoformat: '2009-02-13T23:31:30.123460', ceil: 1234567891 },
  { in: '0000001234.56789_00000000000000ab', normal: '0000001234.56789', internal: '0000001234.56789_00000000000000ab', isoformat: '1970-01-01T00:20:34.567890', ceil: 1235 },
  { in: '1700000000.00001', normal: '1700000000.00001', internal: '1700000000.00001', isoformat: '2023-11-14T22:13:20.000010', ceil: 1700000001 },
  { in: '1700000000.999995', normal: '1700000000.99999', internal: '1700000000.99999', isoformat: '2023-11-14T22:13:20.999990', ceil: 1700000001 },
  { in: '1402444821.72589', normal: '1402444821.72589', internal: '1402444821.72589', isoformat: '2014-06-11T00:00:21.725890', ceil: 1402444822 },
]

t.test('formats match Swift', async (t) => {
  for (const c of SWIFT) {
    const ts = Timestamp.parse(c.in)
    t.equal(ts.normal, c.normal, `normal of ${c.in}`)
    t.equal(ts.internal, c.internal, `internal of ${c.in}`)
    t.equal(ts.isoformat, c.isoformat, `isoformat of ${c.in}`)
    t.equal(ts.ceilSeconds, c.ceil, `ceil of ${c.in}`)
    t.ok(Timestamp.parse(ts.internal).equals(ts), `round trip of ${c.in}`)
  }
})

t.test('ordering uses the offset after the time', async (t) => {
  const a = Timestamp.parse('100.00001')
  const b = Timestamp.parse('100.00001_0000000000000001')
  const c = Timestamp.parse('100.00002')
  t.ok(b.newerThan(a))
  t.ok(c.newerThan(b))
  t.notOk(a.newerThan(a))
  t.equal(maxTimestamp(c, a, undefined, b), c)
  t.equal(a.withOffset(1).internal, b.internal)
})

t.test('rejects what Swift rejects', async (t) => {
  for (const bad of ['', 'abc', '-1', '1_2_3', '1_xyz', '12_00000000000000000001']) {
    t.throws(() => Timestamp.parse(bad), { code: 'ERR_TIMESTAMP' }, JSON.stringify(bad))
  }
})

t.test('httpDate is the rounded-up second', async (t) => {
  t.equal(Timestamp.parse('1.5').httpDate, 'Thu, 01 Jan 1970 00:00:02 GMT')
})
