// Runs the all-in-one's servers as child processes: checks each port is free first (a clear
// error beats a crash loop), waits until each answers on its port, records pids under run/,
// reports children that die, and stops them all (SIGTERM, then SIGKILL after a grace period).
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'

export class SupervisorError extends Error {
  readonly code: 'ERR_PORT_IN_USE' | 'ERR_CHILD_EXITED' | 'ERR_CHILD_NOT_READY'
  constructor(code: SupervisorError['code'], message: string) {
    super(message)
    this.name = 'SupervisorError'
    this.code = code
  }
}

export interface ProcessSpec {
  /** e.g. "node1-object-server", "proxy-server" (log and pid file names). */
  name: string
  command: string
  args: string[]
  /** The address it must accept connections on once ready. */
  host: string
  /** Every port it serves; ready once all accept connections. */
  ports: number[]
  env?: NodeJS.ProcessEnv
}

export interface RunningProcess {
  readonly spec: ProcessSpec
  readonly child: ChildProcess
  readonly logPath: string
  exited: boolean
}

/** Rejects when something already listens on host:port. */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer()
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new SupervisorError('ERR_PORT_IN_USE', `port ${port} on ${host} (${what}) is already in use: stop what listens there, or choose other ports (TERN_PROXY_PORT, TERN_PORT_BASE)`))
      } else {
        reject(err)
      }
    })
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()))
  })
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

export class Supervisor extends EventEmitter<{ exit: [RunningProcess, number | null, NodeJS.Signals | null] }> {
  readonly processes: RunningProcess[] = []
  #stopping = false

  constructor(
    readonly logDir: string,
    readonly runDir: string,
  ) {
    super()
    mkdirSync(logDir, { recursive: true })
    mkdirSync(runDir, { recursive: true })
  }

  get stopping(): boolean {
    return this.#stopping
  }

  /** Starts one process and resolves once it accepts connections on its port. */
  async start(spec: ProcessSpec, readyTimeoutMs = 120_000): Promise<RunningProcess> {
    const logPath = join(this.logDir, `${spec.name}.log`)
    const fd = openSync(logPath, 'a')
    let child: ChildProcess
    try {
      child = spawn(spec.command, spec.args, { stdio: ['ignore', fd, fd], env: spec.env ?? process.env })
    } finally {
      closeSync(fd)
    }
    const running: RunningProcess = { spec, child, logPath, exited: false }
    this.processes.push(running)
    const pidPath = join(this.runDir, `${spec.name}.pid`)
    if (child.pid !== undefined) writeFileSync(pidPath, `${child.pid}\n`)
    child.once('exit', (code, signal) => {
      running.exited = true
      rmSync(pidPath, { force: true })
      this.emit('exit', running, code, signal)
    })
    await this.#waitReady(running, readyTimeoutMs)
    return running
  }

  async #waitReady(running: RunningProcess, timeoutMs: number): Promise<void> {
    const { spec } = running
    const deadline = Date.now() + timeoutMs
    let delay = 20
    for (;;) {
      if (running.exited) {
        throw new SupervisorError('ERR_CHILD_EXITED', `${spec.name} exited before it was ready (exit code ${running.child.exitCode}); see ${running.logPath}`)
      }
      const up = await Promise.all(spec.ports.map((port) => tryConnect(spec.host, port)))
      if (up.every(Boolean)) return
      if (Date.now() > deadline) throw new SupervisorError('ERR_CHILD_NOT_READY', `${spec.name} did not listen on ${spec.host}:${spec.ports.join(',')} within ${timeoutMs / 1000}s; see ${running.logPath}`)
      // The child is still starting; its port is the only signal a foreign server gives.
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(delay * 2, 250)
    }
  }

  /** SIGTERM to every live child, SIGKILL to those still alive after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.#stopping = true
    const live = this.processes.filter((p) => !p.exited)
    await Promise.all(
      live.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exited) return resolve()
            const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs)
            p.child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            p.child.kill('SIGTERM')
          }),
      ),
    )
  }
}
