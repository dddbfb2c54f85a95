import t from 'tap'
import { decodePath, splitPath } from '../../../common/http/split-path.ts'

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { status?: number }).status
  }
  return undefined
}

// Computed once with Debian's python3-swift (swift.common.utils.split_path); '' shows as undefined here.
const SWIFT: [string, number, number, boolean, (string | null)[] | 'invalid'][] = [
  ['/a', 1, 1, false, ['a']],
  ['/a/c', 1, 2, false, ['a', 'c']],
  ['/a/', 1, 2, false, ['a', null]],
  ['/a/c/o/x', 1, 3, true, ['a', 'c', 'o/x']],
  ['/d/p/a/c/o/with/slashes', 5, 5, true, ['d', 'p', 'a', 'c', 'o/with/slashes']],
  ['/a//c', 1, 3, false, ['a', null, 'c']],
  ['//a', 1, 1, false, 'invalid'],
  ['/a/c/', 1, 2, false, ['a', 'c']],
  ['/a/c/o', 1, 2, false, 'invalid'],
  ['/d/p/a/c/', 4, 5, true, ['d', 'p', 'a', 'c', null]],
  ['/d/p/a//o', 5, 5, true, 'invalid'],
]

t.test('split_path as Swift', async (t) => {
  for (const [path, min, max, rest, want] of SWIFT) {
    if (want === 'invalid') {
      t.equal(statusOf(() => splitPath(path, min, max, rest)), 400, path)
    } else {
      t.same(splitPath(path, min, max, rest), want.map((s) => s ?? undefined), path)
    }
  }
})

t.test('decodePath refuses NUL and bad UTF-8 with 412', async (t) => {
  t.equal(decodePath('/a/%E2%9C%93'), '/a/✓')
  t.equal(statusOf(() => decodePath('/a/%00')), 412)
  t.equal(statusOf(() => decodePath('/a/%FF')), 412)
})
