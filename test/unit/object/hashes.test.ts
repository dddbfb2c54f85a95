// Suffix hashes (object/diskfile/hashes.ts): computed from the current files, cached, only
// invalidated suffixes recomputed, tombstones reclaimed after reclaim_age, debris ignored.
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Timestamp } from '../../../common/timestamp.ts'
import { FsDiskFileManager } from '../../../object/diskfile/fs.ts'
import type { ObjectName } from '../../../object/diskfile/types.ts'
import { differingSuffixes, getSuffixHashes, listSuffix, partitionPath } from '../../../object/diskfile/hashes.ts'

const SECRETS = { prefix: 'p', suffix: 's' }
const devices = await mkdtemp(join(tmpdir(), 'tern-hashes-'))
t.teardown(() => rm(devices, { recursive: true, force: true }))
await mkdir(join(devices, 'sda'))
const df = new FsDiskFileManager({ devices, secrets: SECRETS })
const partDir = partitionPath(devices, 'sda', 0, '7')
const name = (obj: string): ObjectName => ({ device: 'sda', partition: '7', account: 'a', container: 'c', obj, policy: 0 })

async function put(obj: string, ts: Timestamp) {
  const w = await df.createWriter(name(obj))
  await w.write(Buffer.from(obj))
  await w.commit(ts, { 'X-Timestamp': ts.internal, 'Content-Length': String(obj.length), ETag: createHash('md5').update(obj).digest('hex'), 'Content-Type': 'x/y', name: `/a/c/${obj}` })
}

/** The expected hash of a suffix, from what is on disk (independently of the module). */
async function expected(suffix: string): Promise<string> {
  const md5 = createHash('md5')
  for (const hash of (await readdir(join(partDir, suffix))).sort()) {
    md5.update(hash)
    for (const f of (await readdir(join(partDir, suffix, hash))).sort()) md5.update(f)
  }
  return md5.digest('hex')
}

const now = Date.now() / 1000
const ts1 = Timestamp.fromSeconds(now - 100)
await put('one', ts1)
const suffix = df.paths(name('one')).suffix

t.test('first call hashes every suffix and caches it', async (t) => {
  const hashes = await getSuffixHashes(partDir, { reclaimAge: 3600 })
  t.same(Object.keys(hashes), [suffix])
  t.equal(hashes[suffix], await expected(suffix))
  const files = await readdir(partDir)
  t.ok(files.includes('hashes.json'), 'cached')
  t.notOk(files.includes('hashes.invalid'), 'invalidations consumed')
  t.notOk(files.includes('hashes.lock'), 'lock released')
})

t.test('a write invalidates its suffix; the new hash reflects the new files', async (t) => {
  const before = (await getSuffixHashes(partDir, { reclaimAge: 3600 }))[suffix]
  await df.delete(name('one'), Timestamp.fromSeconds(now - 50))
  const after = await getSuffixHashes(partDir, { reclaimAge: 3600 })
  t.not(after[suffix], before)
  t.equal(after[suffix], await expected(suffix))
  t.same(Object.values(await listSuffix(join(partDir, suffix))), [[`${Timestamp.fromSeconds(now - 50).internal}.ts`]])
})

t.test('an unchanged suffix is not recomputed (the cache answers)', async (t) => {
  // Debris written behind the diskfile's back is invisible until the suffix is invalidated.
  const cached = await getSuffixHashes(partDir, { reclaimAge: 3600 })
  const hashDir = df.paths(name('one')).hashDir
  await writeFile(join(hashDir, `${Timestamp.fromSeconds(now - 10).internal}.data`), 'x')
  t.same(await getSuffixHashes(partDir, { reclaimAge: 3600 }), cached)
  const recalculated = await getSuffixHashes(partDir, { reclaimAge: 3600, recalculate: [suffix] })
  t.not(recalculated[suffix], cached[suffix], 'recalculate sees it')
  await rm(join(hashDir, `${Timestamp.fromSeconds(now - 10).internal}.data`))
  await getSuffixHashes(partDir, { reclaimAge: 3600, recalculate: [suffix] })
})

t.test('tombstones older than reclaim_age go, and so does the empty suffix', async (t) => {
  const hashes = await getSuffixHashes(partDir, { reclaimAge: 3600, all: true, now: () => (now + 7200) * 1000 })
  t.same(hashes, {})
  t.same((await readdir(partDir)).filter((f) => /^[0-9a-f]{3}$/.test(f)), [], 'suffix directory removed')
})

t.test('a missing partition has no hashes and is not created', async (t) => {
  const missing = partitionPath(devices, 'sda', 0, '99')
  t.same(await getSuffixHashes(missing, { reclaimAge: 3600 }), {})
  t.same((await readdir(join(devices, 'sda', 'objects'))).includes('99'), false)
})

t.test('concurrent consolidations in one process serialize', async (t) => {
  await put('two', Timestamp.fromSeconds(now - 5))
  await put('three', Timestamp.fromSeconds(now - 4))
  const results = await Promise.all([1, 2, 3, 4].map(() => getSuffixHashes(partDir, { reclaimAge: 3600 })))
  for (const r of results) t.same(r, results[0])
  t.equal(Object.keys(results[0]!).length, new Set([df.paths(name('two')).suffix, df.paths(name('three')).suffix]).size)
})

t.test('differingSuffixes', async (t) => {
  t.same(differingSuffixes({ abc: '1', def: '2', fff: '3' }, { abc: '1', def: '9' }), ['def', 'fff'])
  t.same(differingSuffixes({}, { abc: '1' }), [], 'what only the remote has is its to push')
})
