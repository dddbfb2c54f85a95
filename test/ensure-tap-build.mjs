// tap ships a test runner built with its default plugins (@tapjs/typescript among them); the
// .taprc here removes that plugin, and tap rebuilds only after its first run has failed with
// the stale build. Rebuild up front when the installed build still loads the plugin.
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const built = new URL('../node_modules/@tapjs/test/test-built/src/index.ts', import.meta.url)
let source = ''
try {
  source = readFileSync(built, 'utf8')
} catch {
  // no build yet: let tap build it
}
if (!source || source.includes('from "@tapjs/typescript"')) {
  execFileSync(fileURLToPath(new URL('../node_modules/.bin/tap', import.meta.url)), ['build'], { stdio: 'inherit' })
}
