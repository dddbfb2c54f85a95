// `npm run bench -- [options]`: Tern's load generator and its side-by-side runs against
// OpenStack Swift (--vs swift). See bench/lib/args.ts for the options; results land in
// bench/results/latest.{json,md,svg} plus timestamped copies.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ArgsError, USAGE, parseBenchArgs } from './lib/args.ts'
import { renderMarkdown, renderSvg } from './lib/render.ts'
import { runBench } from './lib/runner.ts'
import { withMallocTunables } from '../common/malloc-tunables.ts'

/**
 * The load generator runs with the servers' glibc malloc settings (common/malloc-tunables.ts),
 * which glibc reads only at start, so the process starts itself again with them. Node's HTTP
 * client copies every body chunk into a fresh 64 KiB buffer; with glibc's defaults the heap
 * was given back and faulted in again all the time, and receiving 64 MiB bodies from the
 * do-nothing sink ran at ~200 MB/s, at ~1 GB/s with the settings: the client, not the
 * servers, had been the ceiling of every 64 MiB GET.
 */
function restartWithMallocTunables(): number | undefined {
  const env = withMallocTunables(process.env)
  if (env === process.env) return undefined
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env })
  if (r.error) throw r.error
  return r.status ?? 1
}

async function main(argv: string[]): Promise<number> {
  let opts
  try {
    opts = parseBenchArgs(argv)
  } catch (err) {
    if (err instanceof ArgsError) {
      console.error(`bench: ${err.message}\n\n${USAGE}`)
      return 2
    }
    throw err
  }
  if (opts.help) {
    console.log(USAGE)
    return 0
  }
  const command = `npm run bench --${argv.length ? ` ${argv.join(' ')}` : ''}`
  const t0 = Date.now()
  const result = await runBench(opts, command, (line) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}`))
  const md = renderMarkdown(result)
  console.log(md)
  if (opts.save) {
    mkdirSync(opts.outDir, { recursive: true })
    const stamp = result.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-')
    const json = JSON.stringify(result, null, 1) + '\n'
    const svg = renderSvg(result)
    for (const base of ['latest', `bench-${stamp}`]) {
      writeFileSync(join(opts.outDir, `${base}.json`), json)
      writeFileSync(join(opts.outDir, `${base}.md`), md)
      writeFileSync(join(opts.outDir, `${base}.svg`), svg)
    }
    console.error(`bench: results in ${opts.outDir}/latest.{json,md,svg} and bench-${stamp}.*`)
  }
  return result.runs.some((r) => r.summary.errors > 0) ? 1 : 0
}

process.exitCode = restartWithMallocTunables() ?? (await main(process.argv.slice(2)))
