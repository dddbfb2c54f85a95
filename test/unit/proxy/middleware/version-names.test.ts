// Reserved names of object versioning against values computed by Swift 2.30.1 (Debian's
// python3-swift: get_reserved_name(obj, (~Timestamp(v)).internal), Timestamp(v) validation).
import t from 'tap'
import { Timestamp } from '../../../../common/timestamp.ts'
import {
  parseVersionTimestamp,
  parseVersionsObjectName,
  reservedName,
  splitReservedName,
  splitVersionsContainerName,
  timestampToVersion,
  versionsContainerName,
  versionsObjectName,
} from '../../../../proxy/middleware/versioned-writes/version-names.ts'
import { legacyVersionName } from '../../../../proxy/middleware/versioned-writes/legacy.ts'

// [version id, Swift's version object name for "obj", the version id Swift parses back]
const SWIFT_NAMES: [string, string, string][] = [
  ['1795952613.16000', '\u0000obj\u00008204047386.83999', '1795952613.16000'],
  ['0000000001.00000', '\u0000obj\u00009999999998.99999', '0000000001.00000'],
  ['1.5', '\u0000obj\u00009999999998.49999', '0000000001.50000'],
  ['9999999999.99999', '\u0000obj\u00000000000000.00000', '9999999999.99999'],
  ['1234567890.12345', '\u0000obj\u00008765432109.87654', '1234567890.12345'],
]

t.test('version object names are Swift\'s', async (t) => {
  for (const [version, name, parsed] of SWIFT_NAMES) {
    t.equal(versionsObjectName('obj', version), name, version)
    t.same(parseVersionsObjectName(name), { name: 'obj', versionId: parsed })
  }
  t.equal(versionsContainerName('photos'), '\0versions\0photos')
  t.equal(splitVersionsContainerName('\0versions\0photos'), 'photos')
  t.equal(splitVersionsContainerName('photos'), 'photos')
  t.same(parseVersionsObjectName('plain'), { name: 'plain', versionId: undefined })
  t.same(splitReservedName('\0a\0b'), ['a', 'b'])
  t.throws(() => reservedName('a\0b'), { code: 'ERR_RESERVED_NAME' })
  t.throws(() => splitReservedName('a'), { code: 'ERR_RESERVED_NAME' })
  // Newer versions sort first: the inverted timestamps order the other way round.
  const older = versionsObjectName('o', '1700000000.00000')
  const newer = versionsObjectName('o', '1700000000.00001')
  t.ok(Buffer.compare(Buffer.from(newer), Buffer.from(older)) < 0)
  t.equal(timestampToVersion(new Timestamp(123456, 5)), '0000000001.23456', 'offsets are not part of a version id')
})

t.test('version ids Swift refuses are refused', async (t) => {
  for (const bad of ['junk', '', '-1', '10000000000', '1e20', 'nan', '1_2_3']) t.equal(parseVersionTimestamp(bad), undefined, JSON.stringify(bad))
  t.ok(parseVersionTimestamp('1795952613.16000'))
})

t.test('legacy archive names: 3 hex digits of the UTF-8 length', async (t) => {
  const ts = Timestamp.parse('1700000000.12345')
  t.equal(legacyVersionName('obj', ts), '003obj/1700000000.12345')
  t.equal(legacyVersionName('ünï', ts), '005ünï/1700000000.12345')
  t.equal(legacyVersionName('x'.repeat(300), ts), `12c${'x'.repeat(300)}/1700000000.12345`)
})
