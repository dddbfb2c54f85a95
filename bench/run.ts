// `npm run bench -- [options]`: Tern's load generator and its side-by-side runs against
// OpenStack Swift (--vs swift). See bench/lib/args.ts for the options; results land in
// bench/results/latest.{json,md,svg} plus timestamped copies.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ArgsError, USAGE, parseBenchArgs } from './lib/args.ts'
import { renderMarkdown, renderSvg } from './lib/render.ts'
import { runBench } from './lib/runner.ts'

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

process.exitCode = await main(process.argv.slice(2))
