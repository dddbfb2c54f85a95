// The servers' cost as the kernel sees it: CPU (utime+stime from /proc/<pid>/stat) and resident
// memory (VmRSS / VmHWM from /proc/<pid>/status), summed over a cluster's process trees. A
// cluster is named by its root pids (tern start's pid; the peer's pid files); every live
// descendant is counted, so forked workers are included.
import { readFileSync, readdirSync } from 'node:fs'

const CLOCK_TICKS = 100 // USER_HZ: 100 on every Linux ABI node runs on

export interface ProcSample {
  pid: number
  ppid: number
  comm: string
  /** utime + stime, seconds. */
  cpuSeconds: number
  /** Start time since boot, in ticks: with pid, identifies the process across samples. */
  startTicks: number
}

/** Parses one /proc/<pid>/stat line (comm may hold spaces and parentheses). */
export function parseStat(line: string): ProcSample | undefined {
  const open = line.indexOf('(')
  const close = line.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const pid = Number(line.slice(0, open).trim())
  const rest = line.slice(close + 2).split(' ')
  // rest[0] is field 3 (state): field N is rest[N - 3].
  const ppid = Number(rest[1])
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  const start = Number(rest[19])
  if (![pid, ppid, utime, stime, start].every(Number.isFinite)) return undefined
  return { pid, ppid, comm: line.slice(open + 1, close), cpuSeconds: (utime + stime) / CLOCK_TICKS, startTicks: start }
}

/** A "kB" line of /proc/<pid>/status (VmRSS, VmHWM), in bytes; undefined when absent. */
export function statusKb(status: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return m ? Number(m[1]) * 1024 : undefined
}

function readStat(pid: number): ProcSample | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined // exited between listing and reading
  }
}

export function allProcesses(): ProcSample[] {
  const out: ProcSample[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const s = readStat(Number(name))
    if (s) out.push(s)
  }
  return out
}

/** The roots and all their descendants among `procs`. */
export function processTree(procs: readonly ProcSample[], roots: readonly number[]): ProcSample[] {
  const children = new Map<number, ProcSample[]>()
  for (const p of procs) {
    const list = children.get(p.ppid)
    if (list) list.push(p)
    else children.set(p.ppid, [p])
  }
  const byPid = new Map(procs.map((p) => [p.pid, p]))
  const seen = new Set<number>()
  const out: ProcSample[] = []
  const stack = roots.filter((r) => byPid.has(r))
  while (stack.length) {
    const pid = stack.pop()!
    if (seen.has(pid)) continue
    seen.add(pid)
    out.push(byPid.get(pid)!)
    for (const c of children.get(pid) ?? []) stack.push(c.pid)
  }
  return out
}

/**
 * CPU seconds spent between two samples of the same tree. A process present in both counts
 * its difference; one born in between counts all it used (a restarted worker's past is lost
 * with it, which the run's error count would show anyway).
 */
export function cpuBetween(before: readonly ProcSample[], after: readonly ProcSample[]): number {
  const prior = new Map(before.map((p) => [`${p.pid}:${p.startTicks}`, p.cpuSeconds]))
  let total = 0
  for (const p of after) total += p.cpuSeconds - (prior.get(`${p.pid}:${p.startTicks}`) ?? 0)
  return total
}

/** Summed VmRSS of the given pids, bytes. */
export function rssOf(pids: readonly number[]): number {
  return rssEach(pids).reduce((a, b) => a + b, 0)
}

/** VmRSS of each of the given pids, bytes (0 for one that exited). */
export function rssEach(pids: readonly number[]): number[] {
  return pids.map((pid) => {
    try {
      return statusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS') ?? 0
    } catch {
      return 0
    }
  })
}

/**
 * A short name for a server process from its command line: the interpreter and its flags
 * dropped, each remaining argument's base name without extension ("tern all-in-one-server node
 * node1", "swift-object-server 1"), so a report can say which process was the largest.
 */
export function processLabel(cmdline: readonly string[]): string {
  const args = cmdline.slice(1).filter((a) => a !== '' && !a.startsWith('-'))
  const words = args.map((a) => (a.split('/').pop() ?? a).replace(/\.(ts|js|conf|py)$/, ''))
  return words.join(' ').slice(0, 60) || (cmdline[0] ?? '?')
}

function labelOf(pid: number): string {
  try {
    return processLabel(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'))
  } catch {
    return String(pid)
  }
}

/**
 * Samples a cluster's tree: CPU before/after a run, the peak of its summed RSS during it, and
 * the peak RSS of its largest process (the memory target is per server).
 */
export class ClusterMeter {
  #timer: NodeJS.Timeout | undefined
  #peak = 0
  #peakProcess = 0
  #peakProcessPid = 0
  #labels = new Map<number, string>()
  #before: ProcSample[] = []
  #pids: number[] = []

  constructor(readonly roots: () => number[]) {}

  tree(): ProcSample[] {
    return processTree(allProcesses(), this.roots())
  }

  start(sampleMs = 250): void {
    this.#before = this.tree()
    this.#pids = this.#before.map((p) => p.pid)
    this.#peak = 0
    this.#peakProcess = 0
    this.#peakProcessPid = 0
    this.#labels = new Map(this.#pids.map((pid) => [pid, labelOf(pid)]))
    this.#sample(this.#pids)
    this.#timer = setInterval(() => this.#sample(this.#pids), sampleMs)
    this.#timer.unref()
  }

  stop(): { cpuSeconds: number; peakRssBytes: number; peakProcessRssBytes: number; largestProcess: string; processes: number } {
    if (this.#timer) clearInterval(this.#timer)
    const after = this.tree()
    this.#sample(after.map((p) => p.pid))
    const largestProcess = this.#labels.get(this.#peakProcessPid) ?? labelOf(this.#peakProcessPid)
    return { cpuSeconds: cpuBetween(this.#before, after), peakRssBytes: this.#peak, peakProcessRssBytes: this.#peakProcess, largestProcess, processes: after.length }
  }

  #sample(pids: readonly number[]): void {
    const each = rssEach(pids)
    this.#peak = Math.max(this.#peak, each.reduce((a, b) => a + b, 0))
    each.forEach((rss, i) => {
      if (rss <= this.#peakProcess) return
      this.#peakProcess = rss
      this.#peakProcessPid = pids[i]!
    })
  }
}
