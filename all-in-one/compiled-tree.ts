// The servers the all-in-one starts run as plain JavaScript compiled from the TypeScript
// sources, not through tsx: `node --import=tsx` runs its module loader on a thread of its own
// with a second V8 isolate and esbuild loaded, which costs each server process about 30 MB of
// resident memory (measured: a storage node idles at ~77 MB compiled, ~110 MB through tsx)
// and a second of CPU to start. The tree is compiled with esbuild (the transformer tsx itself
// uses, so the code behaves the same), once per version of the sources, into
// node_modules/.cache/tern/js-<hash>/ (inside the checkout, so bare imports such as 'koa'
// resolve to the same node_modules). Relative `.ts` specifiers become `.js`.
//
// Nothing here is required for correctness: when esbuild is missing or the compile fails, the
// caller falls back to tsx. TERN_RUN_TS=1 forces tsx (stack traces then show TypeScript lines;
// the compiled tree has linked .map files for a debugger or --enable-source-maps).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('../', import.meta.url))

/** The folders whose modules a server process may load (never test/ or bench/). */
export const RUNTIME_DIRS = ['bin', 'common', 'ring', 'object', 'container', 'account', 'proxy', 'replicator', 'all-in-one', 'compute'] as const

/**
 * Compiled trees not started from for this long are removed when a new one is written (a
 * cluster still running from one may load modules lazily, e.g. the auditor's worker file).
 */
const PRUNE_AFTER_MS = 7 * 24 * 3600_000

/** Bumped when the compile's output format changes, so an old tree is never reused. */
const TREE_FORMAT = 1

export interface CompileOptions {
  /** The checkout whose sources are compiled (default: this one). */
  readonly root?: string
  readonly dirs?: readonly string[]
  /** Where the js-<hash> trees live (default: <root>/node_modules/.cache/tern). */
  readonly cacheDir?: string
}

function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    let entries
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true })
    } catch {
      return // a folder this checkout does not have
    }
    for (const e of entries) {
      const p = join(rel, e.name)
      if (e.isDirectory()) walk(p)
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
    }
  }
  for (const d of dirs) walk(d)
  return out.sort()
}

/** Relative module specifiers ending in .ts, in the compiled output's string literals. */
const TS_SPECIFIER = /(["'`])(\.\.?\/[^"'`\n]*?)\.ts\1/g

export function rewriteSpecifiers(js: string): string {
  return js.replace(TS_SPECIFIER, '$1$2.js$1')
}

// tsx depends on esbuild: resolving it from tsx finds it without Tern declaring it.
function esbuildPath(): string {
  const fromRoot = createRequire(join(REPO, 'package.json'))
  return createRequire(fromRoot.resolve('tsx')).resolve('esbuild')
}

/**
 * esbuild in a short-lived child process: in this one, its synchronous API would leave a
 * worker thread and an esbuild service process (~100 MB) running for the life of `tern start`.
 * ESBUILD_WORKER_THREADS=0 makes the child run the compiler once and exit.
 */
function runEsbuild(options: import('esbuild').BuildOptions): void {
  const script = `require(${JSON.stringify(esbuildPath())}).buildSync(JSON.parse(require('node:fs').readFileSync(0, 'utf8')))`
  const r = spawnSync(process.execPath, ['-e', script], { input: JSON.stringify(options), encoding: 'utf8', env: { ...process.env, ESBUILD_WORKER_THREADS: '0' } })
  if (r.status !== 0) throw new Error(`esbuild failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(0, 3).join(' | ')}`)
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js')).map((f) => join(dir, f))
}

function prune(cacheDir: string, keep: string): void {
  for (const name of readdirSync(cacheDir)) {
    if (name === keep) continue
    const p = join(cacheDir, name)
    try {
      if (Date.now() - statSync(p).mtimeMs > PRUNE_AFTER_MS) rmSync(p, { recursive: true, force: true })
    } catch {
      // removed by another process meanwhile
    }
  }
}

/**
 * Compiles the runtime folders unless a tree of the same sources exists; returns the tree's
 * root (its bin/tern.js is the entry point). Safe to call from several processes at once:
 * each writes a private folder and renames it into place; the first rename wins.
 */
export function compiledTree(options: CompileOptions = {}): string {
  const root = options.root ?? REPO
  const dirs = options.dirs ?? RUNTIME_DIRS
  const cacheDir = options.cacheDir ?? join(root, 'node_modules', '.cache', 'tern')
  const files = sourceFiles(root, dirs)
  const hash = createHash('sha256').update(`format ${TREE_FORMAT}\n`)
  for (const f of files) hash.update(`${f}\n`).update(readFileSync(join(root, f))).update('\n')
  const name = `js-${hash.digest('hex').slice(0, 16)}`
  const tree = join(cacheDir, name)
  if (existsSync(join(tree, 'package.json'))) {
    const now = new Date()
    utimesSync(tree, now, now) // in use: not pruned
    return tree
  }

  const staging = join(cacheDir, `.tmp-${name}-${process.pid}`)
  rmSync(staging, { recursive: true, force: true })
  try {
    runEsbuild({
      entryPoints: files.map((f) => join(root, f)),
      outdir: staging,
      outbase: root,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'error',
    })
    for (const f of jsFiles(staging)) writeFileSync(f, rewriteSpecifiers(readFileSync(f, 'utf8')))
    // Written last: its presence marks a complete tree.
    writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n')
  } catch (err) {
    rmSync(staging, { recursive: true, force: true })
    throw err
  }
  try {
    renameSync(staging, tree)
  } catch (err) {
    rmSync(staging, { recursive: true, force: true })
    if (!existsSync(join(tree, 'package.json'))) throw err
  }
  prune(cacheDir, name)
  return tree
}
