// Errors the builder throws. The CLI prints `message` as its one-line error; `code` is stable
// for callers that branch on the kind of failure (test err.code, never instanceof).

export type BuilderErrorCode =
  | 'EINVALIDVALUE' // malformed device string, weight, part power, replica count...
  | 'EDUPLICATEDEV' // another device already uses ip:port/device, or the id is taken
  | 'ENODEV' // no such device id
  | 'EEMPTYRING' // no devices with weight
  | 'EVALIDATION' // the ring breaks an invariant (RingValidationError in Swift)
  | 'ENOBUILDER' // builder file missing or unreadable
  | 'ECORRUPT' // builder file present but not a builder, or of an unknown format version

export class BuilderError extends Error {
  readonly code: BuilderErrorCode

  constructor(code: BuilderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BuilderError'
    this.code = code
  }
}
