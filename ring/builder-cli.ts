// The commands of `ring-builder` (swift/cli/ringbuilder.py): same names, arguments, output
// lines and exit codes (0 done, 1 warning, 2 error). Errors are one line on stderr. Nothing is
// written until a command has fully succeeded; every save is atomic and leaves a backup in
// backups/ (Swift backs up only on create and rebalance; Tern on every change).
import { existsSync } from 'node:fs'
import { BuilderError } from './builder-errors.ts'
import { MAX_BALANCE, RingBuilder } from './builder.ts'
import type { BuilderDevice } from './builder.ts'
import { backupPath, loadBuilder, saveBuilder } from './builder-file.ts'
import { deviceTable, fixed, pad, pyFloat, pyRepr, searchTable, timedelta } from './builder-cli-format.ts'
import { COMMAND_HELP, fullHelp } from './builder-cli-help.ts'
import {
  DEVICE_OPTIONS, DISPERSION_OPTIONS, REBALANCE_OPTIONS, changeFromOptions, deviceFromOptions, parseNumber,
  parseOptions, searchFromOptions, usesDeviceOptions,
} from './builder-cli-options.ts'
import type { OptionValues } from './builder-cli-options.ts'
import { formatDevice, parseAddValue, parseChangeValue, parseSearchValue, SEARCH_VALUE_HELP } from './device-parse.ts'
import type { NewDevice, SearchValues } from './device-parse.ts'
import { dispersionReport } from './dispersion.ts'
import { readRingFileSync, writeRingFileSync } from './io.ts'
import type { RingData } from './types.ts'

export const EXIT_SUCCESS = 0
export const EXIT_WARNING = 1
export const EXIT_ERROR = 2

export interface CliIo {
  out(line: string): void
  err(line: string): void
  /** Asks a yes/no question; absent means "no" (non-interactive). */
  ask?(question: string): Promise<string>
}

/** Ends a command with an exit status (and optional lines to print first). */
class Exit extends Error {
  constructor(readonly status: number, readonly lines: string[] = [], readonly toStderr = false) {
    super(`exit ${status}`)
  }
}

const fail = (...lines: string[]): never => {
  throw new Exit(EXIT_ERROR, lines, true)
}
const usage = (cmd: string, withSearch = false): never => {
  throw new Exit(EXIT_ERROR, [COMMAND_HELP[cmd] as string, ...(withSearch ? ['', SEARCH_VALUE_HELP] : [])])
}

export function builderAndRingPaths(arg: string): { builderFile: string; ringFile: string } {
  if (arg.endsWith('.ring.gz')) return { builderFile: `${arg.slice(0, -'.ring.gz'.length)}.builder`, ringFile: arg }
  const ringBase = arg.endsWith('.builder') ? arg.slice(0, -'.builder'.length) : arg
  return { builderFile: arg, ringFile: `${ringBase}.ring.gz` }
}

class Session {
  builder!: RingBuilder
  constructor(readonly io: CliIo, readonly argv: string[], readonly builderFile: string, readonly ringFile: string) {}

  save(): void {
    saveBuilder(this.builder, backupPath(this.builderFile))
    saveBuilder(this.builder, this.builderFile)
  }

  writeRing(ring: RingData): void {
    writeRingFileSync(backupPath(this.ringFile), ring)
    writeRingFileSync(this.ringFile, ring)
  }

  search(value: string): BuilderDevice[] {
    return this.builder.searchDevs(parseSearchValue(value))
  }

  /** Swift's check_devs: none matched is an error; several need --yes or a "y". */
  async confirm(devs: BuilderDevice[], question: string, abort: string, opts: OptionValues): Promise<void> {
    if (devs.length === 0) fail('Search value matched 0 devices. The on-disk ring builder is unchanged.')
    if (devs.length > 1) {
      this.io.out('Matched more than one device:')
      for (const d of devs) this.io.out(`    ${formatDevice(d)}`)
      const answer = opts.yes ? 'y' : this.io.ask ? await this.io.ask(question) : ''
      if (answer.trim() !== 'y') fail(abort)
    }
  }

