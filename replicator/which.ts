// Whether a command is on PATH (rsync may be absent: the replicators then use HTTP).
import { accessSync, constants } from 'node:fs'
import { join } from 'node:path'

export function commandExists(command: string, path = process.env.PATH ?? ''): boolean {
  const candidates = command.includes('/') ? [command] : path.split(':').filter(Boolean).map((dir) => join(dir, command))
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
