// The response bodies of bulk operations (Swift's bulk.get_response_body), shared by bulk
// delete, archive extraction and SLO's manifest PUT/DELETE: a dictionary of results plus a
// list of [name, status] errors, as text/plain, JSON or XML depending on Accept.
import { pythonJsonDumps } from '../../../common/python-json.ts'
export const ACCEPTABLE_FORMATS = ['text/plain', 'application/json', 'application/xml', 'text/xml'] as const
export type BulkFormat = (typeof ACCEPTABLE_FORMATS)[number]

/** swob's Accept.best_match over ACCEPTABLE_FORMATS; undefined when none is acceptable. */
export function bestFormat(accept: string | undefined): BulkFormat | undefined {
  if (!accept) return 'text/plain'
  let best: { format: BulkFormat; q: number; specificity: number } | undefined
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().split(';').map((s) => s.trim())
    let q = 1
    for (const p of params) if (p.startsWith('q=')) q = Number(p.slice(2))
    if (!(q > 0)) continue
    const [type = '', subtype = ''] = range.toLowerCase().split('/')
    for (const format of ACCEPTABLE_FORMATS) {
      const [ft, fs] = format.split('/')
      const specificity = type === '*' ? 0 : subtype === '*' ? 1 : 2
      const ok = type === '*' || (type === ft && (subtype === '*' || subtype === fs))
      if (!ok) continue
      if (!best || q > best.q || (q === best.q && specificity > best.specificity)) best = { format, q, specificity }
    }
  }
  return best?.format
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export type BulkErrors = readonly (readonly [name: string, status: string])[]

export function bulkResponseBody(format: string | undefined, data: Record<string, string | number>, errors: BulkErrors, rootTag: string): string {
  if (format === 'application/json') return pythonJsonDumps({ ...data, Errors: errors })
  const keys = Object.keys(data).sort()
  if (format?.endsWith('/xml')) {
    const out = [`<${rootTag}>\n`]
    for (const key of keys) {
      const tag = key.replace(/ /g, '_').toLowerCase()
      out.push(`<${tag}>${escapeXml(String(data[key]))}</${tag}>\n`)
    }
    out.push('<errors>\n')
    for (const [name, status] of errors) out.push(`<object><name>${escapeXml(name)}</name><status>${escapeXml(status)}</status></object>\n`)
    out.push(`</errors>\n</${rootTag}>\n`)
    return out.join('')
  }
  const out = keys.map((key) => `${key}: ${data[key]}\n`)
  out.push('Errors:\n')
  for (const [name, status] of errors) out.push(`${name}, ${status}\n`)
  return out.join('')
}
