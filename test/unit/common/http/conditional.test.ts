import t from 'tap'
import { conditionalStatus, normalizeEtag, parseEtagList } from '../../../../common/http/conditional.ts'

t.test('etag lists', async (t) => {
  t.same([...parseEtagList('"a", b ,,"c"')!], ['a', 'b', 'c'])
  t.equal(parseEtagList(undefined), undefined)
  t.equal(normalizeEtag('"x"'), 'x')
  t.equal(normalizeEtag('"'), '"')
})

t.test('the order of checks is swob\'s', async (t) => {
  const target = { etag: 'e', lastModified: 1000, status: 200 }
  const date = (s: number) => new Date(s * 1000).toUTCString()
  t.equal(conditionalStatus({ 'if-none-match': '"e"', 'if-match': '"x"' }, target), 304, 'If-None-Match first')
  t.equal(conditionalStatus({ 'if-match': '"x"', 'if-modified-since': date(2000) }, target), 412)
  t.equal(conditionalStatus({ 'if-match': '"e"', 'if-modified-since': date(1000) }, target), 304)
  t.equal(conditionalStatus({ 'if-unmodified-since': date(999) }, target), 412)
  t.equal(conditionalStatus({ 'if-unmodified-since': 'not a date' }, target), undefined)
  t.equal(conditionalStatus({ 'if-match': '*' }, { etag: undefined, lastModified: undefined, status: 404 }), 412)
  t.equal(conditionalStatus({ 'if-none-match': '*' }, { etag: undefined, lastModified: undefined, status: 404 }), undefined)
})
