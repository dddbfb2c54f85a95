// `ring-builder`: swift-ring-builder's commands over Tern's builder (logic in ring/builder-cli.ts).
import { createInterface } from 'node:readline/promises'
import { runRingBuilder } from '../ring/builder-cli.ts'

const status = await runRingBuilder(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout })
    try {
      return await rl.question(question)
    } finally {
      rl.close()
    }
  },
})
process.exitCode = status
