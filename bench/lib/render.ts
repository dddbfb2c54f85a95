// Views of a BenchResult: the markdown report (tables of medians, Tern/Swift ratios, the
// issue's targets met or missed, the machine's limits) and an SVG chart drawn by hand.
import type { TargetName } from './args.ts'
import type { BenchResult, SummaryRow } from './result.ts'
import { isUnavailable } from './result.ts'
import { sizeLabel } from './scenarios.ts'
import type { RoundsSummary } from './stats.ts'

export function fmt(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '–'
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US')
  if (Math.abs(n) >= 100) return n.toFixed(0)
  return n.toFixed(digits)
}

export function fmtRatio(r: number | null | undefined): string {
  return r === null || r === undefined ? '–' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`
}

function cell(s: RoundsSummary | { unavailable: string } | undefined, pick: (s: RoundsSummary) => string): string {
  if (s === undefined) return ''
  if (isUnavailable(s)) return 'n/a'
  if (s.validRounds === 0) return `invalid (${s.errors} errors)`
  return pick(s)
}

export interface TargetCheck {
  goal: string
  row: string
  value: string
  met: boolean
}

/** The issue's performance targets, evaluated on the medians. */
export function checkTargets(result: BenchResult): TargetCheck[] {
  const out: TargetCheck[] = []
  const label = (r: SummaryRow) => `${r.scenario} ${r.api} c=${r.concurrency}`
  for (const r of result.summary) {
    const x = r.ratios
    if (!x) continue
    if (r.size === 4096 && r.op !== 'list' && (r.concurrency === 16 || r.concurrency === 64)) {
      if (x.opsPerSec !== null) out.push({ goal: 'ops/s ≥ 5× Swift', row: label(r), value: fmtRatio(x.opsPerSec), met: x.opsPerSec >= 5 })
      if (x.cpuMsPerOp !== null) out.push({ goal: 'CPU/op ≤ 1/5 of Swift', row: label(r), value: fmtRatio(x.cpuMsPerOp), met: x.cpuMsPerOp <= 0.2 })
      if (x.p99Ms !== null) out.push({ goal: 'p99 ≤ Swift/3', row: label(r), value: fmtRatio(x.p99Ms), met: x.p99Ms <= 1 / 3 })
    }
    if (r.op === 'get' && r.size === 64 * 1024 * 1024 && x.mbPerSec !== null) out.push({ goal: '64 MiB GET ≥ 1.5× Swift MB/s', row: label(r), value: fmtRatio(x.mbPerSec), met: x.mbPerSec >= 1.5 })
    if (r.op === 'list' && x.opsPerSec !== null) out.push({ goal: 'listing ≥ 10× Swift pages/s', row: label(r), value: fmtRatio(x.opsPerSec), met: x.opsPerSec >= 10 })
  }
  for (const r of result.summary) {
    const t = r.byTarget.tern
    if (r.concurrency !== 64 || !t || isUnavailable(t) || t.medians.maxProcessRssMb === null) continue
    out.push({ goal: 'each server ≤ 200 MB RSS at c=64', row: label(r), value: `largest process ${fmt(t.medians.maxProcessRssMb, 0)} MB`, met: t.medians.maxProcessRssMb <= 200 })
  }
  const limit = putLimit(result)
  for (const r of result.summary) {
    const t = r.byTarget.tern
    if (r.op !== 'put' || r.size !== 64 * 1024 * 1024 || !t || isUnavailable(t) || t.medians.mbPerSec === null || limit === null) continue
    const f = t.medians.mbPerSec / limit
    out.push({ goal: '64 MiB PUT ≥ 90% of machine limit', row: label(r), value: `${(f * 100).toFixed(0)}% of ${fmt(limit)} MB/s`, met: f >= 0.9 })
  }
  return out
}

/** The machine's ceiling for a replicated PUT: the disk's sequential write shared by the replicas. */
export function putLimit(result: BenchResult): number | null {
  const d = result.machine?.disk
  return d ? d.writeMBps / result.setup.replicas : null
}

function summaryTable(rows: readonly SummaryRow[], targets: readonly TargetName[]): string[] {
  const both = targets.includes('tern') && targets.includes('swift')
  const head = ['scenario', 'api', 'conc.']
  for (const t of targets) head.push(`${t} ops/s`, `${t} MB/s`, `${t} p50 / p99 / max ms`, `${t} CPU ms/op`, `${t} RSS MB (largest process)`)
  if (both) head.push('ops/s tern/swift', 'p99 tern/swift', 'CPU/op tern/swift')
  head.push('rounds')
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const r of rows) {
    const cells = [r.scenario, r.api, String(r.concurrency)]
    const rounds: string[] = []
    for (const t of targets) {
      const s = r.byTarget[t]
      cells.push(
        cell(s, (x) => fmt(x.medians.opsPerSec)),
        cell(s, (x) => fmt(x.medians.mbPerSec)),
        cell(s, (x) => `${fmt(x.medians.p50Ms)} / ${fmt(x.medians.p99Ms)} / ${fmt(x.medians.maxMs)}`),
        cell(s, (x) => fmt(x.medians.cpuMsPerOp, 2)),
        cell(s, (x) => `${fmt(x.medians.peakRssMb, 0)} (${fmt(x.medians.maxProcessRssMb, 0)})`),
      )
      if (s && !isUnavailable(s)) rounds.push(`${s.validRounds}/${s.rounds}`)
    }
    if (both) cells.push(fmtRatio(r.ratios?.opsPerSec), fmtRatio(r.ratios?.p99Ms), fmtRatio(r.ratios?.cpuMsPerOp))
    cells.push(rounds.join(', '))
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines
}

export function renderMarkdown(result: BenchResult): string {
  const o = result.options
  const h = result.host
  const lines = [
    `# Tern benchmark — ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Command: \`${result.command}\`. Medians over ${o.rounds} round(s) of ${o.durationSec} s per scenario and target, targets alternated within each round (${o.targets.join(' → ')}).`,
    `Machine: ${h.cpus} × ${h.cpuModel}, ${h.memoryGb} GB RAM, Node ${h.node}; load average ${h.loadAvgStart.map((x) => x.toFixed(2)).join(' ')} at start, ${h.loadAvgEnd.map((x) => x.toFixed(2)).join(' ')} at the end (the machine is shared).`,
    `Clusters: ${result.setup.replicas} replicas over 4 nodes, ${result.setup.workers} worker process(es) per server, ${result.setup.durability}; data on ${result.setup.fs}.`,
    ...Object.entries(result.setup.dataDirs).map(([t, d]) => `- ${t} data: \`${d}\``),
    ...result.setup.notes.map((n) => `- ${n}`),
    '',
    'CPU ms/op: utime+stime of every process of the cluster under test (from /proc/<pid>/stat before and after the run) per operation. RSS: peak of the summed VmRSS of those processes, sampled every 250 ms, and in brackets the peak of the largest single process. A run with any error is invalid and left out of the medians.',
    '',
    ...summaryTable(result.summary, o.targets),
  ]
  if (result.unavailable.length) {
    lines.push('', 'Not available:')
    for (const u of result.unavailable) lines.push(`- ${u.target} ${u.api}${u.scenario ? ` ${u.scenario}` : ''}: ${u.reason}`)
  }
  const errors = result.runs.filter((r) => r.summary.errors > 0)
  if (errors.length) {
    lines.push('', 'Runs with errors (invalid):')
    for (const r of errors) lines.push(`- ${r.target} ${r.scenario} ${r.api} c=${r.concurrency} round ${r.round}: ${r.summary.errors}/${r.summary.ops} errors: ${r.errorSamples.join('; ')}`)
  }
  const checks = checkTargets(result)
  if (checks.length) {
    lines.push('', '## Targets (issue 6)', '', '| goal | scenario | measured | met |', '|---|---|---|---|')
    for (const c of checks) lines.push(`| ${c.goal} | ${c.row} | ${c.value} | ${c.met ? 'yes' : '**no**'} |`)
  }
  const m = result.machine
  if (m) {
    lines.push('', '## The machine\'s own limits')
    if (m.disk) {
      const d = m.disk
      lines.push(
        '',
        `Data file system (\`${d.dir}\`): sequential write of ${d.fileBytes / 2 ** 20} MiB in 1 MiB chunks + fsync **${fmt(d.writeMBps)} MB/s**; read back **${fmt(d.readMBps)} MB/s** (${d.readMethod}).`,
        `Fsynced 4 KiB creations (tmp, write, fdatasync, rename, fsync dir): ${d.creates.map((c) => `**${fmt(c.perSec)}/s** at concurrency ${c.concurrency}`).join(', ')}.`,
      )
    }
    if (m.sink?.length) {
      lines.push('', 'Do-nothing HTTP sink on loopback (child process, the same client code):', '', ...summaryTable(m.sink, ['sink']))
    }
    const frac = fractions(result)
    if (frac.length) lines.push('', 'Tern as a fraction of the machine:', '', ...frac.map((f) => `- ${f}`))
  }
  return lines.join('\n') + '\n'
}

