// A large object's pages leave the page cache after commit (dd oflag=nocache through
// /proc/<pid>/fd), and the fd is closed once dd is done.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dropCacheThenClose } from '../../../../object/diskfile/drop-cache.ts'
import { requireCommand } from '../../../helpers/require-tool.ts'

/** Pages of `path` in the page cache (util-linux fincore). */
function cachedPages(path: string): number {
  const out = execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'PAGES', path], { encoding: 'utf8' })
  return Number(out.trim())
}

t.test('the file\'s cached pages are dropped, then the fd is closed', async (t) => {
  if (!requireCommand(t, '/usr/bin/dd', 'coreutils')) return
  if (!requireCommand(t, '/usr/bin/fincore', 'util-linux')) return
  const dir = await mkdtemp(join(tmpdir(), 'tern-drop-cache-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'big')
  const fd = fs.openSync(path, 'w')
  fs.writeSync(fd, Buffer.alloc(4 * 1024 * 1024, 7))
  fs.fdatasyncSync(fd)
  const before = cachedPages(path)
  t.ok(before > 0, `${before} pages cached after the write`)
  const closedFd = await new Promise<number>((resolve) => dropCacheThenClose(fd, (f) => {
    fs.closeSync(f)
    resolve(f)
  }))
  t.equal(closedFd, fd, 'the fd given is closed')
  t.ok(cachedPages(path) < before, `pages dropped (${cachedPages(path)} of ${before} left)`)
  t.equal(fs.readFileSync(path).length, 4 * 1024 * 1024, 'the file itself is intact')
})

t.test('a close that fails is swallowed', async (t) => {
  await new Promise<void>((resolve) => dropCacheThenClose(-1, () => {
    resolve()
    throw new Error('EBADF')
  }))
  t.pass('no exception escaped')
})
