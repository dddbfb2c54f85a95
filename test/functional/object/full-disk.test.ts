// A real full device: a 256 KiB tmpfs mounted as the device (needs root; skipped otherwise).
// It is also a real mount point, so mount_check = true lets it through.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { nextTimestamp, putHeaders, request, startObjectServer } from '../../helpers/object-server.ts'

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const probe = await mkdtemp(join(tmpdir(), 'tern-mount-probe-'))
const canMount = tryMount(probe)
if (canMount) execFileSync('umount', [probe])
await rmdir(probe)

t.test('ENOSPC answers 507, removes the staged file, and the device keeps working', {
  skip: canMount ? false : 'cannot mount a tmpfs here (needs root)',
}, async (t) => {
  let mounted: string | undefined
  const s = await startObjectServer(t, 'mount_check = true', ['sda'], async (devices) => {
    if (tryMount(join(devices, 'sda'))) mounted = join(devices, 'sda')
  })
  // Registered after the server's teardown, so it runs first (tap runs teardowns in reverse).
  t.teardown(() => {
    if (mounted) execFileSync('umount', [mounted])
  })
  t.ok(mounted, 'the device is a tmpfs of 256 KiB')
  const small = randomBytes(10_000)
  t.equal((await request(s.port, 'PUT', '/sda/1/a/c/small', putHeaders(nextTimestamp(), small), small)).status, 201, 'mount_check passes on a mount point')
  for (const [i, size] of [400_000, 2_000_000].entries()) {
    const big = randomBytes(size)
    const path = `/sda/1/a/c/big-${i}`
    // The server answers 507 while a large body is still arriving and closes the connection,
    // so the client may see a reset instead: the access log has the status either way.
    await request(s.port, 'PUT', path, putHeaders(nextTimestamp(), big), big).catch(() => undefined)
    t.equal((await s.accessLog((l) => l.path === path && l.method === 'PUT')).status, 507, `${size} bytes do not fit`)
    t.same(await readdir(join(s.devices, 'sda', 'tmp')), [], 'the staged file is gone')
    t.equal((await request(s.port, 'GET', path)).status, 404)
  }
  const get = await request(s.port, 'GET', '/sda/1/a/c/small')
  t.ok(get.body.equals(small), 'what was stored before is intact')
  t.equal((await request(s.port, 'PUT', '/sda/1/a/c/again', putHeaders(nextTimestamp(), 'x'), 'x')).status, 201, 'space freed, writes work again')
})
