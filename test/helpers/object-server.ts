// An object server on a loopback port over temporary devices, and a tiny HTTP client for
// talking to it (tests of object/ over real HTTP).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseIni } from '../../common/config/ini.ts'
import { Writable } from 'node:stream'
import { EventEmitter, once } from 'node:events'
import { createLogger } from '../../common/logger.ts'
import { Timestamp } from '../../common/timestamp.ts'
import { parseObjectServerConfig } from '../../object/config.ts'
import type { ObjectServerConfig } from '../../object/config.ts'
import { createObjectServer } from '../../object/server.ts'
import type { ObjectServerOptions } from '../../object/server.ts'
import { FsDiskFileManager } from '../../object/diskfile/fs.ts'

export const SECRETS = { prefix: 'tern-test-prefix', suffix: 'tern-test-suffix' }

export interface TestObjectServer {
  readonly port: number
  readonly devices: string
  readonly config: ObjectServerConfig
  /** A diskfile over the same devices, to look at what the server wrote. */
  readonly diskfile: FsDiskFileManager
  /** Resolves with the first access-log line (already written or still to come) that matches. */
  accessLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
}

interface Teardown {
  teardown(fn: () => Promise<void> | void): void
}

export async function startObjectServer(
  t: Teardown, extraConf = '', deviceNames = ['sda'], prepare?: (devices: string) => Promise<void>, serverOptions: ObjectServerOptions = {},
): Promise<TestObjectServer> {
  const devices = await mkdtemp(join(tmpdir(), 'tern-objsrv-'))
  for (const d of deviceNames) await mkdir(join(devices, d))
  await prepare?.(devices)
  const conf = `[DEFAULT]\ndevices = ${devices}\nmount_check = false\n[app:object-server]\nfallocate_reserve = 0\n${extraConf}\n`
  const config = parseObjectServerConfig(parseIni(conf), SECRETS)
  const lines: Record<string, unknown>[] = []
  const events = new EventEmitter()
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>
        lines.push(line)
        events.emit('line', line)
      }
      done()
    },
  })
  const server = createObjectServer(config, createLogger({ stream, level: 'info' }), serverOptions)
  const accessLog = async (match: (line: Record<string, unknown>) => boolean) => {
    for (;;) {
      const found = lines.find((l) => l.msg === 'request' && match(l))
      if (found) return found
      await once(events, 'line')
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await rm(devices, { recursive: true, force: true })
  })
  const diskfile = new FsDiskFileManager({ devices, secrets: SECRETS })
  return { port: (server.address() as AddressInfo).port, devices, config, diskfile, accessLog }
}

export interface Reply {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

export function request(port: number, method: string, path: string, headers: http.OutgoingHttpHeaders = {}, body?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: encodeURI(path), headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

let tick = 0
/** Distinct, increasing, recent timestamps (tombstones older than a week are reclaimed on sight). */
export function nextTimestamp(): Timestamp {
  tick += 1
  return Timestamp.fromSeconds(Math.floor(Date.now() / 1000) - 50_000 + tick)
}

export function putHeaders(ts: Timestamp, body: Buffer | string, extra: http.OutgoingHttpHeaders = {}): http.OutgoingHttpHeaders {
  return { 'X-Timestamp': ts.internal, 'Content-Type': 'application/octet-stream', 'Content-Length': Buffer.byteLength(body), ...extra }
}