  /** Devices from `<search-value> ...` or from --options (not both). */
  devicesFrom(cmd: string, args: readonly string[], opts: OptionValues): BuilderDevice[] {
    if (args.length > 0) {
      if (usesDeviceOptions(opts)) usage(cmd, true)
      const seen = new Set<BuilderDevice>()
      for (const a of args) for (const d of this.search(a)) seen.add(d)
      return [...seen]
    }
    return this.builder.searchDevs(searchFromOptions(opts))
  }
}

type Command = (s: Session) => Promise<number> | number

function parseIntArg(text: string | undefined, what: string): number {
  if (text === undefined) throw new BuilderError('EINVALIDVALUE', `missing ${what}`)
  return parseNumber(text, 'int', what)
}

function parseFloatArg(text: string, what: string): number {
  return parseNumber(text, 'float', what)
}

const commands: Record<string, Command> = {
  default(s) {
    const b = s.builder
    const out = s.io.out
    out(`${s.builderFile}, build version ${b.version}, id ${b.id ?? '(not assigned)'}`)
    const devs = [...b.iterDevs()]
    let balance = 0
    let emptyError: string | null = null
    let balances: Map<number, number> | null = null
    try {
      balance = b.getBalance()
      balances = b.balancePerDev()
    } catch (err) {
      if ((err as BuilderError).code !== 'EEMPTYRING') throw err
      emptyError = (err as Error).message
    }
    const regions = new Set(devs.map((d) => d.region)).size
    const zones = new Set(devs.map((d) => `${d.region}/${d.zone}`)).size
    const dispersion = b.dispersion === null ? '' : `, ${fixed(b.dispersion, 2)} dispersion`
    out(`${b.parts} partitions, ${fixed(b.replicas, 6)} replicas, ${regions} regions, ${zones} zones, ` +
      `${devs.length} devices, ${fixed(balance, 2)} balance${dispersion}`)
    out(`The minimum number of hours before a partition can be reassigned is ${b.minPartHours} ` +
      `(${timedelta(b.minPartSecondsLeft)} remaining)`)
    out(`The overload factor is ${fixed(b.overload * 100, 2)}% (${fixed(b.overload, 6)})`)
    if (!existsSync(s.ringFile)) {
      out(`Ring file ${s.ringFile} not found, probably it hasn't been written yet`)
    } else {
      try {
        const onDisk = readRingFileSync(s.ringFile)
        out(`Ring file ${s.ringFile} is ${sameRing(b.getRing(), onDisk) ? 'up-to-date' : 'obsolete'}`)
      } catch (err) {
        out(`Ring file ${s.ringFile} is invalid: ${(err as Error).message}`)
      }
    }
    for (const line of deviceTable(b, balances)) out(line)
    if (emptyError) out(emptyError)
    return EXIT_SUCCESS
  },

  create(s) {
    const [pp, replicas, mph] = s.argv.slice(2)
    if (mph === undefined) usage('create')
    s.builder = new RingBuilder(parseIntArg(pp, 'part_power'), parseFloatArg(replicas as string, 'replicas'),
      parseIntArg(mph, 'min_part_hours'))
    s.save()
    return EXIT_SUCCESS
  },

  add(s) {
    const { opts, args } = parseOptions(s.argv.slice(2), DEVICE_OPTIONS)
    if (args.length === 0 && !usesDeviceOptions(opts)) usage('add')
    if (s.builder.nextPartPower !== null) fail('Partition power increase in progress. You need to finish the increase first before adding devices.')
    const devs: NewDevice[] = []
    if (args.length > 0) {
      if (usesDeviceOptions(opts) || args.length % 2 !== 0) usage('add')
      for (let i = 0; i < args.length; i += 2) {
        const devstr = args[i] as string
        const parsed = parseAddValue(devstr)
        const weight = parseFloatArg(args[i + 1] as string, 'weight')
        if (weight < 0) fail(`Invalid weight value: ${devstr}`)
        if (parsed.region === undefined) s.io.err(`WARNING: No region specified for ${devstr}. Defaulting to region 1.`)
        devs.push({ ...parsed, region: parsed.region ?? 1, weight })
      }
    } else {
      devs.push(deviceFromOptions(opts))
    }
    for (const dev of devs) {
      const id = s.builder.addDev(dev)
      s.io.out(`Device ${formatDevice({ ...dev, id })} with ${pyFloat(dev.weight)} weight got id ${id}`)
    }
    s.save()
    return EXIT_SUCCESS
  },

  search(s) {
    if (s.argv.length < 3) usage('search', true)
    const { opts, args } = parseOptions(s.argv.slice(2), DEVICE_OPTIONS)
    let search: SearchValues
    if (args.length > 0) {
      if (usesDeviceOptions(opts) || args.length !== 1) usage('search')
      search = parseSearchValue(args[0] as string)
    } else {
      search = searchFromOptions(opts)
    }
    const devs = s.builder.searchDevs(search)
    if (devs.length === 0) fail('No matching devices found')
    for (const line of searchTable(s.builder, devs)) s.io.out(line)
    return EXIT_SUCCESS
  },

  list_parts(s) {
    if (s.argv.length < 3) usage('list_parts', true)
    const r2p2d = s.builder.replica2part2dev
    if (!r2p2d) fail(`Specified builder file "${s.builderFile}" is not rebalanced yet. Please rebalance first.`)
    const { opts, args } = parseOptions(s.argv.slice(2), DEVICE_OPTIONS)
    const devs = s.devicesFrom('list_parts', args, opts)
    if (devs.length === 0) fail('No matching devices found')
    const wanted = new Uint8Array(s.builder.devs.length)
    for (const d of devs) wanted[d.id] = 1
    const count = new Int32Array(s.builder.parts)
    const order: number[] = []
    for (const p2d of r2p2d ?? []) {
      for (let part = 0; part < p2d.length; part++) {
        if (wanted[p2d[part] as number] !== 1) continue
        if (count[part] === 0) order.push(part)
        count[part] = (count[part] as number) + 1
      }
    }
    if (order.length === 0) fail('No matching devices found')
    order.sort((a, b) => (count[b] as number) - (count[a] as number))
    s.io.out('Partition   Matches')
    for (const part of order) s.io.out(`${pad(part, 9)}   ${pad(count[part] as number, 7)}`)
    return EXIT_SUCCESS
  },

  async set_weight(s) {
    if (s.argv.length < 4) usage('set_weight', true)
    const { opts, args } = parseOptions(s.argv.slice(2), DEVICE_OPTIONS)
    const pairs: [BuilderDevice[], number][] = []
    if (!usesDeviceOptions(opts)) {
      if (args.length % 2 !== 0) usage('set_weight')
      for (let i = 0; i < args.length; i += 2) pairs.push([s.search(args[i] as string), parseFloatArg(args[i + 1] as string, 'weight')])
    } else {
      if (args.length !== 1) usage('set_weight')
      pairs.push([s.builder.searchDevs(searchFromOptions(opts)), parseFloatArg(args[0] as string, 'weight')])
    }
    for (const [devs, weight] of pairs) {
      if (weight < 0) fail(`Invalid weight value: ${weight}`)
      await s.confirm(devs, `Are you sure you want to update the weight for these ${devs.length} devices? (y/N) `, 'Aborting device modifications', opts)
      for (const d of devs) {
        s.builder.setDevWeight(d.id, weight)
        s.io.out(`${formatDevice(d)} weight set to ${pyFloat(d.weight)}`)
      }
    }
    s.save()
    return EXIT_SUCCESS
  },

  set_region: (s) => setPlacement(s, 'region'),
  set_zone: (s) => setPlacement(s, 'zone'),

  async set_info(s) {
    if (s.argv.length < 4) usage('set_info', true)
    const { opts, args } = parseOptions(s.argv.slice(2), DEVICE_OPTIONS)
    const jobs: [BuilderDevice[], Record<string, unknown>][] = []
    if (!usesDeviceOptions(opts)) {
      if (args.length % 2 !== 0) usage('set_info')
      for (let i = 0; i < args.length; i += 2) jobs.push([s.search(args[i] as string), { ...parseChangeValue(args[i + 1] as string) }])
    } else {
      jobs.push([s.builder.searchDevs(searchFromOptions(opts)), { ...changeFromOptions(opts) }])
    }
    for (const [devs, change] of jobs) {
      await s.confirm(devs, `Are you sure you want to update the info for these ${devs.length} devices? (y/N) `, 'Aborting device modifications', opts)
      for (const d of devs) {
        const before = formatDevice(d)
        const next = { ...d, ...change }
        for (const other of s.builder.iterDevs()) {
          if (other.id !== d.id && other.ip === next.ip && other.port === next.port && other.device === next.device) {
            fail(`Device ${other.id} already uses ${other.ip}:${other.port}/${other.device}.`)
          }
        }
        Object.assign(d, change)
        s.io.out(`Device ${before} is now ${formatDevice(d)}`)
      }
    }
    s.save()
    return EXIT_SUCCESS
  },

  async remove(s) {
    if (s.argv.length < 3) usage('remove', true)
    if (s.builder.nextPartPower !== null) fail('Partition power increase in progress. You need to finish the increase first before removing devices.')
    const { opts, args } = parseOptions(s.argv.slice(2), DEVICE_OPTIONS)
    const devs = s.devicesFrom('remove', args, opts)
    await s.confirm(devs, `Are you sure you want to remove these ${devs.length} devices? (y/N) `, 'Aborting device removals', opts)
    for (const d of devs) {
      s.builder.removeDev(d.id)
      s.io.out(`${formatDevice(d)} marked for removal and will be removed next rebalance.`)
    }
    s.save()
    return EXIT_SUCCESS
  },

  rebalance(s) {
    const { opts, args } = parseOptions(s.argv.slice(2), REBALANCE_OPTIONS)
    const b = s.builder
    if (b.nextPartPower !== null) fail('Partition power increase in progress. You need to finish the increase first before rebalancing.')
    const devsChanged = b.devsChanged
    const secondsLeft = b.minPartSecondsLeft
    const lastDispersion = b.dispersion
    let lastBalance: number
    let result
    try {
      lastBalance = b.getBalance()
      result = b.rebalance((opts.seed as string | undefined) ?? args[0])
    } catch (err) {
      if (!(err instanceof BuilderError)) throw err
      return fail(`An error has occurred during ring validation: ${err.message}`)
    }
    const dispersion = b.dispersion ?? 0
    if (!(result.changedParts || opts.force || result.removedDevices)) {
      s.io.out('No partitions could be reassigned.')
      if (secondsLeft > 0) {
        s.io.out(`The time between rebalances must be at least min_part_hours: ${b.minPartHours} hours (${timedelta(b.minPartSecondsLeft)} remaining)`)
      } else {
        s.io.out('There is no need to do so at this time')
      }
      return EXIT_WARNING
    }
    const balanceChanged = Math.abs(lastBalance - result.balance) >= 1 ||
      (lastBalance === MAX_BALANCE && result.balance === MAX_BALANCE)
    const dispersionChanged = lastDispersion === null || Math.abs(lastDispersion - dispersion) >= 1
    if (!opts.force && !devsChanged && !balanceChanged && !dispersionChanged) {
      s.io.out('Cowardly refusing to save rebalance as it did not change at least 1%.')
      return EXIT_WARNING
    }
    try {
      b.validate()
    } catch (err) {
      return fail(`An error has occurred during ring validation: ${(err as Error).message}`)
    }
    s.io.out(`Reassigned ${result.changedParts} (${fixed((100 * result.changedParts) / b.parts, 2)}%) partitions. ` +
      `Balance is now ${fixed(result.balance, 2)}.  Dispersion is now ${fixed(dispersion, 2)}`)
    let status = EXIT_SUCCESS
    const rule = '-'.repeat(79)
    if (dispersion > 0) {
      s.io.out(rule)
      s.io.out(`NOTE: Dispersion of ${fixed(dispersion, 6)} indicates some parts are not\n      optimally dispersed.\n\n` +
        '      You may want to adjust some device weights, increase\n      the overload or review the dispersion report.')
      s.io.out(rule)
      status = EXIT_WARNING
    } else if (result.balance > 5 && result.balance / 100 > b.overload) {
      s.io.out(rule)
      s.io.out(`NOTE: Balance of ${fixed(result.balance, 2)} indicates you should push this `)
      s.io.out(`      ring, wait at least ${b.minPartHours} hours, and rebalance/repush.`)
      s.io.out(rule)
      status = EXIT_WARNING
    }
    s.writeRing(b.getRing())
    s.save()
    return status
  },

  dispersion(s) {
    const b = s.builder
    if (!b.replica2part2dev) fail(`Specified builder file "${s.builderFile}" is not rebalanced yet. Please rebalance first.`)
    const { opts, args } = parseOptions(s.argv.slice(2), DISPERSION_OPTIONS)
    const tree = b.tierTree()
    const graph = b.dispersionGraph()
    if (opts.recalculate || b.dispersion === null) {
      b.dispersion = graph.dispersion
      b.version++
      s.save()
    }
    const report = dispersionReport(tree, graph, (id) => b.devs[id]?.device ?? `IDd${id}`, args[0])
    s.io.out(`Dispersion is ${fixed(b.dispersion ?? 0, 6)}, Balance is ${fixed(b.getBalance(), 6)}, Overload is ${fixed(b.overload * 100, 2)}%`)
    s.io.out(`Required overload is ${fixed(b.getRequiredOverload() * 100, 6)}%`)
    let status = EXIT_SUCCESS
    if (report.worstTier) {
      status = EXIT_WARNING
      s.io.out(`Worst tier is ${fixed(report.maxDispersion, 6)} (${report.worstTier})`)
    }
    if (opts.verbose && report.rows.length > 0) {
      const range = Array.from({ length: Math.ceil(b.replicas + 1) }, (_, i) => i)
      const cw = Math.max(String(b.parts).length, 5)
      const tw = Math.max(30, ...report.rows.map((r) => r.name.length))
      const header = `${pad('Tier', -tw)} ${pad('Parts', cw)} ${pad('%', 6)} ${pad('Max', 6)} ${range.map((i) => pad(i, cw)).join(' ')}`
      s.io.out('-'.repeat(header.length))
      s.io.out(header)
      s.io.out('-'.repeat(header.length))
      for (const r of report.rows) {
        s.io.out(`${pad(r.name, -tw)} ${pad(r.placedParts, cw)} ${fixed(r.dispersion, 2, 6)} ${pad(r.maxReplicas, 6)} ` +
          range.map((i) => pad(r.replicas[i] ?? 0, cw)).join(' '))
      }
    }
    return status
  },

  validate(s) {
    s.builder.validate()
    return EXIT_SUCCESS
  },

  write_ring(s) {
    const b = s.builder
    if (b.devs.length === 0) fail('Unable to write empty ring.')
    const ring = b.getRing()
    if (ring.replica2part2dev.length === 0 && ring.devs.length > 0) {
      s.io.out('Warning: Writing a ring with no partition assignments but with devices; did you forget to run "rebalance"?')
    }
    writeRingFileSync(backupPath(s.ringFile), ring)
    writeRingFileSync(s.ringFile, ring)
    return EXIT_SUCCESS
  },

  pretend_min_part_hours_passed(s) {
    s.builder.pretendMinPartHoursPassed()
    s.save()
    return EXIT_SUCCESS
  },

  set_min_part_hours(s) {
    if (s.argv.length < 3) usage('set_min_part_hours')
    s.builder.changeMinPartHours(parseIntArg(s.argv[2], 'hours'))
    s.io.out(`The minimum number of hours before a partition can be reassigned is now set to ${s.argv[2]}`)
    s.save()
    return EXIT_SUCCESS
  },

  set_replicas(s) {
    if (s.argv.length < 3) usage('set_replicas')
    const text = s.argv[2] as string
    let replicas: number
    try {
      replicas = parseFloatArg(text, 'replicas')
    } catch {
      return fail(`"${text}" is not a valid number.`)
    }
    if (replicas < 1) fail('Replica count must be at least 1.')
    s.builder.setReplicas(replicas)
    s.io.out(`The replica count is now ${fixed(s.builder.replicas, 6)}.`)
    s.io.out('The change will take effect after the next rebalance.')
    s.save()
    return EXIT_SUCCESS
  },

  set_overload(s) {
    if (s.argv.length < 3) usage('set_overload')
    let text = s.argv[2] as string
    const percent = text.endsWith('%')
    if (percent) text = text.replace(/%+$/, '')
    let overload: number
    try {
      overload = parseFloatArg(text, 'overload')
    } catch {
      return fail(`${pyRepr(text)} is not a valid number.`)
    }
    if (percent) overload *= 0.01
    if (overload < 0) fail('Overload must be non-negative.')
    let status = EXIT_SUCCESS
    if (overload > 1 && !percent) {
      s.io.out('!?! Warning overload is greater than 100% !?!')
      status = EXIT_WARNING
    }
    s.builder.setOverload(overload)
    s.io.out(`The overload factor is now ${fixed(s.builder.overload * 100, 2)}% (${fixed(s.builder.overload, 6)})`)
    s.io.out('The change will take effect after the next rebalance.')
    s.save()
    return status
  },
}
commands.show = commands.default as Command

