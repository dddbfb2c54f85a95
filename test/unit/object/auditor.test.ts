// The object auditor in process: files written through a real object server are checked in
// piscina worker threads; a rotted body is quarantined (its suffix invalidated), a good one
// left alone, the zero-byte pass catches a truncated body but not a flipped byte, and the
// full pass keeps to bytes_per_second.
import t from 'tap'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseIni } from '../../../common/config/ini.ts'
import { silentLogger } from '../../../common/logger.ts'
import { Timestamp } from '../../../common/timestamp.ts'
import { Ring } from '../../../ring/ring.ts'
import { parseDaemonConfig } from '../../../replicator/config.ts'
import { ObjectAuditor } from '../../../object/auditor.ts'
import { SECRETS, request, startObjectServer } from '../../helpers/object-server.ts'

const s = await startObjectServer(t)
const ring = Ring.fromData({
  devs: [{ id: 0, region: 1, zone: 1, ip: '127.0.0.1', port: s.port, replication_ip: '127.0.0.1', replication_port: s.port, device: 'sda', weight: 1, meta: '' }],
  replica2part2dev: [Uint16Array.from([0, 0])],
  partShift: 31,
}, { secrets: SECRETS })

function auditor(extra: string, zeroByteOnly = false): ObjectAuditor {
  const ini = parseIni(`[DEFAULT]\ndevices = ${s.devices}\nmount_check = false\nbind_ip = 127.0.0.1\n[app:object-server]\nbind_port = ${s.port}\n[object-auditor]\n${extra}\n`)
  const a = new ObjectAuditor({ config: parseDaemonConfig(ini, 'object-auditor', SECRETS), ring, logger: silentLogger, zeroByteOnly })
  t.teardown(() => a.close())
  return a
}

async function put(obj: string, body: Buffer): Promise<string> {
  const part = ring.getPart('a', 'c', obj)
  const ts = Timestamp.now()
  const r = await request(s.port, 'PUT', `/sda/${part}/a/c/${obj}`, { 'X-Timestamp': ts.internal, 'Content-Type': 'text/plain', 'Content-Length': body.length }, body)
  t.equal(r.status, 201)
  const files = await s.diskfile.listFiles({ device: 'sda', partition: String(part), account: 'a', container: 'c', obj, policy: 0 })
  t.equal(files.length, 1)
  return findDataFile(part, files[0]!)
}

async function findDataFile(part: number, name: string): Promise<string> {
  const partDir = join(s.devices, 'sda', 'objects', String(part))
  for (const suffix of await readdir(partDir)) {
    if (!/^[0-9a-f]{3}$/.test(suffix)) continue
    for (const hash of await readdir(join(partDir, suffix))) {
      if ((await readdir(join(partDir, suffix, hash))).includes(name)) return join(partDir, suffix, hash, name)
    }
  }
  throw new Error(`${name} not found`)
}

// One zero-byte auditor for both of its tests (each auditor starts its own worker threads).
const zbfAuditor = auditor('concurrency = 1', true)

const quarantined = async () => readdir(join(s.devices, 'sda', 'quarantined', 'objects')).catch(() => [] as string[])

t.test('a rotted body is quarantined, a good one kept', async (t) => {
  const good = Buffer.alloc(300_000, 'g')
  const goodPath = await put('good', good)
  const badPath = await put('bad', Buffer.alloc(200_000, 'b'))
  const raw = await readFile(badPath)
  raw[1000] = 'X'.charCodeAt(0)
  await writeFile(badPath, raw)

  const zbf = await zbfAuditor.runOnce()
  t.equal(zbf.quarantined, 0, 'the fast pass does not read bodies')
  t.equal(zbf.bytes, 0)

  const stats = await auditor('bytes_per_second = 0\nconcurrency = 2').runOnce()
  t.equal(stats.files, 2)
  t.equal(stats.quarantined, 1)
  t.equal(stats.errors, 0)
  t.equal(stats.bytes, 500_000, 'both bodies read in full')
  t.equal((await quarantined()).length, 1)
  t.equal((await readFile(goodPath)).subarray(0, good.length).equals(good), true, 'the good file stays')
  const badPart = String(ring.getPart('a', 'c', 'bad'))
  const invalid = await readFile(join(s.devices, 'sda', 'objects', badPart, 'hashes.invalid'), 'utf8')
  t.match(invalid, /^[0-9a-f]{3}$/m, "the bad file's suffix is invalidated for the replicator")
  t.equal((await request(s.port, 'GET', `/sda/${badPart}/a/c/bad`)).status, 404, 'never served again')
})

t.test('the zero-byte pass quarantines a body shorter than its Content-Length', async (t) => {
  const before = (await quarantined()).length
  const path = await put('short', Buffer.alloc(5000, 's'))
  // Cut the body (keeping the trailer) so sizes disagree: rewrite without 100 body bytes.
  const raw = await readFile(path)
  await writeFile(path, Buffer.concat([raw.subarray(0, 100), raw.subarray(200)]))
  const stats = await zbfAuditor.runOnce()
  t.equal(stats.quarantined, 1)
  t.equal((await quarantined()).length, before + 1)
})

t.test('a full pass keeps to bytes_per_second', async (t) => {
  await put('paced', Buffer.alloc(400_000, 'p'))
  const started = performance.now()
  const stats = await auditor('bytes_per_second = 1000000\nconcurrency = 1').runOnce()
  const bytes = stats.bytes ?? 0
  const seconds = (performance.now() - started) / 1000
  t.ok(bytes >= 700_000, `read ${bytes} bytes`)
  // A lower bound only (a loaded machine is slower, never faster).
  t.ok(seconds >= (bytes / 1_000_000) * 0.9, `${bytes} bytes took ${seconds.toFixed(2)} s at 1 MB/s`)
})

