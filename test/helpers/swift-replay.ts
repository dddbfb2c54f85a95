// Replays the backend requests captured from Debian's Swift (test/fixtures/swift-db-servers)
// against a Tern server and compares what each answer must share with Swift's: status,
// body byte for byte, content type and every header that does not depend on the wall clock.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import type { TestNode } from './db-server.ts'

export interface CapturedStep {
  method: string
  path: string
  headers: Record<string, string>
  status: number
  response_headers: Record<string, string>
  body: string
}

export function loadCaptured(kind: 'container' | 'account'): CapturedStep[] {
  const file = fileURLToPath(new URL('../fixtures/swift-db-servers/responses.json', import.meta.url))
  return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, CapturedStep[]>)[kind]!
}

/** Headers derived from created_at (Timestamp.now() at creation) or the date differ by nature. */
const CLOCK_HEADERS = new Set(['x-timestamp', 'x-backend-timestamp', 'date', 'content-length'])

type Asserter = Pick<Test, 'equal' | 'same'>

export async function replay(t: Asserter, node: TestNode, steps: CapturedStep[], skipBody: (s: CapturedStep) => boolean = () => false): Promise<void> {
  for (const step of steps) {
    const what = `${step.method} ${step.path} ${JSON.stringify(step.headers)}`
    const reply = await node.request(step.method, step.path, step.headers)
    t.equal(reply.status, step.status, `status of ${what}`)
    if (!skipBody(step)) t.equal(reply.body, step.body, `body of ${what}`)
    const wanted: Record<string, string> = {}
    const found: Record<string, string> = {}
    for (const [k, v] of Object.entries(step.response_headers)) {
      const key = k.toLowerCase()
      if (CLOCK_HEADERS.has(key)) continue
      // swob's default error content type spells the charset in capitals.
      wanted[key] = key === 'content-type' ? v.toLowerCase() : v
    }
    for (const key of Object.keys(wanted)) {
      const v = reply.headers[key]
      if (v !== undefined) found[key] = key === 'content-type' ? String(v).toLowerCase() : String(v)
    }
    // Swift sends a content type with every empty answer; Tern only where a body could exist.
    if (wanted['content-type'] === 'text/html; charset=utf-8' && found['content-type'] === undefined && reply.body === '') delete wanted['content-type']
    t.same(found, wanted, `headers of ${what}`)
  }
}
