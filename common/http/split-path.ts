// Swift's split_path: "/a/b/c" into its segments with a minimum and maximum count; with
// restWithLast the final segment keeps any further slashes (object names).
import { HttpError } from './errors.ts'

export function splitPath(path: string, minSegs: number, maxSegs: number, restWithLast = false): (string | undefined)[] {
  // Split on at most maxSegs+1 slashes: the leading one plus one per segment; what is left
  // stays in the last piece (an object name may hold slashes).
  const limit = restWithLast ? maxSegs : maxSegs + 1
  const segs = splitLimited(path, limit)
  const count = segs.length
  const tooFew = count < minSegs + 1
  const tooMany = restWithLast ? count > maxSegs + 1 : count > maxSegs + 2 || (count === maxSegs + 2 && segs[maxSegs + 1] !== '')
  if (segs[0] !== '' || tooFew || tooMany || segs.slice(1, minSegs + 1).includes('')) {
    throw new HttpError(400, { body: `Invalid path: ${encodeURI(path)}` })
  }
  const out: (string | undefined)[] = []
  for (let i = 1; i <= maxSegs; i++) out.push(segs[i] || undefined)
  return out
}

/** Python's str.split(sep, maxsplit). */
function splitLimited(text: string, maxSplit: number): string[] {
  const out: string[] = []
  let rest = text
  while (out.length < maxSplit) {
    const at = rest.indexOf('/')
    if (at < 0) break
    out.push(rest.slice(0, at))
    rest = rest.slice(at + 1)
  }
  out.push(rest)
  return out
}

/**
 * Percent-decodes a request path; invalid UTF-8 or a NUL answers 412 as Swift does, unless
 * `allowReserved` (Swift's check_utf8(internal=True)): names in the reserved namespace start
 * with NUL, which storage servers always accept and the proxy only with
 * X-Backend-Allow-Reserved-Names.
 */
export function decodePath(rawPath: string, allowReserved = false): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    throw new HttpError(412, { body: 'Invalid UTF8 or contains NULL' })
  }
  if ((!allowReserved && decoded.includes('\0')) || decoded.includes('\uFFFD')) throw new HttpError(412, { body: 'Invalid UTF8 or contains NULL' })
  return decoded
}

/** Swift's req.allow_reserved_names: the X-Backend-Allow-Reserved-Names header is true. */
export function allowsReservedNames(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const v = headers['x-backend-allow-reserved-names']
  return typeof v === 'string' && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.toLowerCase())
}
