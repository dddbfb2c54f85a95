// Bulk over raw HTTP: archives made by Python's tarfile (ustar, pax with xattrs, GNU long
// names; plain, gzip and bzip2) expand into objects with their metadata; bad archives and
// unknown formats answer Swift's bodies and store nothing; ?bulk-delete answers its tally in
// every Accept format. Expected bodies for the failure cases were produced by Swift 2.30's
// bulk middleware (python3-swift) for the same requests.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startCluster } from '../../helpers/cluster.ts'
import { requireCommand, SYSTEM_PYTHON } from '../../helpers/require-tool.ts'

const run = promisify(execFile)

// Writes <dir>/a.tar, a.tar.gz, a.tar.bz2 with the same members.
const MAKE_ARCHIVES = `
import io, sys, tarfile
d = sys.argv[1]
long_name = 'c1/' + 'n' * 120 + '.txt'
def add(t, name, data, pax=None):
    ti = tarfile.TarInfo(name); ti.size = len(data)
    if pax: ti.pax_headers = pax
    t.addfile(ti, io.BytesIO(data))
for mode, suffix in (('w', ''), ('w:gz', '.gz'), ('w:bz2', '.bz2')):
    with tarfile.open(d + '/a.tar' + suffix, mode, format=tarfile.GNU_FORMAT if suffix == '.gz' else tarfile.PAX_FORMAT) as t:
        di = tarfile.TarInfo('c1/dir'); di.type = tarfile.DIRTYPE; t.addfile(di)
        add(t, 'top.txt', b'skipped')
        add(t, './c1/a.txt', b'alpha')
        add(t, 'c1/dir/b.txt', b'b' * 70000)
        add(t, 'c2/empty', b'')
        add(t, long_name, b'long')
        if suffix != '.gz':
            add(t, 'c2/typed.json', b'{}', {'SCHILY.xattr.user.mime_type': 'application/json', 'SCHILY.xattr.user.meta.color': 'blue'})
`

