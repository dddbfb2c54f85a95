import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compiledTree, rewriteSpecifiers } from '../../../all-in-one/compiled-tree.ts'

t.test('relative .ts specifiers become .js; packages and other names stay', async (t) => {
  t.equal(rewriteSpecifiers(`import { a } from "./a.ts";`), `import { a } from "./a.js";`)
  t.equal(rewriteSpecifiers(`await import('../x/y.ts')`), `await import('../x/y.js')`)
  t.equal(rewriteSpecifiers('new URL(`./w/z.worker.ts`, import.meta.url)'), 'new URL(`./w/z.worker.js`, import.meta.url)')
  t.equal(rewriteSpecifiers(`import x from "some-pkg/file.ts";`), `import x from "some-pkg/file.ts";`, 'a package path is not ours')
  t.equal(rewriteSpecifiers(`const s = "./notes.tsv";`), `const s = "./notes.tsv";`)
  t.equal(rewriteSpecifiers(`const n = "x" + ".ts";`), `const n = "x" + ".ts";`)
})

t.test('a compiled tree runs under plain node, is reused while the sources are unchanged', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tern-compiled-tree-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const cacheDir = join(root, 'cache')
  mkdirSync(join(root, 'lib', 'sub'), { recursive: true })
  writeFileSync(join(root, 'lib', 'b.ts'), `export const b: number = 40\nexport type Unused = { x: string }\n`)
  writeFileSync(join(root, 'lib', 'sub', 'c.ts'), `export default function c(n: number): number { return n + 1 }\n`)
  writeFileSync(
    join(root, 'lib', 'main.ts'),
    [
      `import { b } from './b.ts'`,
      `import type { Unused } from './b.ts'`,
      `import { existsSync } from 'node:fs'`,
      `import { fileURLToPath } from 'node:url'`,
      `const u: Unused | undefined = undefined`,
      `const c = (await import('./sub/c.ts')).default`,
      `const here = existsSync(fileURLToPath(new URL('./sub/c.ts', import.meta.url)))`,
      `console.log(JSON.stringify({ sum: c(b) + 1, here, u: u ?? null }))`,
    ].join('\n'),
  )
  const tree = compiledTree({ root, dirs: ['lib', 'absent'], cacheDir })
  const out = JSON.parse(execFileSync(process.execPath, [join(tree, 'lib', 'main.js')], { encoding: 'utf8' }))
  t.same(out, { sum: 42, here: true, u: null }, 'imports, dynamic imports and module URLs point at the compiled files')

  t.equal(compiledTree({ root, dirs: ['lib'], cacheDir }), tree, 'same sources, same tree')
  writeFileSync(join(root, 'lib', 'b.ts'), `export const b: number = 41\n`)
  const next = compiledTree({ root, dirs: ['lib'], cacheDir })
  t.not(next, tree, 'a changed source gets a new tree')
  t.same(JSON.parse(execFileSync(process.execPath, [join(next, 'lib', 'main.js')], { encoding: 'utf8' })).sum, 43)
  t.same(readdirSync(cacheDir).filter((n) => n.startsWith('.tmp')), [], 'no staging folder left behind')
})
