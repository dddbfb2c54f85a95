// The multipart/form-data body of an S3 POST Object (browser upload), read as a stream: the
// fields before the `file` part are collected (bounded, as AWS bounds them), the file's bytes
// are handed on as a stream ending at the part's boundary, and whatever follows the file is
// read and ignored (AWS ignores fields after the file).
import { Readable } from 'node:stream'
import { InvalidArgument, MalformedPOSTRequest, MaxPostPreDataLengthExceeded } from './errors.ts'

/** AWS refuses forms whose fields before the file exceed 20 KiB. */
export const MAX_PRE_DATA = 20 * 1024
const MAX_PART_HEADERS = 8 * 1024

export interface PostForm {
  /** Fields before the file, names lower-cased (the first of a repeated name wins). */
  fields: Map<string, string>
  /** The file part's filename (for ${filename} in the key). */
  filename: string
  /** The file's bytes, ending where its part ends; errors when the form is cut short. */
  file: Readable
}

/** The boundary of a multipart/form-data Content-Type, or undefined for any other type. */
export function formBoundary(contentType: string): string | undefined {
  const [type = '', ...params] = contentType.split(';')
  if (type.trim().toLowerCase() !== 'multipart/form-data') return undefined
  for (const p of params) {
    const eq = p.indexOf('=')
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue
    const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')
    return value || undefined
  }
  return undefined
}

function dispositionOf(headerBlock: string): { name: string | undefined; filename: string | undefined } {
  for (const line of headerBlock.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue
    const attr = (key: string) => {
      const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(line) ?? new RegExp(`;\\s*${key}=([^;\\s]*)`, 'i').exec(line)
      return m ? (m[1] ?? '').replace(/\\(.)/g, '$1') : undefined
    }
    return { name: attr('name'), filename: attr('filename') }
  }
  return { name: undefined, filename: undefined }
}

/** Reads the form up to the file; the returned file stream reads on from there. */
export async function readPostForm(body: AsyncIterable<Buffer>, boundary: string): Promise<PostForm> {
  const iterator = body[Symbol.asyncIterator]()
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  // A leading CRLF lets the first boundary be found like every other.
  let buf: Buffer = Buffer.from('\r\n')
  let consumed = 0
  const more = async (): Promise<boolean> => {
    const r = await iterator.next()
    if (r.done) return false
    buf = buf.length ? Buffer.concat([buf, r.value]) : r.value
    return true
  }
  const cutShort = () => new MalformedPOSTRequest('The body of your POST request is not well-formed multipart/form-data.')
  /** Waits for `needle` from `from`, within the pre-data bound; returns its index. */
  const find = async (needle: Buffer | string, from = 0): Promise<number> => {
    for (;;) {
      const at = buf.indexOf(needle, from)
      if (at >= 0) return at
      if (consumed + buf.length > MAX_PRE_DATA + MAX_PART_HEADERS) throw new MaxPostPreDataLengthExceeded()
      if (!(await more())) throw cutShort()
    }
  }
  const take = (n: number) => {
    consumed += n
    buf = buf.subarray(n)
  }

  const first = await find(delimiter)
  take(first + delimiter.length)
  const fields = new Map<string, string>()
  let preData = 0
  for (;;) {
    // After a boundary: "--" ends the form, CRLF starts a part.
    while (buf.length < 2) if (!(await more())) throw cutShort()
    if (buf.subarray(0, 2).toString('latin1') === '--') throw new InvalidArgument('POST requires exactly one file upload per request.', { ArgumentName: 'file', ArgumentValue: '0' })
    const headersEnd = await find('\r\n\r\n')
    if (headersEnd > MAX_PART_HEADERS) throw new MalformedPOSTRequest()
    const { name, filename } = dispositionOf(buf.subarray(0, headersEnd).toString('utf8'))
    take(headersEnd + 4)
    if (name === undefined) throw new MalformedPOSTRequest()
    if (name.toLowerCase() === 'file') return { fields, filename: filename ?? '', file: Readable.from(fileBytes(), { objectMode: false }) }
    const end = await find(delimiter)
    const value = buf.subarray(0, end).toString('utf8')
    preData += end
    if (preData > MAX_PRE_DATA) throw new MaxPostPreDataLengthExceeded()
    if (!fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), value)
    take(end + delimiter.length)
  }

  async function* fileBytes(): AsyncGenerator<Buffer> {
    for (;;) {
      const at = buf.indexOf(delimiter)
      if (at >= 0) {
        if (at > 0) yield buf.subarray(0, at)
        buf = Buffer.alloc(0)
        // The rest of the form (fields after the file) is read and ignored.
        for (let r = await iterator.next(); !r.done; r = await iterator.next());
        return
      }
      // Everything but a possible partial delimiter at the end is file data.
      const safe = buf.length - (delimiter.length - 1)
      if (safe > 0) {
        yield buf.subarray(0, safe)
        buf = buf.subarray(safe)
      }
      if (!(await more())) throw cutShort()
    }
  }
}
