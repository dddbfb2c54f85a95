// Preloaded (NODE_OPTIONS=--require) into every process of a cluster by bench/memory-breakdown.ts:
// samples this process's V8 and Buffer figures every 200 ms and, on SIGUSR2, writes their
// maxima since the last signal to <TERN_MEMORY_DIR>/<pid>.json (and starts over).
'use strict'
const { isMainThread } = require('node:worker_threads')
const v8 = require('node:v8')
const fs = require('node:fs')
const path = require('node:path')

const dir = process.env.TERN_MEMORY_DIR
if (isMainThread && dir) {
  let max = {}
  const sample = () => {
    const mu = process.memoryUsage()
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]))
    const now = {
      heapTotal: mu.heapTotal,
      heapUsed: mu.heapUsed,
      newSpace: spaces.new_space ?? 0,
      oldSpace: spaces.old_space ?? 0,
      external: mu.external,
      arrayBuffers: mu.arrayBuffers,
    }
    for (const [k, v] of Object.entries(now)) max[k] = Math.max(max[k] ?? 0, v)
  }
  setInterval(sample, 200).unref()
  process.on('SIGUSR2', () => {
    sample()
    fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(max))
    max = {}
  })
}
