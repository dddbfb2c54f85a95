import t from 'tap'
import { createHash } from 'node:crypto'
import { hashPath, placementPath } from '../../../common/hash-path.ts'

t.test('placement path joins the parts with slashes', async (t) => {
  t.equal(placementPath('AUTH_a'), '/AUTH_a')
  t.equal(placementPath('AUTH_a', 'c'), '/AUTH_a/c')
  t.equal(placementPath('AUTH_a', 'c', 'o/with/slashes'), '/AUTH_a/c/o/with/slashes')
  t.throws(() => placementPath('a', undefined, 'o'), { code: 'ERR_HASH_PATH' })
})

t.test('hash wraps the path in the prefix and suffix', async (t) => {
  const secrets = { prefix: 'pre', suffix: 'suf' }
  const want = createHash('md5').update('pre/AUTH_a/c/ö').update('suf').digest('hex')
  t.equal(hashPath(secrets, 'AUTH_a', 'c', 'ö'), want)
  t.not(hashPath(secrets, 'AUTH_a', 'c', 'o'), hashPath({ prefix: '', suffix: 'suf' }, 'AUTH_a', 'c', 'o'))
})
