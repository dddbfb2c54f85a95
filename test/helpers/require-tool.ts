// Tests that need a system package skip with the package's name when it is missing; under
// TERN_REQUIRE_ALL=1 (set by .ci/run) the same absence fails the test, so CI skips nothing.
import { accessSync, constants } from 'node:fs'
import { spawnSync } from 'node:child_process'

/** The interpreter that has Debian's python3-* packages (the first python3 on PATH may not). */
export const SYSTEM_PYTHON = '/usr/bin/python3'

// tap's typings only declare skip() with a callback, yet skip(message) records a skipped
// assertion at run time; accept any test object and call the message-only forms.
interface TestLike {
  skip: unknown
  fail: unknown
}

interface MessageTest {
  skip(message: string): void
  fail(message: string): void
}

function missing(t: TestLike, what: string, pkg: string): false {
  const message = `${what} not found: install the Debian package ${pkg}`
  const test = t as MessageTest
  if (process.env.TERN_REQUIRE_ALL === '1') test.fail(message)
  else test.skip(message)
  return false
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function findOnPath(command: string): string | undefined {
  if (command.includes('/')) return isExecutable(command) ? command : undefined
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && isExecutable(`${dir}/${command}`)) return `${dir}/${command}`
  }
  return undefined
}

/** True when `command` (a path or a name on PATH) can run; otherwise skips or fails `t`. */
export function requireCommand(t: TestLike, command: string, pkg: string): boolean {
  return findOnPath(command) !== undefined || missing(t, command, pkg)
}

/** True when the system Python can import `module`; otherwise skips or fails `t`. */
export function requirePython(t: TestLike, module: string, pkg: string): boolean {
  if (!isExecutable(SYSTEM_PYTHON)) return missing(t, SYSTEM_PYTHON, 'python3')
  const r = spawnSync(SYSTEM_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' })
  return r.status === 0 || missing(t, `python module ${module}`, pkg)
}
