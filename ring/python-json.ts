// JSON text exactly as Python's json.dumps(obj, sort_keys=True, ensure_ascii=True) writes it,
// so that a ring header written by Tern is byte-identical to the one Swift writes for the
// same data: ", " and ": " separators, keys sorted, everything outside printable ASCII
// escaped as \uXXXX, floats in Python's repr form ("100.0", "1e-05").
//
// JavaScript has one number type, so the caller says which keys hold Python floats (a ring
// device's weight is always a float in Swift, even when it is a whole number).

export interface PythonJsonOptions {
  /** Keys whose numeric values (or lists of numbers) are written as Python floats. */
  readonly floatKeys?: ReadonlySet<string>
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
}

/** A string literal with Python's ensure_ascii escaping (per UTF-16 unit, as Python does). */
export function pythonJsonString(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string
    const code = s.charCodeAt(i)
    const short = SHORT_ESCAPES[ch]
    if (short !== undefined) out += short
    else if (code >= 0x20 && code <= 0x7e) out += ch
    else out += '\\u' + code.toString(16).padStart(4, '0')
  }
  return out + '"'
}

/** Python's repr() of a float: shortest round-trip digits, exponent outside [1e-4, 1e16). */
export function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0'
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa, expText] = n.toExponential().split('e') as [string, string]
  const exp = Number(expText)
  const negative = mantissa.startsWith('-')
  const digits = mantissa.replace('-', '').replace('.', '')
  let body: string
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits
    body = `${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  } else if (exp < 0) {
    body = '0.' + '0'.repeat(-exp - 1) + digits
  } else if (digits.length <= exp + 1) {
    body = digits + '0'.repeat(exp + 1 - digits.length) + '.0'
  } else {
    body = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1)
  }
  return (negative ? '-' : '') + body
}

function pythonNumber(n: number, asFloat: boolean): string {
  if (asFloat || !Number.isInteger(n)) return pythonFloatRepr(n)
  return Object.is(n, -0) ? '0' : String(n)
}

function encode(value: unknown, asFloat: boolean, options: PythonJsonOptions): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return pythonNumber(value, asFloat)
  if (typeof value === 'string') return pythonJsonString(value)
  if (Array.isArray(value)) return '[' + value.map((v) => encode(v, asFloat, options)).join(', ') + ']'
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const floatKeys = options.floatKeys
    return (
      '{' +
      entries
        .map(([k, v]) => pythonJsonString(k) + ': ' + encode(v, floatKeys?.has(k) ?? false, options))
        .join(', ') +
      '}'
    )
  }
  throw new TypeError(`cannot encode a ${typeof value} as JSON`)
}

/** json.dumps(value, sort_keys=True, ensure_ascii=True); undefined object members are left out. */
export function pythonJsonDumps(value: unknown, options: PythonJsonOptions = {}): string {
  return encode(value, false, options)
}
