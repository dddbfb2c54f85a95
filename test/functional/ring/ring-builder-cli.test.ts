// ring-builder end to end: commands, output lines, exit codes (0 / 1 warning / 2 error), the
// builder file left byte-for-byte untouched by bad input, backups, and a ring Swift can load.
// Most cases run the CLI in-process (runRingBuilder, what bin/ring-builder.ts calls); a few
// spawn the real entry point to check the wiring of exit codes and streams.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runRingBuilder } from '../../../ring/builder-cli.ts'
import { readRingFileSync } from '../../../ring/io.ts'
import { requirePython, SYSTEM_PYTHON } from '../../helpers/require-tool.ts'

const ROOT = resolve(import.meta.dirname, '../../..')

async function rb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runRingBuilder(argv, { out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

const dir = mkdtempSync(join(tmpdir(), 'tern-ring-builder-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const builder = join(dir, 'object.builder')
const ringFile = join(dir, 'object.ring.gz')

t.test('create, add, rebalance, show, write_ring', async (t) => {
  t.equal((await rb(builder, 'create', '8', '3', '1')).code, 0)
  const add = await rb(builder, 'add', 'r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_first 100', )
  t.equal(add.code, 2, 'a device string without its weight is a usage error')
  const added = await rb(builder, 'add', 'r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_first', '100',
    'r1z2-127.0.0.1:6201/sdb2', '100', 'z3-127.0.0.1:6202/sdb3', '100')
  t.equal(added.code, 0, added.err)
  t.match(added.out, 'Device d0r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_"first" with 100.0 weight got id 0')
  t.match(added.out, 'Device d2r1z3-127.0.0.1:6202R127.0.0.1:6202/sdb3_"" with 100.0 weight got id 2')
  t.match(added.err, 'WARNING: No region specified for z3-127.0.0.1:6202/sdb3. Defaulting to region 1.')
  const flags = await rb(builder, 'add', '--region', '1', '--zone', '4', '--ip', '127.0.0.1', '--port', '6203',
    '--replication-ip', '127.0.0.2', '--replication-port', '6303', '--device', 'sdb4', '--meta', 'm4', '--weight', '100')
  t.equal(flags.code, 0, flags.err)
  t.match(flags.out, 'd3r1z4-127.0.0.1:6203R127.0.0.2:6303/sdb4_"m4"')

  const reb = await rb(builder, 'rebalance', '--seed', '7')
  t.equal(reb.code, 0, reb.out + reb.err)
  t.match(reb.out, /^Reassigned 768 \(300\.00%\) partitions\. Balance is now 0\.00\.  Dispersion is now 0\.00$/m)
  t.ok(existsSync(ringFile), 'rebalance writes the ring')
  const ring = readRingFileSync(ringFile)
  t.equal(ring.replica2part2dev.length, 3)
  t.equal(ring.partShift, 24)

  const again = await rb(builder, 'rebalance')
  t.equal(again.code, 1, 'nothing to do is a warning')
  t.match(again.out, 'No partitions could be reassigned.')

  const show = await rb(builder)
  t.equal(show.code, 0)
  t.match(show.out, /256 partitions, 3\.000000 replicas, 1 regions, 4 zones, 4 devices, 0\.00 balance, 0\.00 dispersion/)
  t.match(show.out, `Ring file ${ringFile} is up-to-date`)
  t.match(show.out, /^\s+3\s+1\s+4\s+127\.0\.0\.1:6203\s+127\.0\.0\.2:6303\s+sdb4\s+100\.00\s+192\s+0\.00\s+m4$/m)

  const info = await rb(builder, 'set_info', 'd0', '_new meta')
  t.equal(info.code, 0, info.err)
  t.match(info.out, 'Device d0r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_"first" is now d0r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_"new meta"')
  t.match((await rb(builder)).out, 'is obsolete')
  t.equal((await rb(builder, 'write_ring')).code, 0)
  t.match((await rb(builder)).out, 'is up-to-date')
  t.equal(readRingFileSync(ringFile).devs[0]?.meta, 'new meta')

  const search = await rb(builder, 'search', 'z2')
  t.equal(search.code, 0)
  t.match(search.out, /^\s+1\s+1\s+2\s+127\.0\.0\.1\s+6201\s/m)
  t.equal((await rb(builder, 'search', 'z9')).code, 2)
  const parts = await rb(builder, 'list_parts', 'd0', 'd1')
  t.equal(parts.code, 0)
  const rows = parts.out.split('\n').slice(1).map((l) => l.trim().split(/\s+/).map(Number))
  t.equal(rows.reduce((n, r) => n + (r[1] as number), 0), 2 * 192, 'every replica on d0 and d1 listed')
  t.ok(rows.every((r, i) => i === 0 || (r[1] as number) <= ((rows[i - 1] as number[])[1] as number)), 'most matches first')

  const disp = await rb(builder, 'dispersion', '-v')
  t.equal(disp.code, 0)
  t.match(disp.out, 'Dispersion is 0.000000, Balance is 0.000000, Overload is 0.00%')
  t.match(disp.out, /^r1z1\s+192\s+0\.00\s+1\s+64\s+192\s+0\s+0$/m)
  t.equal((await rb(builder, 'validate')).code, 0)
})

t.test('settings commands', async (t) => {
  let r = await rb(builder, 'set_overload', '10%')
  t.equal(r.code, 0)
  t.match(r.out, 'The overload factor is now 10.00% (0.100000)')
  r = await rb(builder, 'set_overload', '2')
  t.equal(r.code, 1, 'over 100% without % is a warning')
  r = await rb(builder, 'set_replicas', '2.5')
  t.match(r.out, 'The replica count is now 2.500000.')
  r = await rb(builder, 'set_min_part_hours', '0')
  t.equal(r.code, 0)
  t.equal((await rb(builder, 'pretend_min_part_hours_passed')).code, 0)
  r = await rb(builder, 'set_weight', 'd3', '50')
  t.match(r.out, 'd3r1z4-127.0.0.1:6203R127.0.0.2:6303/sdb4_"m4" weight set to 50.0')
  r = await rb(builder, 'remove', 'd2')
  t.match(r.out, 'marked for removal and will be removed next rebalance.')
  r = await rb(builder, 'rebalance')
  t.ok(r.code === 0 || r.code === 1, r.out)
  const ring = readRingFileSync(ringFile)
  t.same(ring.replica2part2dev.map((a) => a.length), [256, 256, 128])
  t.equal(ring.devs[2], null, 'removed device leaves a hole')
  t.notOk(ring.replica2part2dev.some((a) => a.includes(2)))
})

t.test('bad input: one-line error, exit 2, builder file untouched', async (t) => {
  const before = readFileSync(builder)
  const cases: [string[], RegExp][] = [
    [['add', 'r1z1-127.0.0.1/sdb9', '100'], /Invalid port in add value/],
    [['add', 'r1z1-127.0.0.1:6200/sdb1', '100'], /Device 0 already uses 127\.0\.0\.1:6200\/sdb1\./],
    [['add', 'r1z1-127.0.0.9:6200/sdb1', '-5'], /Invalid weight value: r1z1-127\.0\.0\.9:6200\/sdb1/],
    [['add', 'r1z1-127.0.0.9:6200/sdb1', 'heavy'], /invalid number value for weight/],
    [['add', 'r1z1-127.0.0.9:6200/ok', '1', 'r1z1-127.0.0.1:6201/sdb2', '1'], /already uses/],
    [['set_weight', 'd0', '-1'], /Invalid weight value/],
    [['set_weight', 'z7', '10'], /matched 0 devices/],
    [['set_replicas', '0.5'], /Replica count must be at least 1\./],
    [['set_overload', '-1'], /Overload must be non-negative\./],
    [['search', 'q1'], /Invalid <search-value>/],
    [['frobnicate'], /Unknown command: frobnicate/],
  ]
  for (const [args, message] of cases) {
    const r = await rb(builder, ...args)
    t.equal(r.code, 2, args.join(' '))
    t.match(r.err, message, args.join(' '))
    t.equal(r.err.split('\n').length, 1, 'one line')
  }
  t.ok(readFileSync(builder).equals(before), 'builder file unchanged byte for byte')
  const fresh = join(dir, 'fresh.builder')
  for (const args of [['create', '0', '3', '1'], ['create', '33', '3', '1'], ['create', '8', '0.5', '1'], ['create', '8', '3', '-1'], ['create', 'x', '3', '1']]) {
    const r = await rb(fresh, ...args)
    t.equal(r.code, 2, args.join(' '))
    t.equal(r.err.split('\n').length, 1)
  }
  t.notOk(existsSync(fresh), 'no file created by a bad create')
  t.equal((await rb(join(dir, 'missing.builder'), 'rebalance')).code, 2)
  const corrupt = join(dir, 'corrupt.builder')
  writeFileSync(corrupt, 'garbage')
  const r = await rb(corrupt, 'add', 'r1z1-127.0.0.1:6200/sdb1', '100')
  t.equal(r.code, 2)
  t.match(r.err, 'Ring Builder file is invalid')
  t.equal(readFileSync(corrupt, 'utf8'), 'garbage', 'a corrupt file is left as it was')
})

t.test('backups', async (t) => {
  const backups = readdirSync(join(dir, 'backups'))
  t.ok(backups.some((f) => /^\d+\.object\.builder$/.test(f)), 'builder backups')
  t.ok(backups.some((f) => /^\d+\.object\.ring\.gz$/.test(f)), 'ring backups')
})

t.test('the real entry point: exit codes, streams, --help', async (t) => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import=tsx', join(ROOT, 'bin/ring-builder.ts'), ...args], { cwd: ROOT, encoding: 'utf8' })
  const help = run('--help')
  t.equal(help.status, 0)
  for (const cmd of ['create', 'add', 'remove', 'set_weight', 'set_info', 'set_replicas', 'set_overload', 'rebalance',
    'pretend_min_part_hours_passed', 'dispersion', 'validate', 'search', 'list_parts', 'write_ring']) {
    t.match(help.stdout, `ring-builder <builder_file> ${cmd}`, `--help documents ${cmd}`)
  }
  const bad = run(builder, 'add', 'nonsense', '1')
  t.equal(bad.status, 2)
  t.equal(bad.stderr.trim().split('\n').length, 1)
  t.equal(bad.stdout, '')
})

t.test('Swift loads the ring Tern wrote', async (t) => {
  if (!requirePython(t, 'swift', 'python3-swift')) return
  const script = 'import sys, json\nfrom swift.common.ring import RingData\nr = RingData.load(sys.argv[1])\n' +
    'print(json.dumps({"shift": r._part_shift, "lens": [len(a) for a in r._replica2part2dev_id], ' +
    '"first": [a[0] for a in r._replica2part2dev_id], "devs": [d and d["device"] for d in r.devs]}))'
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script, ringFile], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  const got = JSON.parse(r.stdout) as { shift: number; lens: number[]; first: number[]; devs: (string | null)[] }
  const ours = readRingFileSync(ringFile)
  t.equal(got.shift, ours.partShift)
  t.same(got.lens, ours.replica2part2dev.map((a) => a.length))
  t.same(got.first, ours.replica2part2dev.map((a) => a[0]))
  t.same(got.devs, ours.devs.map((d) => d && d.device))
})
