// Command-line options of `npm run bench` (bench/run.ts). Pure: argv in, frozen options out,
// an ArgsError with a stable code for anything it cannot accept.

export type TargetName = 'tern' | 'swift' | 'sink'
export type ApiName = 'swift' | 's3'
export const TARGETS: readonly TargetName[] = ['tern', 'swift', 'sink']
export const APIS: readonly ApiName[] = ['swift', 's3']

export class ArgsError extends Error {
  readonly code = 'ERR_BENCH_ARGS'
  constructor(message: string) {
    super(message)
    this.name = 'ArgsError'
  }
}

export interface BenchOptions {
  /** Targets measured, in the order each round visits them (A B A B ...). */
  targets: TargetName[]
  apis: ApiName[]
  rounds: number
  /** Unrecorded rounds of every scenario before the first measured one. */
  warmupRounds: number
  /** Seconds per scenario run in the warm-up rounds. */
  warmupSec: number
  durationSec: number
  concurrency: number[]
  /** Concurrency levels for 64 MiB objects (default: those of --concurrency up to 16). */
  largeConcurrency: number[] | undefined
  /** Substrings; a scenario runs when its name contains any of them (empty: all). */
  scenarios: string[]
  workers: number
  listingObjects: number
  machine: boolean
  quick: boolean
  /** PEER_SWIFT_FS for a peer built by the bench: xfs (Tern's data then goes on the same image) or dir. */
  fs: 'xfs' | 'dir'
  outDir: string
  save: boolean
  keep: boolean
  help: boolean
}

export const USAGE = `usage: npm run bench -- [options]

  --vs swift            measure Tern and OpenStack Swift alternately (same as --target tern,swift)
  --target LIST         tern, swift, sink (comma separated; default tern)
  --api LIST            swift, s3 (default swift,s3; swift with --quick)
  --rounds N            rounds per scenario and target (default 3; 1 with --quick)
  --warmup N            unrecorded rounds first, to reach steady state (default 1; 0 with --quick)
  --duration S          seconds per scenario run (default 10; 2 with --quick)
  --warmup-duration S   seconds per scenario run in the warm-up rounds (default: --duration, at least 15)
  --concurrency LIST    concurrent requests (default 1,16,64; 1,16 with --quick)
  --large-concurrency LIST  levels for 64 MiB objects (default: --concurrency capped at 16)
  --scenario LIST       only scenarios whose name contains one of these (put-4k, get-64m, list, ...)
  --workers N           worker processes per server, the same for Tern and Swift (default 1)
  --listing-objects N   objects in the listing container (default 1000000; 20000 with --quick)
  --machine / --no-machine   measure the machine's own limits (disk, fsync, HTTP sink); default on
  --fs xfs|dir          where both clusters keep data: the peer's XFS image (default) or plain dirs
  --quick               a small subset that finishes in under two minutes
  --out DIR             results folder (default bench/results); --no-save writes nothing
  --keep                leave the clusters running afterwards
`

function positiveInt(flag: string, text: string, min = 1): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min) throw new ArgsError(`${flag} needs an integer >= ${min}, got "${text}"`)
  return n
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new ArgsError(`${flag} needs a number > 0, got "${text}"`)
  return n
}

function list<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean)
  if (items.length === 0) throw new ArgsError(`${flag} needs at least one of ${allowed.join(', ')}`)
  for (const item of items) if (!allowed.includes(item as T)) throw new ArgsError(`${flag}: unknown "${item}" (one of ${allowed.join(', ')})`)
  return [...new Set(items as T[])]
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const given = new Map<string, string>()
  const flags = new Set<string>()
  const VALUED = new Set(['--large-concurrency', '--vs', '--target', '--api', '--rounds', '--warmup', '--warmup-duration', '--duration', '--concurrency', '--scenario', '--workers', '--listing-objects', '--fs', '--out'])
  const BOOLEAN = new Set(['--quick', '--machine', '--no-machine', '--no-save', '--keep', '--help', '-h'])
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (VALUED.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new ArgsError(`${name} needs a value`)
      given.set(name, value)
    } else if (BOOLEAN.has(name) && eq < 0) {
      flags.add(name)
    } else {
      throw new ArgsError(`unknown option "${arg}"`)
    }
  }
  const quick = flags.has('--quick')
  let targets: TargetName[] = ['tern']
  if (given.has('--vs')) {
    const peer = given.get('--vs')!
    if (peer !== 'swift') throw new ArgsError(`--vs: only "swift" is a known peer, got "${peer}"`)
    if (given.has('--target')) throw new ArgsError('--vs swift and --target are exclusive')
    targets = ['tern', 'swift']
  }
  if (given.has('--target')) targets = list('--target', given.get('--target')!, TARGETS)
  const fs = given.get('--fs') ?? 'xfs'
  if (fs !== 'xfs' && fs !== 'dir') throw new ArgsError(`--fs must be xfs or dir, got "${fs}"`)
  if (flags.has('--machine') && flags.has('--no-machine')) throw new ArgsError('--machine and --no-machine are exclusive')
  const concurrency = given.has('--concurrency')
    ? [...new Set(given.get('--concurrency')!.split(',').map((s) => positiveInt('--concurrency', s.trim())))]
    : quick ? [1, 16] : [1, 16, 64]
  const durationSec = given.has('--duration') ? positiveNumber('--duration', given.get('--duration')!) : quick ? 2 : 10
  return {
    targets,
    apis: given.has('--api') ? list('--api', given.get('--api')!, APIS) : quick ? ['swift'] : ['swift', 's3'],
    rounds: given.has('--rounds') ? positiveInt('--rounds', given.get('--rounds')!) : quick ? 1 : 3,
    warmupRounds: given.has('--warmup') ? positiveInt('--warmup', given.get('--warmup')!, 0) : quick ? 0 : 1,
    durationSec,
    // V8 reaches its steady state on a request kind after a few thousand requests of it (a 4 KiB
    // PUT on the all-in-one cost ~15 ms of cluster CPU at first, ~7 after ~3,000): a warm-up round
    // as short as the measured ones left its first measured rounds still warming up.
    warmupSec: given.has('--warmup-duration') ? positiveNumber('--warmup-duration', given.get('--warmup-duration')!) : quick ? durationSec : Math.max(durationSec, 15),
    concurrency,
    largeConcurrency: given.has('--large-concurrency')
      ? [...new Set(given.get('--large-concurrency')!.split(',').map((s) => positiveInt('--large-concurrency', s.trim())))]
      : undefined,
    scenarios: given.has('--scenario') ? given.get('--scenario')!.split(',').map((s) => s.trim()).filter(Boolean) : [],
    workers: given.has('--workers') ? positiveInt('--workers', given.get('--workers')!) : 1,
    listingObjects: given.has('--listing-objects') ? positiveInt('--listing-objects', given.get('--listing-objects')!, 0) : quick ? 20_000 : 1_000_000,
    machine: !flags.has('--no-machine'),
    quick,
    fs,
    outDir: given.get('--out') ?? 'bench/results',
    save: !flags.has('--no-save'),
    keep: flags.has('--keep'),
    help: flags.has('--help') || flags.has('-h'),
  }
}
