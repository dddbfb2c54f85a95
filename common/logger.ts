// A small structured logger: one JSON object per line, bound fields through child().
// The output stream is given by the caller (bin/ passes process.stdout), so libraries never
// touch the process.
import type { Writable } from 'node:stream'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(bindings: LogFields): Logger
}

export interface LoggerOptions {
  stream?: Writable | undefined
  level?: LogLevel | undefined
  bindings?: LogFields | undefined
}

function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const code = (err as { code?: unknown }).code
  return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }), stack: err.stack }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream
  const threshold = LEVELS[options.level ?? 'info']
  const bindings = options.bindings ?? {}
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (!stream || LEVELS[level] < threshold) return
    const line: LogFields = { time: new Date().toISOString(), level, ...bindings, msg }
    if (fields) for (const [k, v] of Object.entries(fields)) line[k] = k === 'err' ? serializeError(v) : v
    stream.write(JSON.stringify(line) + '\n')
  }
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (more) => createLogger({ stream, level: options.level, bindings: { ...bindings, ...more } }),
  }
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger()
