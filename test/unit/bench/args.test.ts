import t from 'tap'
import { ArgsError, parseBenchArgs } from '../../../bench/lib/args.ts'
import { GROUPS, concurrencyFor, selectGroups } from '../../../bench/lib/scenarios.ts'

t.test('defaults', async (t) => {
  const o = parseBenchArgs([])
  t.same(o.targets, ['tern'])
  t.same(o.apis, ['swift', 's3'])
  t.equal(o.rounds, 3)
  t.equal(o.warmupRounds, 1)
  t.equal(o.durationSec, 10)
  t.equal(o.warmupSec, 15, 'warm-up runs last at least 15 s')
  t.same(o.concurrency, [1, 16, 64])
  t.equal(o.listingObjects, 1_000_000)
  t.equal(o.machine, true)
  t.equal(o.fs, 'xfs')
})

t.test('--vs swift, both value spellings, lists', async (t) => {
  const o = parseBenchArgs(['--vs', 'swift', '--rounds=5', '--duration', '2.5', '--concurrency', '1,64,64', '--api', 's3', '--scenario', 'put-4k,list', '--workers', '2', '--no-machine', '--fs=dir'])
  t.same(o.targets, ['tern', 'swift'])
  t.equal(o.rounds, 5)
  t.equal(o.durationSec, 2.5)
  t.same(o.concurrency, [1, 64], 'duplicates dropped')
  t.same(o.apis, ['s3'])
  t.same(o.scenarios, ['put-4k', 'list'])
  t.equal(o.workers, 2)
  t.equal(o.machine, false)
  t.equal(o.fs, 'dir')
  t.equal(o.largeConcurrency, undefined)
  t.same(parseBenchArgs(['--large-concurrency', '1,4']).largeConcurrency, [1, 4])
  t.equal(o.warmupSec, 15, 'short measured runs still warm up for 15 s')
  t.equal(parseBenchArgs(['--duration', '30']).warmupSec, 30, 'and as long as a measured run when that is longer')
  t.equal(parseBenchArgs(['--duration', '4', '--warmup-duration', '6']).warmupSec, 6)
})

t.test('--quick shrinks what was not given explicitly', async (t) => {
  const q = parseBenchArgs(['--quick'])
  t.equal(q.rounds, 1)
  t.equal(q.warmupRounds, 0)
  t.equal(parseBenchArgs(['--quick', '--warmup', '2']).warmupRounds, 2)
  t.equal(q.durationSec, 2)
  t.equal(q.warmupSec, 2)
  t.same(q.concurrency, [1, 16])
  t.equal(q.listingObjects, 20_000)
  t.same(q.apis, ['swift'])
  t.equal(parseBenchArgs(['--quick', '--rounds', '2']).rounds, 2)
})

t.test('bad input is an ArgsError with a stable code', async (t) => {
  for (const argv of [['--rounds', '0'], ['--rounds', 'x'], ['--warmup', '-1'], ['--duration', '-1'], ['--warmup-duration', '0'], ['--target', 'ceph'], ['--api', 'ftp'], ['--vs', 'ceph'], ['--bogus'], ['--rounds'], ['--vs', 'swift', '--target', 'sink'], ['--fs', 'ext4'], ['--concurrency', '0'], ['--machine', '--no-machine']]) {
    t.throws(() => parseBenchArgs(argv), { code: 'ERR_BENCH_ARGS' }, argv.join(' '))
  }
  t.ok(new ArgsError('x') instanceof Error)
})

t.test('scenario selection keeps each group self-contained', async (t) => {
  const all = selectGroups({ scenarios: [], quick: false })
  t.equal(all.length, GROUPS.length)
  const get = selectGroups({ scenarios: ['get-64m'], quick: false })
  t.same(get.map((g) => g.scenarios.map((s) => s.name)), [['put-64m', 'get-64m']], 'a GET brings the PUT that makes its objects')
  const list = selectGroups({ scenarios: ['list'], quick: false })
  t.same(list[0]?.apis, ['swift'], 'listing pages of 10,000 are a Swift API scenario')
  const quick = selectGroups({ scenarios: [], quick: true }).flatMap((g) => g.scenarios.map((s) => s.name))
  t.notOk(quick.includes('put-1m'))
  t.ok(quick.includes('list-10k'))
})

t.test('64 MiB objects stop at concurrency 16', async (t) => {
  const big = GROUPS.find((g) => g.name === '64m')!
  t.same(concurrencyFor(big, [1, 16, 64]), [1, 16])
  t.same(concurrencyFor(big, [64]), [64], 'never an empty list')
  t.same(concurrencyFor(GROUPS[0]!, [1, 16, 64]), [1, 16, 64])
})
