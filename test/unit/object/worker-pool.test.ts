// The auditor's worker pool starts in a process run with V8 flags (every all-in-one process is):
// a worker refuses them, so the pool passes on only the Node options that load its module.
import t from 'tap'
import { workerExecArgv } from '../../../object/workers/pool.ts'

t.test('V8 flags stay out of a worker\'s options; module loading options stay in', async (t) => {
  const js = new URL('file:///x/audit-file.worker.js')
  t.same(workerExecArgv(js, ['--max-semi-space-size=8', '--interrupt-budget=4096', '--expose-gc', '--single-threaded-gc']), [])
  t.same(workerExecArgv(js, ['--max-semi-space-size=8', '--import=tsx', '--enable-source-maps']), ['--import=tsx', '--enable-source-maps'])
  const ts = new URL('file:///x/audit-file.worker.ts')
  const given = workerExecArgv(ts, ['--max-semi-space-size=8'])
  t.equal(given.length, 1)
  t.match(given[0], /^--import=file:.*tsx/, 'a TypeScript worker gets tsx')
})

t.test('the audit worker runs in a process started with V8 flags, as the all-in-one starts its daemons', async (t) => {
  const { execFileSync } = await import('node:child_process')
  const pool = new URL('../../../object/workers/pool.ts', import.meta.url).href
  const worker = new URL('../../../object/workers/audit-file.worker.ts', import.meta.url).href
  const script = `const { createWorkerPool } = await import(${JSON.stringify(pool)})
const p = createWorkerPool(new URL(${JSON.stringify(worker)}), { threads: 1 })
console.log(JSON.stringify(await p.run({ path: '/nonexistent/tern-worker-pool.data', zeroByteOnly: true, bytesPerSecond: 0 })))
await p.destroy()`
  const out = execFileSync(process.execPath, ['--max-semi-space-size=8', '--interrupt-budget=4096', '--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
  t.same(JSON.parse(out.trim().split('\n').at(-1)!), { missing: true, bytes: 0 }, 'the worker answered')
})
