// Server CPU per operation through the proxy, the figure a shared noisy machine disturbs
// least: an in-process cluster (test/helpers/cluster.ts: proxy + 4 nodes of object, container
// and account servers, 3 replicas) runs in a child process, the load comes from this one, and
// the child's process.cpuUsage() before and after each scenario gives the servers' CPU per op
// (client CPU excluded). Profile the servers with --prof DIR (a .cpuprofile per run, see
// bench/cpu-profile-summary.ts).
//   node --import=tsx bench/cpu-per-op.ts [--ops-small 300] [--ops-large 3] [--concurrency 16]
//     [--scenario put-4k,get-4k,head-4k,delete-4k,put-64m,get-64m] [--prof DIR] [--pipeline full]
// --pipeline full runs the all-in-one's middleware pipeline (all-in-one/config-files.ts) in
// front of the proxy app, authenticating through tempauth; any other value is taken as the
// pipeline line itself. Without it the proxy runs the bare proxy-server app.
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const self = fileURLToPath(import.meta.url)

interface CpuMessage {
  cpu?: { user: number; system: number }
  url?: string
}

/** The tempauth user the bench authenticates as when the pipeline has tempauth. */
const BENCH_USER = { account: 'bench', user: 'tester', key: 'testing' }

async function pipelineLine(choice: string | undefined): Promise<string | undefined> {
  if (!choice) return undefined
  if (choice !== 'full') return choice
  const { allInOnePipeline } = await import('../all-in-one/config-files.ts')
  return allInOnePipeline().join(' ')
}

async function runChild(): Promise<void> {
  const { startCluster } = await import('../test/helpers/cluster.ts')
  const teardowns: Array<() => unknown> = []
  const at = process.argv.indexOf('--pipeline')
  const pipeline = await pipelineLine(at >= 0 ? process.argv[at + 1] : undefined)
  const extraIni = ['[filter:tempauth]', `user_${BENCH_USER.account}_${BENCH_USER.user} = ${BENCH_USER.key} .admin`].join('\n')
  const cluster = await startCluster({ teardown: (fn) => teardowns.push(fn) }, pipeline ? { pipeline, extraIni } : {})
  process.on('message', (m: { cpu?: boolean; stop?: boolean }) => {
    if (m.cpu) process.send?.({ cpu: process.cpuUsage() })
    if (m.stop) {
      void (async () => {
        for (const fn of teardowns.reverse()) await fn()
        process.exit(0)
      })()
    }
  })
  process.send?.({ url: cluster.url })
}

function ask(child: ChildProcess, what: object, key: keyof CpuMessage): Promise<CpuMessage> {
  return new Promise((resolve) => {
    const on = (m: CpuMessage) => {
      if (m[key] === undefined) return
      child.off('message', on)
      resolve(m)
    }
    child.on('message', on)
    if (Object.keys(what).length) child.send(what)
  })
}

/** Headers every request carries (X-Auth-Token once authenticated). */
const authHeaders: Record<string, string> = {}

async function authenticate(agent: http.Agent, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { 'X-Auth-User': `${BENCH_USER.account}:${BENCH_USER.user}`, 'X-Auth-Key': BENCH_USER.key }
    http.get(`${url}/auth/v1.0`, { agent, headers }, (res) => {
      res.resume()
      const token = res.headers['x-auth-token']
      const storage = res.headers['x-storage-url']
      if (res.statusCode !== 200 || typeof token !== 'string' || typeof storage !== 'string') return reject(new Error(`auth failed: ${res.statusCode}`))
      authHeaders['X-Auth-Token'] = token
      resolve(storage)
    }).on('error', reject)
  })
}

function request(agent: http.Agent, url: string, method: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...authHeaders, ...(body ? { 'Content-Length': body.length } : {}) } }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (!body) return void req.end()
    // Write in 1 MiB pieces as a client streaming a file would.
    const piece = 1024 * 1024
    let off = 0
    const pump = (): void => {
      while (off < body.length) {
        const chunk = body.subarray(off, off + piece)
        off += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'ops-small': { type: 'string', default: '300' },
      'ops-large': { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      scenario: { type: 'string', default: 'put-4k,get-4k,head-4k,delete-4k,put-64m,get-64m' },
      prof: { type: 'string' },
      pipeline: { type: 'string' },
    },
  })
  const execArgv = ['--import=tsx', ...(process.env.CHILD_FLAGS ? process.env.CHILD_FLAGS.split(' ') : []), ...(values.prof ? ['--cpu-prof', `--cpu-prof-dir=${values.prof}`] : [])]
  const child = fork(self, ['--child', ...(values.pipeline ? ['--pipeline', values.pipeline] : [])], { execArgv })
  const { url } = await ask(child, {}, 'url')
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const pipeline = await pipelineLine(values.pipeline)
  const storageUrl = pipeline?.split(' ').includes('tempauth') ? await authenticate(agent, url!) : `${url}/v1/AUTH_bench`
  const base = `${storageUrl}/c`
  if ((await request(agent, base, 'PUT')) >= 300) throw new Error('container PUT failed')

  const scenarios = String(values.scenario).split(',')
  const results: Array<{ scenario: string; ops: number; cpuMsPerOp: number; wallS: number }> = []
  for (const scenario of scenarios) {
    const [verb, size] = scenario.split('-') as [string, string]
    const large = size === '64m' || size === '1m'
    const bytes = size === '64m' ? 64 * 1024 * 1024 : size === '1m' ? 1024 * 1024 : 4096
    const ops = Number(large ? values['ops-large'] : values['ops-small'])
    const conc = large ? 1 : Number(values.concurrency)
    const body = Buffer.alloc(bytes, 0x61)
    const method = verb.toUpperCase()
    // GET/HEAD/DELETE need the objects first (not measured).
    // Large GETs read one object over and over, so a profile holds little else.
    const stored = large && method !== 'DELETE' ? 1 : ops
    if (method !== 'PUT') await runOps(agent, base, size, stored, conc, 'PUT', body)
    const before = (await ask(child, { cpu: true }, 'cpu')).cpu!
    const start = performance.now()
    await runOps(agent, base, size, ops, conc, method, method === 'PUT' ? body : undefined, stored)
    const wallS = (performance.now() - start) / 1000
    const after = (await ask(child, { cpu: true }, 'cpu')).cpu!
    const cpuMs = (after.user - before.user + after.system - before.system) / 1000
    results.push({ scenario, ops, cpuMsPerOp: cpuMs / ops, wallS })
    process.stdout.write(`${scenario.padEnd(10)} ops=${ops} conc=${conc} server CPU ${(cpuMs / ops).toFixed(2)} ms/op (user ${((after.user - before.user) / 1000 / ops).toFixed(2)})` +
      (large ? ` (${(cpuMs / ops / (bytes / 1048576)).toFixed(2)} ms/MiB)` : '') + ` wall ${wallS.toFixed(1)} s\n`)
  }
  agent.destroy()
  child.send({ stop: true })
  await new Promise((resolve) => child.once('exit', resolve))
}

async function runOps(agent: http.Agent, base: string, size: string, ops: number, conc: number, method: string, body?: Buffer, stored = ops): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < ops) {
      const i = next++
      const status = await request(agent, `${base}/o-${size}-${i % stored}`, method, body)
      if (status >= 300 && !(method === 'DELETE' && status === 404)) throw new Error(`${method} ${i}: ${status}`)
    }
  }
  await Promise.all(Array.from({ length: conc }, worker))
}

if (process.argv.includes('--child')) await runChild()
else await main()
