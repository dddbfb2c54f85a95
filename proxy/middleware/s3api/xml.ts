// S3 request and response XML through fast-xml-parser, with hard limits on what a client's
// document may cost: the body is read up to a byte limit (and refused beyond it without
// buffering the rest), DOCTYPE/ENTITY declarations are refused outright (no entity
// expansion), and element nesting is bounded before the parser sees the text.
import type { Readable } from 'node:stream'
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser'

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'
/** Large enough for DeleteObjects' 1,000 keys of 1,024 bytes, and CompleteMultipartUpload's 10,000 parts. */
export const MAX_XML_BYTES = 2 * 1024 * 1024
export const MAX_XML_DEPTH = 32

export class XmlLimitError extends Error {
  readonly code = 'ERR_S3_XML'
}

/** Elements that may repeat in the request documents S3 accepts: always parsed as arrays. */
const ARRAY_TAGS = new Set(['Object', 'Part', 'Tag', 'CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'Grant'])

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  isArray: (name) => ARRAY_TAGS.has(name),
})

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false, suppressEmptyNode: false, processEntities: true })

/**
 * Reads a request body of at most `limit` bytes; more is an XmlLimitError. The excess is
 * drained and dropped (not buffered), so the connection survives to carry the error answer.
 */
export function readLimitedBody(body: Readable, limit = MAX_XML_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        chunks.length = 0
        body.on('error', () => undefined)
        body.resume()
        reject(new XmlLimitError(`XML body larger than ${limit} bytes`))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks))
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const cleanup = () => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
    }
    body.on('data', onData)
    body.on('end', onEnd)
    body.on('error', onError)
  })
}

function checkShape(text: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlLimitError('DTDs are not accepted')
  let depth = 0
  const tag = /<(\/?)[^>]*?(\/?)>/g
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    const raw = m[0]
    if (raw.startsWith('<?') || raw.startsWith('<!')) continue
    if (m[1]) depth--
    else if (!m[2]) {
      depth++
      if (depth > MAX_XML_DEPTH) throw new XmlLimitError(`XML nested deeper than ${MAX_XML_DEPTH}`)
    }
  }
}

/** Parses a client's XML document; any problem is an XmlLimitError (callers answer MalformedXML). */
export function parseXml(body: Buffer): Record<string, unknown> {
  if (body.length > MAX_XML_BYTES) throw new XmlLimitError('XML body too large')
  const text = body.toString('utf8')
  checkShape(text)
  const valid = XMLValidator.validate(text)
  if (valid !== true) throw new XmlLimitError(valid.err.msg)
  const doc = parser.parse(text) as unknown
  if (doc === null || typeof doc !== 'object') throw new XmlLimitError('not an XML document')
  return doc as Record<string, unknown>
}

/** Renders `<root xmlns=S3>...</root>` with the XML declaration AWS sends. */
export function buildXml(root: string, content: Record<string, unknown>, options: { namespace?: boolean } = {}): string {
  const withNs = options.namespace === false ? content : { '@_xmlns': S3_NAMESPACE, ...content }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: withNs }) as string}`
}

/** A child element's text, or undefined. */
export function textOf(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined
  const v = (node as Record<string, unknown>)[name]
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return ''
}

/** A child element's repeated entries (ARRAY_TAGS are always arrays). */
export function listOf(node: unknown, name: string): unknown[] {
  if (node === null || typeof node !== 'object') return []
  const v = (node as Record<string, unknown>)[name]
  if (v === undefined) return []
  return Array.isArray(v) ? v : [v]
}
