import t from 'tap'
import { countListingEntries } from '../../../bench/lib/store-client.ts'
import { pythonJsonDumps } from '../../../common/python-json.ts'

t.test('counts the rows of a listing page written with Python separators', async (t) => {
  const rows = Array.from({ length: 250 }, (_, i) => ({ bytes: i, hash: 'd41d8cd98f00b204e9800998ecf8427e', name: `obj-${i}`, content_type: 'text/plain', last_modified: '2023-11-14T22:13:20.000000' }))
  const page = Buffer.from(pythonJsonDumps(rows))
  t.equal(countListingEntries(page), JSON.parse(page.toString()).length)
  t.equal(countListingEntries(Buffer.from('[]')), 0)
})

t.test('a quote or the key inside a name does not count as a row', async (t) => {
  const rows = [{ name: 'a "name": "b' }, { name: '"name": "' }, { subdir: 'x/' }]
  const page = Buffer.from(pythonJsonDumps(rows))
  t.equal(countListingEntries(page), 2)
})

t.test('a body that is not a JSON array is -1', async (t) => {
  t.equal(countListingEntries(Buffer.from('<html>error</html>')), -1)
  t.equal(countListingEntries(Buffer.alloc(0)), -1)
})