/** Tern's large-object throughput against the disk and the sink. */
export function fractions(result: BenchResult): string[] {
  const out: string[] = []
  const d = result.machine?.disk
  const sink = result.machine?.sink ?? []
  for (const r of result.summary) {
    const t = r.byTarget.tern
    if (r.size !== 64 * 1024 * 1024 || !t || isUnavailable(t) || t.medians.mbPerSec === null) continue
    const mb = t.medians.mbPerSec
    const parts: string[] = []
    if (d && r.op === 'put') parts.push(`${((mb * result.setup.replicas) / d.writeMBps * 100).toFixed(0)}% of the disk's sequential write (${result.setup.replicas} replicas: ${fmt(mb * result.setup.replicas)} of ${fmt(d.writeMBps)} MB/s written)`)
    if (d && r.op === 'get') parts.push(`${((mb / d.readMBps) * 100).toFixed(0)}% of the disk's uncached sequential read (${fmt(d.readMBps)} MB/s; GETs may be served from the page cache)`)
    const s = sink.find((x) => x.scenario === r.scenario && x.concurrency === r.concurrency)?.byTarget.sink
    if (s && !isUnavailable(s) && s.medians.mbPerSec) parts.push(`${((mb / s.medians.mbPerSec) * 100).toFixed(0)}% of the HTTP sink (${fmt(s.medians.mbPerSec)} MB/s)`)
    if (parts.length) out.push(`${r.scenario} c=${r.concurrency}: ${fmt(mb)} MB/s = ${parts.join('; ')}`)
  }
  return out
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * A horizontal bar per scenario row on a log scale: Tern/Swift throughput ratio when both were
 * measured (1× line, 5× target line), else each target's ops/s.
 */
export function renderSvg(result: BenchResult): string {
  const rows = result.summary.filter((r) => r.ratios?.opsPerSec != null)
  const width = 760
  const left = 190
  const right = 60
  const top = 48
  const barH = 16
  const gap = 6
  const plotW = width - left - right
  const ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]
  const values = rows.map((r) => r.ratios!.opsPerSec!)
  const lo = Math.min(0.1, ...values.map((v) => v / 1.2))
  const hi = Math.max(10, ...values.map((v) => v * 1.2))
  const x = (v: number) => left + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotW
  const height = top + Math.max(1, rows.length) * (barH + gap) + 40
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">Tern / Swift throughput (median of ${result.options.rounds} rounds, log scale)</text>`,
    `<text x="${left}" y="34" fill="#555">${esc(result.startedAt.slice(0, 16).replace('T', ' '))} UTC · ${result.host.cpus} CPUs · load ${result.host.loadAvgStart[0]?.toFixed(1)} · ${result.setup.workers} worker(s) · ${esc(result.setup.fs)}</text>`,
  ]
  if (rows.length === 0) out.push(`<text x="${left}" y="${top + 14}">No scenario was measured on both Tern and Swift.</text>`)
  for (const t of ticks) {
    if (t < lo || t > hi) continue
    const tx = x(t).toFixed(1)
    const strong = t === 1 ? '#333' : t === 5 ? '#2a7' : '#ddd'
    out.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${height - 30}" stroke="${strong}" stroke-width="${t === 1 || t === 5 ? 1.5 : 1}"${t === 5 ? ' stroke-dasharray="4 3"' : ''}/>`)
    out.push(`<text x="${tx}" y="${height - 16}" text-anchor="middle" fill="#555">${t}×</text>`)
  }
  rows.forEach((r, i) => {
    const v = r.ratios!.opsPerSec!
    const y = top + i * (barH + gap)
    const x0 = x(1)
    const x1 = x(v)
    const colour = v >= 1 ? '#3a8fd9' : '#d9534f'
    out.push(`<text x="${left - 8}" y="${y + barH - 4}" text-anchor="end">${esc(`${r.scenario} ${r.api} c=${r.concurrency}`)}</text>`)
    out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${barH}" fill="${colour}"/>`)
    out.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + barH - 4}">${esc(fmtRatio(v))}</text>`)
  })
  out.push(`<text x="${width - right}" y="${height - 4}" text-anchor="end" fill="#2a7">dashed: 5× target</text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}

export { sizeLabel }
