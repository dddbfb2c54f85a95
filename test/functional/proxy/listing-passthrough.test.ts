// A JSON container listing passes through the proxy's listing middleware (slo, symlink,
// object versioning) byte for byte as the container server wrote it, when no row needs
// rewriting: those middleware look for their markers in the page's bytes instead of parsing
// and re-rendering every page. A page with a link is still rewritten.
import t from 'tap'
import { pythonJsonDumps } from '../../../common/python-json.ts'
import { startCluster } from '../../helpers/cluster.ts'

const PIPELINE = 'catch_errors proxy-logging slo dlo versioned_writes symlink proxy-logging proxy-server'
const INI = '[filter:versioned_writes]\nallow_versioned_writes = true\nallow_object_versioning = true\n'

t.test('JSON listings pass through the listing middleware untouched', async (t) => {
  const c = await startCluster(t, { pipeline: PIPELINE, extraIni: INI })
  const A = '/v1/AUTH_test'
  t.equal((await c.request('PUT', `${A}/c`)).status, 201)
  const names = ['a/1', 'a/2', 'a/b/3', 'a/b/4', 'b', 'c/é', 'c/"q"', 'd/e/f', 'd/x', 'top']
  for (const [i, name] of names.entries()) {
    const put = await c.request('PUT', `${A}/c/${encodeURIComponent(name)}`, { headers: { 'Content-Type': i % 2 ? 'text/plain' : 'application/x;swift_bytes=9' }, body: `body ${i}` })
    t.equal(put.status, 201, `PUT ${name}`)
  }
  const { partition, nodes } = c.rings.container.getNodes('AUTH_test', 'c')
  const direct = async (query: string) => {
    const node = nodes[0]!
    const res = await fetch(`http://127.0.0.1:${node.port}/${node.device}/${partition}/AUTH_test/c?${query}`)
    return Buffer.from(await res.arrayBuffer())
  }
  const queries = ['', 'prefix=a/', 'delimiter=/', 'prefix=a/&delimiter=/', 'marker=a/b/3', 'end_marker=d', 'marker=a&end_marker=c/z&reverse=true', 'reverse=on', 'path=a', 'path=d/e', 'prefix=c/&limit=1', 'delimiter=/&reverse=true&marker=d']
  for (const q of queries) {
    const query = `format=json${q ? `&${q}` : ''}`
    const viaProxy = await c.request('GET', `${A}/c?${query}`)
    t.equal(viaProxy.status, 200, query)
    const fromServer = await direct(query)
    t.ok(viaProxy.body.equals(fromServer), `${query}: the container server's bytes`)
    // What the middleware used to send: every page parsed and written again.
    t.equal(viaProxy.body.toString('utf8'), pythonJsonDumps(JSON.parse(fromServer.toString('utf8'))), `${query}: the same as a re-rendered page`)
  }

  t.equal((await c.request('PUT', `${A}/c/link`, { headers: { 'X-Symlink-Target': 'c/top' } })).status, 201)
  const linked = await c.request('GET', `${A}/c?format=json&prefix=l`)
  const rows = JSON.parse(linked.body.toString('utf8')) as Record<string, unknown>[]
  t.equal(rows[0]?.symlink_path, `${A}/c/top`, 'a page with a link is still rewritten')
  t.notOk(linked.body.equals(await direct('format=json&prefix=l')))
})
