import t from 'tap'
import { contentRange, multipartByteranges, parseRange, rangesForLength } from '../../../../common/http/range.ts'

t.test('parseRange follows swob.Range: bad syntax means ignore', async (t) => {
  t.same(parseRange('bytes=0-3'), [[0, 3]])
  t.same(parseRange('bytes=-5'), [[undefined, 5]])
  t.same(parseRange('bytes=5-'), [[5, undefined]])
  t.same(parseRange('Bytes = 1-2, 4-5'), [[1, 2], [4, 5]])
  for (const bad of [undefined, '', 'bytes=5-3', 'bytes=-', 'bytes=45', 'bytes=a-3', 'items=0-1', 'bytes=1--2']) {
    t.equal(parseRange(bad), undefined, String(bad))
  }
})

t.test('rangesForLength clamps, skips and refuses as swob does', async (t) => {
  t.same(rangesForLength([[0, 3]], 10), [[0, 4]])
  t.same(rangesForLength([[8, 20]], 10), [[8, 10]])
  t.same(rangesForLength([[undefined, 3]], 10), [[7, 10]])
  t.same(rangesForLength([[undefined, 30]], 10), [[0, 10]], 'a suffix longer than the body is the body')
  t.same(rangesForLength([[undefined, 0]], 10), [], 'bytes=-0 is unsatisfiable')
  t.same(rangesForLength([[10, 12]], 10), [])
  t.same(rangesForLength([[10, 12], [2, 3]], 10), [[2, 4]], 'unsatisfiable parts are dropped')
  // Expected values computed by swob.Range(...).ranges_for_length on Swift 2.30.
  t.same(rangesForLength([[0, 5], [1, 6]], 10), [[0, 6], [1, 7]], 'one overlap is allowed')
  t.same(rangesForLength([[0, 5], [4, 6], [8, 9]], 10), [[0, 6], [4, 7], [8, 10]])
  t.same(rangesForLength([[0, 5], [1, 6], [2, 7]], 10), [], 'three overlapping pairs are refused')
  const descending = Array.from({ length: 8 }, (_, i): [number, number] => [70 - i * 10, 70 - i * 10 + 1])
  t.same(rangesForLength(descending, 100), [], 'eight out-of-order ranges are refused')
  t.equal(rangesForLength(descending.slice(0, 7), 100).length, 7)
  const many = Array.from({ length: 51 }, (_, i): [number, number] => [i * 2, i * 2])
  t.same(rangesForLength(many, 200), [], 'more than 50 ranges are refused')
})

t.test('multipart layout matches the bytes it announces', async (t) => {
  const layout = multipartByteranges([[0, 2], [5, 7]], 'text/plain', 10, 'b'.repeat(32))
  t.equal(layout.contentType, `multipart/byteranges;boundary=${'b'.repeat(32)}`)
  const body = Buffer.concat([layout.parts[0]!.head, Buffer.from('ab'), layout.parts[1]!.head, Buffer.from('fg'), layout.tail])
  t.equal(layout.length, body.length)
  t.equal(body.toString(), `--${'b'.repeat(32)}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\nab\r\n--${'b'.repeat(32)}\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\nfg\r\n--${'b'.repeat(32)}--`)
  t.equal(contentRange(0, 10, 10), 'bytes 0-9/10')
})