async function setPlacement(s: Session, what: 'region' | 'zone'): Promise<number> {
  if (s.argv.length < 4) usage(`set_${what}`, true)
  const { opts, args } = parseOptions(s.argv.slice(2), DEVICE_OPTIONS)
  const pairs: [BuilderDevice[], number][] = []
  if (!usesDeviceOptions(opts)) {
    if (args.length % 2 !== 0) usage(`set_${what}`)
    for (let i = 0; i < args.length; i += 2) pairs.push([s.search(args[i] as string), parseIntArg(args[i + 1], what)])
  } else {
    if (args.length !== 1) usage(`set_${what}`)
    pairs.push([s.builder.searchDevs(searchFromOptions(opts)), parseIntArg(args[0], what)])
  }
  for (const [devs, value] of pairs) {
    await s.confirm(devs, `Are you sure you want to update the ${what} for these ${devs.length} devices? (y/N) `, 'Aborting device modifications', opts)
    for (const d of devs) {
      if (what === 'region') s.builder.setDevRegion(d.id, value)
      else s.builder.setDevZone(d.id, value)
      s.io.out(`${formatDevice(d)} ${what} set to ${value}`)
    }
  }
  s.save()
  return EXIT_SUCCESS
}

function sameRing(a: RingData, b: RingData): boolean {
  if (a.partShift !== b.partShift || (a.version ?? null) !== (b.version ?? null)) return false
  if ((a.nextPartPower ?? null) !== (b.nextPartPower ?? null)) return false
  if (a.replica2part2dev.length !== b.replica2part2dev.length) return false
  for (let r = 0; r < a.replica2part2dev.length; r++) {
    const x = a.replica2part2dev[r] as Uint16Array
    const y = b.replica2part2dev[r] as Uint16Array
    if (x.length !== y.length || Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) !== 0) return false
  }
  const norm = (devs: RingData['devs']): string => JSON.stringify(devs.map((d) => d && Object.fromEntries(Object.entries(d).sort())))
  return norm(a.devs) === norm(b.devs)
}

