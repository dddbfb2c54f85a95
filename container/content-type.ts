// Swift's handling of the swift_bytes content-type parameter (utils.extract_swift_bytes):
// large-object manifests carry their total size there, and listings report it as "bytes".
// Parameters are re-joined as ";key=value" without spaces, as Swift does, which is also what
// its listings show.
const TOKEN = `[^()<>@,;:"/\\[\\]?={}\\x00-\\x20\\x7f]+`
const EXTENSION = new RegExp(`(?:\\s*;\\s*(${TOKEN})\\s*(?:=\\s*(${TOKEN}|"(?:[^"\\\\]|\\\\.)*"))?)`, 'g')

export function extractSwiftBytes(contentType: string): [string, string | undefined] {
  const semi = contentType.indexOf(';')
  if (semi < 0) return [contentType, undefined]
  let base = contentType.slice(0, semi)
  let swiftBytes: string | undefined
  for (const m of (';' + contentType.slice(semi + 1)).matchAll(EXTENSION)) {
    const key = m[1]!.trim()
    const value = (m[2] ?? '').trim()
    if (key === 'swift_bytes') swiftBytes = value
    else base += `;${key}=${value}`
  }
  return [base, swiftBytes]
}