t.test('bulk', async (t) => {
  if (!requireCommand(t, SYSTEM_PYTHON, 'python3') || !requireCommand(t, '/usr/bin/bzip2', 'bzip2')) return
  const c = await startCluster(t, { pipeline: 'catch_errors proxy-logging bulk tempauth slo dlo proxy-logging proxy-server', extraIni: '[filter:tempauth]\nuser_test_tester = testing .admin\n' })
  const auth = await c.request('GET', '/auth/v1.0', { headers: { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' } })
  const h = { 'X-Auth-Token': auth.headers['x-auth-token'] as string }
  const A = '/v1/AUTH_test'
  const dir = await mkdtemp(join(tmpdir(), 'tern-bulk-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await run(SYSTEM_PYTHON, ['-c', MAKE_ARCHIVES, dir])
  const longName = `c1/${'n'.repeat(120)}.txt`

  await t.test('/info lists bulk_upload and bulk_delete', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.bulk_upload, { max_containers_per_extraction: 10000, max_failed_extractions: 1000 })
    t.same(info.bulk_delete, { max_deletes_per_request: 10000, max_failed_deletes: 1000 })
  })

  for (const kind of ['tar', 'tar.gz', 'tar.bz2']) {
    await t.test(`extract-archive=${kind}`, async (t) => {
      const archive = await readFile(join(dir, `a.${kind}`))
      const base = `x-${kind.replace('.', '-')}`
      t.equal((await c.request('PUT', `${A}/${base}`, { headers: h })).status, 201)
      const res = await c.request('PUT', `${A}/${base}?extract-archive=${kind}`, { headers: { ...h, Accept: 'application/json', 'X-Object-Meta-Batch': 'one', 'Content-Length': archive.length }, body: archive })
      t.equal(res.status, 200)
      t.equal(res.headers['content-type'], 'application/json')
      // Under a container even top-level files have a "/" in their name: all are stored.
      const files = kind === 'tar.gz' ? 5 : 6
      t.same(JSON.parse(res.body.toString()), { 'Response Status': '201 Created', 'Response Body': '', 'Number Files Created': files, Errors: [] })
      const a = await c.request('GET', `${A}/${base}/c1/a.txt`, { headers: h })
      t.equal(a.body.toString(), 'alpha')
      t.equal(a.headers['x-object-meta-batch'], 'one')
      t.same((await c.request('GET', `${A}/${base}/c1/dir/b.txt`, { headers: h })).body, Buffer.alloc(70000, 'b'))
      t.equal((await c.request('GET', `${A}/${base}/c2/empty`, { headers: h })).headers['content-length'], '0')
      t.equal((await c.request('GET', `${A}/${base}/${longName}`, { headers: h })).body.toString(), 'long')
      t.equal((await c.request('GET', `${A}/${base}/top.txt`, { headers: h })).body.toString(), 'skipped')
      t.equal((await c.request('HEAD', `${A}/${base}/c1/dir`, { headers: h })).status, 404, 'directories are not objects')
      if (kind !== 'tar.gz') {
        const typed = await c.request('HEAD', `${A}/${base}/c2/typed.json`, { headers: h })
        t.equal(typed.headers['content-type'], 'application/json')
        t.equal(typed.headers['x-object-meta-color'], 'blue')
      }
    })
  }

  await t.test('extract at the account level creates containers', async (t) => {
    const archive = await readFile(join(dir, 'a.tar'))
    const res = await c.request('PUT', `${A}?extract-archive=tar`, { headers: { ...h, Accept: 'text/plain' }, body: archive })
    t.equal(res.body.toString(), 'Number Files Created: 5\nResponse Body: \nResponse Status: 201 Created\nErrors:\n')
    t.equal((await c.request('HEAD', `${A}/c2`, { headers: h })).headers['x-container-object-count'], '2')
    t.equal((await c.request('HEAD', `${A}/top.txt`, { headers: h })).status, 404, 'the top-level file is skipped')
  })

  await t.test('bad archives: Swift\'s bodies, nothing stored', async (t) => {
    const garbage = Buffer.from('garbage'.repeat(100))
    const cases: [string, string][] = [
      ['tar', 'Invalid Tar File: invalid header'],
      ['tar.gz', 'Invalid Tar File: not a gzip file'],
      ['tar.bz2', 'Invalid Tar File: invalid compressed data'],
    ]
    for (const [kind, message] of cases) {
      const res = await c.request('PUT', `${A}/bad?extract-archive=${kind}`, { headers: h, body: garbage })
      t.equal(res.status, 200)
      t.equal(res.body.toString(), `Number Files Created: 0\nResponse Body: ${message}\nResponse Status: 400 Bad Request\nErrors:\n`, kind)
    }
    const empty = await c.request('PUT', `${A}/bad?extract-archive=tar`, { headers: h, body: '' })
    t.equal(empty.body.toString(), 'Number Files Created: 0\nResponse Body: Invalid Tar File: empty file\nResponse Status: 400 Bad Request\nErrors:\n')
    const zip = await c.request('PUT', `${A}/bad?extract-archive=zip`, { headers: h, body: garbage })
    t.equal(zip.status, 400)
    t.equal(zip.body.toString(), 'Unsupported archive format')
    t.equal((await c.request('HEAD', `${A}/bad`, { headers: h })).status, 404)
    const topOnly = `import io,sys,tarfile\nb=io.BytesIO()\nt=tarfile.open(fileobj=b,mode='w')\nti=tarfile.TarInfo('top.txt'); ti.size=1; t.addfile(ti, io.BytesIO(b'x')); t.close()\nsys.stdout.write(b.getvalue().hex())`
    const topArchive = Buffer.from((await run(SYSTEM_PYTHON, ['-c', topOnly])).stdout, 'hex')
    const noFiles = await c.request('PUT', `${A}?extract-archive=tar`, { headers: { ...h, Accept: 'application/json' }, body: topArchive })
    t.equal(noFiles.body.toString(), '{"Response Status": "400 Bad Request", "Response Body": "Invalid Tar File: No Valid Files", "Number Files Created": 0, "Errors": []}')
  })

  await t.test('bulk-delete in every format', async (t) => {
    const setup = async () => {
      await c.request('PUT', `${A}/del`, { headers: h })
      await c.request('PUT', `${A}/del/o1`, { headers: h, body: '1' })
      await c.request('PUT', `${A}/del/o 2`, { headers: h, body: '2' })
      await c.request('PUT', `${A}/full`, { headers: h })
      await c.request('PUT', `${A}/full/keep`, { headers: h, body: 'k' })
    }
    // o1 and "o 2" deleted, one missing, "full" not empty (409), then "del" (now empty).
    const body = '/del/o1\n/del/o%202\n/del/missing\n/full\n/del\n'
    const expected: Record<string, string> = {
      'text/plain': 'Number Deleted: 3\nNumber Not Found: 1\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n/full, 409 Conflict\n',
      'application/json': '{"Response Status": "400 Bad Request", "Response Body": "", "Number Deleted": 3, "Number Not Found": 1, "Errors": [["/full", "409 Conflict"]]}',
      'application/xml': '<delete>\n<number_deleted>3</number_deleted>\n<number_not_found>1</number_not_found>\n<response_body></response_body>\n<response_status>400 Bad Request</response_status>\n<errors>\n<object><name>/full</name><status>409 Conflict</status></object>\n</errors>\n</delete>\n',
    }
    expected['text/xml'] = expected['application/xml'] as string
    for (const [accept, text] of Object.entries(expected)) {
      await setup()
      const res = await c.request('POST', `${A}?bulk-delete`, { headers: { ...h, Accept: accept, 'Content-Type': 'text/plain' }, body })
      t.equal(res.status, 200)
      t.equal(res.headers['content-type'], accept)
      t.equal(res.body.toString(), text, accept)
      t.equal((await c.request('HEAD', `${A}/del`, { headers: h })).status, 404, 'container gone')
      t.equal((await c.request('HEAD', `${A}/full/keep`, { headers: h })).status, 200)
    }
    const wrongType = await c.request('POST', `${A}?bulk-delete`, { headers: { ...h, 'Content-Type': 'application/json' }, body: '/full/keep' })
    t.equal(wrongType.body.toString(), 'Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 406 Not Acceptable\nErrors:\n')
    const badAccept = await c.request('POST', `${A}?bulk-delete`, { headers: { ...h, Accept: 'image/png' }, body: '/full/keep' })
    t.equal(badAccept.headers['content-type'], 'text/html; charset=UTF-8')
    t.match(badAccept.body.toString(), /Response Status: 406 Not Acceptable/)
    const nothing = await c.request('DELETE', `${A}?bulk-delete`, { headers: h, body: '' })
    t.equal(nothing.body.toString(), 'Number Deleted: 0\nNumber Not Found: 0\nResponse Body: Invalid bulk delete.\nResponse Status: 400 Bad Request\nErrors:\n')
    t.equal((await c.request('HEAD', `${A}/full/keep`, { headers: h })).status, 200, 'refused requests delete nothing')
  })
})