/** Runs `ring-builder <argv...>`; returns the exit status. */
export async function runRingBuilder(argv: string[], io: CliIo): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(fullHelp())
      return EXIT_SUCCESS
    }
    const { builderFile, ringFile } = builderAndRingPaths(argv[0] as string)
    if (builderFile !== argv[0]) io.out(`Note: using ${builderFile} instead of ${argv[0]} as builder file`)
    const name = argv[1] ?? 'default'
    const command = commands[name]
    if (argv[1] === '--help' || argv[1] === '-h') {
      io.out(fullHelp())
      return EXIT_SUCCESS
    }
    const s = new Session(io, argv, builderFile, ringFile)
    if (name !== 'create') {
      try {
        s.builder = loadBuilder(builderFile)
      } catch (err) {
        if (!(err instanceof BuilderError)) throw err
        return fail(err.message)
      }
    }
    if (!command) return fail(`Unknown command: ${name}`)
    return await command(s)
  } catch (err) {
    if (err instanceof Exit) {
      for (const line of err.lines) (err.toStderr ? io.err : io.out)(line)
      return err.status
    }
    if (err instanceof BuilderError) {
      io.err(err.message)
      return EXIT_ERROR
    }
    io.err(`Error: ${(err as Error).message ?? String(err)}`)
    return EXIT_ERROR
  }
}
