// Summarises V8 .cpuprofile files (from NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR" given to
// `npm run bench`, which every Tern server inherits): per file, total sampled time and the
// functions with the most self time. A first look at where a scenario's CPU goes.
// Usage: node --import=tsx bench/cpu-profile-summary.ts DIR [top=15]
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [dir, topText] = process.argv.slice(2)
if (!dir) {
  console.error('usage: bench/cpu-profile-summary.ts DIR [top]')
  process.exit(2)
}
const top = Number(topText ?? 15)
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  let idle = 0
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    const n = byId.get(id)
    if (!n) return
    const f = n.callFrame
    if (f.functionName === '(idle)') {
      idle += dt
      return
    }
    total += dt
    const where = f.url ? `${f.url.replace(/^.*\/work\/main\//, '')}:${f.lineNumber + 1}` : ''
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim()
    self.set(key, (self.get(key) ?? 0) + dt)
  })
  if (total < 200_000) continue // under 0.2 s busy: not a process under load
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle`)
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1e6).toFixed(2).padStart(6)} s  ${k}`)
  }
}
