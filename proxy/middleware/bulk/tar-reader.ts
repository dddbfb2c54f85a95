// A streaming tar reader (ustar, POSIX pax and GNU long names) for archive extraction: entries
// come one at a time and each file's body is a stream of exactly its bytes, read straight from
// the request, so an archive of any size passes through in constant memory. Errors carry the
// messages Python's tarfile gives (Swift answers "Invalid Tar File: <message>"); as tarfile in
// stream mode, a bad header after the first member ends the archive quietly.
import { Readable } from 'node:stream'

export class TarError extends Error {
  readonly code = 'ERR_TAR_INVALID'
}

const BLOCK = 512

/** Pulls exact byte counts out of an async iterable of chunks; reads never overlap. */
class ByteSource {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private done = false
  private lock: Promise<unknown> = Promise.resolve()
  constructor(private readonly it: AsyncIterator<Buffer | string>) {}

  /** Up to `max` bytes (fewer only at the end); an empty buffer at the end. */
  readSome(max: number): Promise<Buffer> {
    const run = this.lock.then(() => this.readSomeNow(max))
    this.lock = run.catch(() => undefined)
    return run
  }

  private async readSomeNow(max: number): Promise<Buffer> {
    while (this.pendingBytes === 0 && !this.done) {
      const r = await this.it.next()
      if (r.done) this.done = true
      else {
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value
        if (chunk.length) {
          this.pending.push(chunk)
          this.pendingBytes += chunk.length
        }
      }
    }
    if (this.pendingBytes === 0) return Buffer.alloc(0)
    const first = this.pending[0] as Buffer
    const out = first.length <= max ? first : first.subarray(0, max)
    if (first.length <= max) this.pending.shift()
    else this.pending[0] = first.subarray(max)
    this.pendingBytes -= out.length
    return out
  }

  async readExact(n: number): Promise<Buffer> {
    const parts: Buffer[] = []
    let got = 0
    while (got < n) {
      const b = await this.readSome(n - got)
      if (!b.length) break
      parts.push(b)
      got += b.length
    }
    return Buffer.concat(parts, got)
  }

  async skip(n: number): Promise<number> {
    let left = n
    while (left > 0) {
      const b = await this.readSome(Math.min(left, 65536))
      if (!b.length) break
      left -= b.length
    }
    return n - left
  }
}

export interface TarEntry {
  name: string
  size: number
  /** The ustar type flag ("0" regular file, "5" directory...). */
  type: string
  /** pax records that apply to this entry (global ones included). */
  pax: Readonly<Record<string, string>>
  isFile: boolean
  /** The file's bytes; read it (or not) before asking for the next entry. */
  body: Readable
}

const cString = (b: Buffer) => {
  const nul = b.indexOf(0)
  return (nul < 0 ? b : b.subarray(0, nul)).toString('utf8')
}

/** Python's nti: octal text, or GNU base-256 when the first byte has its high bit set. */
function numberField(b: Buffer): number {
  const first = b[0] ?? 0
  if (first === 0o200 || first === 0o377) {
    let n = 0
    for (let i = 1; i < b.length; i++) n = n * 256 + (b[i] ?? 0)
    return first === 0o377 ? n - 256 ** (b.length - 1) : n
  }
  const text = cString(b).trim()
  if (!/^[0-7]*$/.test(text)) throw new TarError('invalid header')
  return text ? parseInt(text, 8) : 0
}

function checksumOk(block: Buffer, stored: number): boolean {
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0)
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  return stored === unsigned || stored === signed
}

/** "<len> <key>=<value>\n" records. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let pos = 0
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos)
    if (space < 0) break
    const len = Number(data.subarray(pos, space).toString('ascii'))
    if (!Number.isInteger(len) || len <= 0) throw new TarError('invalid header')
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    pos += len
  }
  return out
}

const FILE_TYPES = new Set(['0', '\0', '7'])
const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK

export async function* readTar(input: AsyncIterable<Buffer | string>): AsyncGenerator<TarEntry> {
  const src = new ByteSource(input[Symbol.asyncIterator]())
  const globalPax: Record<string, string> = {}
  let localPax: Record<string, string> = {}
  let longName: string | undefined
  let offset = 0
  for (;;) {
    const block = await src.readExact(BLOCK)
    const first = offset === 0
    if (block.length === 0 && first) throw new TarError('empty file')
    if (block.length < BLOCK) {
      if (first) throw new TarError('truncated header')
      return
    }
    if (block.every((b) => b === 0)) return
    let size: number
    try {
      const stored = numberField(block.subarray(148, 156))
      if (!checksumOk(block, stored)) throw new TarError('bad checksum')
      size = numberField(block.subarray(124, 136))
    } catch (err) {
      if (first) throw err
      return
    }
    offset += BLOCK
    const type = String.fromCharCode(block[156] ?? 0)
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const data = await src.readExact(size)
      await src.skip(padded(size) - size)
      offset += padded(size)
      if (type === 'x') localPax = { ...localPax, ...parsePax(data) }
      else if (type === 'g') Object.assign(globalPax, parsePax(data))
      else if (type === 'L') longName = cString(data)
      continue
    }
    const magic = block.subarray(257, 263).toString('latin1')
    let name = cString(block.subarray(0, 100))
    const prefix = magic === 'ustar\0' ? cString(block.subarray(345, 500)) : ''
    if (prefix) name = `${prefix}/${name}`
    if (longName !== undefined) name = longName
    const pax = { ...globalPax, ...localPax }
    if (pax.path !== undefined) name = pax.path
    if (pax.size !== undefined && /^[0-9]+$/.test(pax.size)) size = Number(pax.size)
    localPax = {}
    longName = undefined
    const isFile = FILE_TYPES.has(type)
    // Directories, links and devices carry no data, whatever their size field says.
    const dataSize = isFile || !'123456'.includes(type) ? size : 0
    let left = dataSize
    async function* bytes(): AsyncGenerator<Buffer> {
      while (left > 0) {
        const b = await src.readSome(Math.min(left, 65536))
        if (!b.length) throw new TarError('unexpected end of data')
        left -= b.length
        yield b
      }
    }
    const body = Readable.from(bytes(), { objectMode: false })
    yield { name, size, type, pax, isFile, body }
    if (left > 0) {
      body.destroy()
      if ((await src.skip(left)) < left) throw new TarError('unexpected end of data')
      left = 0
    }
    await src.skip(padded(dataSize) - dataSize)
    offset += padded(dataSize)
  }
}
