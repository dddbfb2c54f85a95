// Where a large object's CPU goes: sequential PUTs then GETs of one object size through a
// running cluster's proxy (Swift API, tempauth), with the CPU seconds (utime+stime) of every
// process of the cluster per operation, process by process, so the proxy's share and each
// object server's share show apart. Each request's own figures are printed too: the first
// request of a fresh process costs more than later ones (JIT, socket buffer growth).
//
//   node --import=tsx bench/large-object-cpu.ts --url http://127.0.0.1:8080 --root <pid of tern start>
//        [--size-mib 64] [--count 4] [--user test:tester --key testing] [--methods PUT,GET]
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { allProcesses, processTree } from './lib/proc-stats.ts'
import type { ProcSample } from './lib/proc-stats.ts'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    root: { type: 'string' },
    'size-mib': { type: 'string', default: '64' },
    count: { type: 'string', default: '4' },
    user: { type: 'string', default: 'test:tester' },
    key: { type: 'string', default: 'testing' },
    methods: { type: 'string', default: 'PUT,GET' },
  },
})

const base = new URL(values.url)
const size = Number(values['size-mib']) * 1024 * 1024
const count = Number(values.count)
const roots = values.root ? [Number(values.root)] : []
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

function request(method: string, path: string, headers: Record<string, string | number>, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ method, host: base.hostname, port: base.port, path, headers, agent }, (res) => {
      let bytes = 0
      const small: Buffer[] = []
      res.on('data', (c: Buffer) => {
        bytes += c.length
        if (bytes < 4096) small.push(c)
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text: Buffer.concat(small).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

function snapshot(): Map<number, ProcSample> {
  return new Map(processTree(allProcesses(), roots).map((p) => [p.pid, p]))
}

function label(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const conf = cmd.find((a: string) => a.endsWith('.conf'))
    return conf ? conf.replace(/.*\//, '').replace('.conf', '') : cmd[cmd.length - 2] ?? String(pid)
  } catch {
    return String(pid)
  }
}

async function main(): Promise<void> {
  const auth = await request('GET', '/auth/v1.0', { 'X-Auth-User': values.user, 'X-Auth-Key': values.key })
  const token = String(auth.headers['x-auth-token'])
  const storage = new URL(String(auth.headers['x-storage-url']))
  const container = `${storage.pathname}/large-cpu`
  await request('PUT', container, { 'X-Auth-Token': token, 'Content-Length': 0 })
  const body = randomBytes(size)
  const names: Record<number, string> = {}
  for (const pid of snapshot().keys()) names[pid] = label(pid)

  for (const method of values.methods.split(',')) {
    const totals = new Map<number, number>()
    let seconds = 0
    for (let i = 0; i < count; i++) {
      const before = snapshot()
      const t0 = performance.now()
      const r = method === 'PUT'
        ? await request('PUT', `${container}/o${i}`, { 'X-Auth-Token': token, 'Content-Length': size }, body)
        : await request('GET', `${container}/o${i}`, { 'X-Auth-Token': token })
      const elapsed = (performance.now() - t0) / 1000
      seconds += elapsed
      const after = snapshot()
      const per: string[] = []
      let sum = 0
      for (const [pid, a] of after) {
        const b = before.get(pid)
        const d = a.cpuSeconds - (b?.cpuSeconds ?? 0)
        if (d <= 0) continue
        sum += d
        totals.set(pid, (totals.get(pid) ?? 0) + d)
        per.push(`${names[pid] ?? pid}=${Math.round(d * 1000)}`)
      }
      process.stdout.write(`${method} ${i}: ${r.status} ${(size / 1e6 / elapsed).toFixed(1)} MB/s, cpu ${Math.round(sum * 1000)} ms (${per.join(' ')})\n`)
    }
    const all = [...totals.values()].reduce((a, b) => a + b, 0)
    const per = [...totals].map(([pid, d]) => `${names[pid] ?? pid}=${Math.round((d / count) * 1000)}`).join(' ')
    process.stdout.write(`${method} mean: ${((size * count) / 1e6 / seconds).toFixed(1)} MB/s, cpu ${Math.round((all / count) * 1000)} ms/op (${per})\n`)
  }
  agent.destroy()
}

await main()
