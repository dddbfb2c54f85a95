// Swift's Timestamp (swift/common/utils/timestamp.py): seconds with 5 decimal places, plus an
// optional offset that orders writes sharing one wall-clock time. Normal form "%016.5f"
// ("0000001234.56789"); internal form appends "_%016x" of the offset when it is not zero.
// Kept as integer ticks of 10 µs so that comparisons are exact.

const TICKS_PER_SECOND = 100_000
const MAX_OFFSET = 2 ** 53 - 1

export class TimestampError extends Error {
  readonly code = 'ERR_TIMESTAMP'
}

export class Timestamp {
  /** 10 µs units since the epoch. */
  readonly ticks: number
  readonly offset: number

  constructor(ticks: number, offset = 0) {
    if (!Number.isSafeInteger(ticks) || ticks < 0) throw new TimestampError(`bad timestamp ticks: ${ticks}`)
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
      throw new TimestampError(`bad timestamp offset: ${offset}`)
    }
    this.ticks = ticks
    this.offset = offset
  }

  static now(): Timestamp {
    return Timestamp.fromSeconds(Date.now() / 1000)
  }

  static fromSeconds(seconds: number, offset = 0): Timestamp {
    if (!Number.isFinite(seconds) || seconds < 0) throw new TimestampError(`bad timestamp: ${seconds}`)
    // Swift formats the float with "%.5f" (correctly rounded); toFixed rounds the same way.
    const [whole, frac] = seconds.toFixed(5).split('.') as [string, string]
    return new Timestamp(Number(whole) * TICKS_PER_SECOND + Number(frac), offset)
  }

  /** Parses normal, internal ("..._<hex offset>") and plain numeric forms, as Swift accepts them. */
  static parse(text: string): Timestamp {
    const [base = '', offsetHex, extra] = text.trim().split('_')
    if (extra !== undefined || !/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(base)) {
      throw new TimestampError(`invalid timestamp: ${JSON.stringify(text)}`)
    }
    if (offsetHex !== undefined && !/^[0-9a-fA-F]{1,16}$/.test(offsetHex)) {
      throw new TimestampError(`invalid timestamp offset: ${JSON.stringify(text)}`)
    }
    return Timestamp.fromSeconds(Number(base), offsetHex === undefined ? 0 : parseInt(offsetHex, 16))
  }

  get seconds(): number {
    return this.ticks / TICKS_PER_SECOND
  }

  /** "0000001234.56789" */
  get normal(): string {
    const whole = Math.floor(this.ticks / TICKS_PER_SECOND)
    const frac = this.ticks % TICKS_PER_SECOND
    return `${String(whole).padStart(10, '0')}.${String(frac).padStart(5, '0')}`
  }

  /** Normal form, with "_<16 hex digits>" when there is an offset. */
  get internal(): string {
    return this.offset ? `${this.normal}_${this.offset.toString(16).padStart(16, '0')}` : this.normal
  }

  /** Seconds rounded up, as Swift's Last-Modified uses. */
  get ceilSeconds(): number {
    return Math.ceil(this.ticks / TICKS_PER_SECOND)
  }

  /** RFC 1123 date of the rounded-up second (Last-Modified). */
  get httpDate(): string {
    return new Date(this.ceilSeconds * 1000).toUTCString()
  }

  /** ISO 8601 with microseconds, as Swift's listings' last_modified ("2024-01-02T03:04:05.123450"). */
  get isoformat(): string {
    const ms = Math.floor(this.ticks / 100)
    const micros = (this.ticks % 100) * 10
    const iso = new Date(ms).toISOString() // 2024-01-02T03:04:05.123Z
    const base = iso.slice(0, 19)
    const fraction = String((ms % 1000) * 1000 + micros).padStart(6, '0')
    return `${base}.${fraction}`
  }

  compare(other: Timestamp): number {
    return this.ticks - other.ticks || this.offset - other.offset
  }

  newerThan(other: Timestamp): boolean {
    return this.compare(other) > 0
  }

  equals(other: Timestamp): boolean {
    return this.ticks === other.ticks && this.offset === other.offset
  }

  withOffset(offset: number): Timestamp {
    return new Timestamp(this.ticks, offset)
  }

  toString(): string {
    return this.internal
  }
}

export function maxTimestamp(...stamps: (Timestamp | undefined)[]): Timestamp | undefined {
  let best: Timestamp | undefined
  for (const s of stamps) if (s && (!best || s.newerThan(best))) best = s
  return best
}
