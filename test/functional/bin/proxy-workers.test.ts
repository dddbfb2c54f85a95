// `tern proxy-server` with workers = 2: two processes serve one port, and a stop signal ends
// them all cleanly.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RingBuilder } from '../../../ring/builder.ts'
import { writeRingFileSync } from '../../../ring/io.ts'

async function freePort(): Promise<number> {
  const s = createServer()
  s.listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as { port: number }).port
  s.close()
  return port
}

t.test('two workers share the port and stop on SIGINT', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tern-proxy-workers-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const name of ['object', 'container', 'account']) {
    const b = new RingBuilder(4, 3, 1)
    for (let i = 1; i <= 3; i++) {
      b.addDev({ region: 1, zone: i, ip: '127.0.0.1', port: 1, replication_ip: '127.0.0.1', replication_port: 1, device: `d${i}`, meta: '', weight: 1 })
    }
    b.rebalance(1)
    writeRingFileSync(join(dir, `${name}.ring.gz`), b.getRing())
  }
  await writeFile(join(dir, 'swift.conf'), '[swift-hash]\nswift_hash_path_prefix = p\nswift_hash_path_suffix = s\n')
  const port = await freePort()
  const conf = join(dir, 'proxy-server.conf')
  await writeFile(conf, [
    '[DEFAULT]', 'bind_ip = 127.0.0.1', `bind_port = ${port}`, 'workers = 2', `swift_dir = ${dir}`,
    '[pipeline:main]', 'pipeline = catch_errors healthcheck proxy-server',
    '[app:proxy-server]', '[filter:catch_errors]', '[filter:healthcheck]', '',
  ].join('\n'))
  const child = spawn(process.execPath, ['--import=tsx', 'bin/tern.ts', 'proxy-server', conf], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit')
  let out = ''
  const listening = new Set<number>()
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`proxy-server exited early with ${code}`)))
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue
        try {
          const rec = JSON.parse(line) as { msg?: string; pid?: number }
          if (rec.msg === 'listening' && rec.pid) listening.add(rec.pid)
        } catch {
          // a partial line: wait for the rest
        }
      }
      if (listening.size === 2) resolve()
    })
  })
  t.equal(listening.size, 2, 'two worker processes listen')
  t.notOk(listening.has(child.pid!), 'the primary only supervises')
  const health = await fetch(`http://127.0.0.1:${port}/healthcheck`)
  t.equal(await health.text(), 'OK')
  child.kill('SIGINT')
  const [code] = await exited
  t.equal(code, 0, 'the primary exits cleanly')
  for (const pid of listening) {
    t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} is gone`)
  }
})
