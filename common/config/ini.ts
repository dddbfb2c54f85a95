// Swift-style ini files (paste.deploy flavour): [sections], `key = value`, `#`/`;` comments,
// continuation lines indented under a key, `set key = value` overrides in app sections, and a
// [DEFAULT] section whose keys every other section inherits.

export type IniSection = Readonly<Record<string, string>>
export type IniFile = Readonly<Record<string, IniSection>>

export class IniParseError extends Error {
  readonly code = 'ERR_INI_PARSE'
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`)
  }
}

export function parseIni(text: string): IniFile {
  const sections: Record<string, Record<string, string>> = {}
  let current: Record<string, string> | undefined
  let lastKey: string | undefined
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, i) => {
    const lineNo = i + 1
    if (/^\s*([#;].*)?$/.test(raw)) return
    if (/^\s/.test(raw) && current && lastKey !== undefined) {
      current[lastKey] = `${current[lastKey]}\n${raw.trim()}`
      return
    }
    const line = raw.trim()
    const header = /^\[([^\]]+)\]$/.exec(line)
    if (header) {
      const name = header[1]!.trim()
      current = sections[name] ??= {}
      lastKey = undefined
      return
    }
    const kv = /^(?:set\s+)?([^=:]+?)\s*[=:]\s*(.*)$/.exec(line)
    if (!kv) throw new IniParseError(`expected "key = value", got "${line}"`, lineNo)
    if (!current) throw new IniParseError('key outside any [section]', lineNo)
    lastKey = kv[1]!
    current[lastKey] = kv[2]!
  })
  const defaults = sections.DEFAULT ?? {}
  const out: Record<string, IniSection> = {}
  for (const [name, values] of Object.entries(sections)) {
    out[name] = Object.freeze(name === 'DEFAULT' ? { ...values } : { ...defaults, ...values })
  }
  return Object.freeze(out)
}

/** Swift's config_true_value. */
export function iniBool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback
  return ['true', '1', 'yes', 'on', 't', 'y'].includes(value.trim().toLowerCase())
}
