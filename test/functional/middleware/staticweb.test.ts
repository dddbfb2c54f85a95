// Static web over raw HTTP, as an anonymous visitor of a public container: index pages,
// redirects to the slash form, HTML listings (default style, CSS, pseudo-directories),
// "Web Listing Disabled", custom error pages and directory markers.
import t from 'tap'
import { startCluster } from '../../helpers/cluster.ts'
import { humanReadable } from '../../../proxy/middleware/staticweb.ts'

t.test('staticweb', async (t) => {
  const c = await startCluster(t, { pipeline: 'catch_errors proxy-logging tempauth staticweb slo dlo proxy-logging proxy-server', extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n' })
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const h = { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
  const A = '/v1/AUTH_test'
  const put = async (path: string, body: string, headers: Record<string, string> = {}) => t.equal((await c.request('PUT', `${A}/${path}`, { headers: { ...h, ...headers }, body })).status, 201, path)
  t.equal((await c.request('PUT', `${A}/site`, { headers: { ...h, 'X-Container-Read': '.r:*,.rlistings', 'X-Container-Meta-Web-Index': 'index.html', 'X-Container-Meta-Web-Error': 'error.html' } })).status, 201)
  await put('site/index.html', '<h1>home</h1>', { 'Content-Type': 'text/html' })
  await put('site/404error.html', 'custom not found', { 'Content-Type': 'text/html' })
  await put('site/docs/index.html', 'docs home', { 'Content-Type': 'text/html' })
  await put('site/files/a.txt', 'a'.repeat(2048), { 'Content-Type': 'text/plain' })
  await put('site/files/sub/b.txt', 'b')
  await put('site/marker', '', { 'Content-Type': 'application/directory' })

  await t.test('/info', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.staticweb, {})
  })

  await t.test('index pages and redirects', async (t) => {
    const bare = await c.request('GET', `${A}/site`)
    t.equal(bare.status, 301)
    t.equal(bare.headers.location, `${A}/site/`)
    const home = await c.request('GET', `${A}/site/`)
    t.equal(home.status, 200)
    t.equal(home.body.toString(), '<h1>home</h1>')
    const docs = await c.request('GET', `${A}/site/docs`)
    t.equal(docs.status, 301)
    t.equal(docs.headers.location, `${A}/site/docs/`)
    t.equal((await c.request('GET', `${A}/site/docs/`)).body.toString(), 'docs home')
    t.equal((await c.request('GET', `${A}/site/files/a.txt`)).body.length, 2048, 'objects are served as they are')
    const owner = await c.request('GET', `${A}/site/`, { headers: h })
    t.equal(owner.status, 200)
    t.match(owner.headers['content-type'], /^(application\/json|text\/plain)/, 'the authenticated owner gets the plain API')
  })

  await t.test('error pages', async (t) => {
    const missing = await c.request('GET', `${A}/site/nothing-here`)
    t.equal(missing.status, 404)
    t.equal(missing.body.toString(), 'custom not found')
    const marker = await c.request('GET', `${A}/site/marker`)
    t.equal(marker.status, 404, 'directory markers are not pages')
  })

  await t.test('listings', async (t) => {
    t.equal((await c.request('POST', `${A}/site`, { headers: { ...h, 'X-Container-Meta-Web-Listings': 'true' } })).status, 204)
    const files = await c.request('GET', `${A}/site/files/`)
    t.equal(files.status, 200)
    t.equal(files.headers['content-type'], 'text/html; charset=UTF-8')
    const html = files.body.toString()
    t.match(html, '<title>Listing of /v1/AUTH_test/site/files/</title>')
    t.match(html, '<td class="colname"><a href="../">../</a></td>')
    t.match(html, '<tr class="item subdir">\n    <td class="colname"><a href="sub/">sub/</a></td>')
    t.match(html, '<tr class="item type-text type-plain">\n    <td class="colname"><a href="a.txt">a.txt</a></td>\n    <td class="colsize">2Ki</td>')
    t.match(html, 'th {text-align: left; padding: 0px 1em 0px 1em;}')
    t.equal((await c.request('POST', `${A}/site`, { headers: { ...h, 'X-Container-Meta-Web-Listings-Css': 'style.css' } })).status, 204)
    const styled = (await c.request('GET', `${A}/site/files/sub/`)).body.toString()
    t.match(styled, '<link rel="stylesheet" type="text/css" href="../../style.css" />')
    t.equal((await c.request('GET', `${A}/site/nodir/`)).status, 404)
    t.equal((await c.request('POST', `${A}/site`, { headers: { ...h, 'X-Remove-Container-Meta-Web-Listings': 'x', 'X-Remove-Container-Meta-Web-Error': 'x' } })).status, 204)
    const disabled = await c.request('GET', `${A}/site/files/`)
    t.equal(disabled.status, 404)
    t.match(disabled.body.toString(), '<h1>Web Listing Disabled</h1>')
    t.match(disabled.body.toString(), '<b>X-Container-Meta-Web-Index: index.html</b>')
  })
})

t.test('human readable sizes as Swift prints them', async (t) => {
  t.equal(humanReadable(0), '0')
  t.equal(humanReadable(1023), '1023')
  t.equal(humanReadable(1024), '1Ki')
  t.equal(humanReadable(1536), '2Ki')
  t.equal(humanReadable(2560), '2Ki', 'halves round to even, as Python')
  t.equal(humanReadable(5 * 1024 * 1024), '5Mi')
})
