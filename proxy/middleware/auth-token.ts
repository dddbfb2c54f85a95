// Self-validating auth tokens. Swift's tempauth keeps tokens in memcache so that every proxy
// worker sees them; Tern signs them instead (HMAC-SHA256 under a secret from the proxy's
// config), so any worker, or any proxy of the cluster sharing the secret, validates a token
// without a shared store. The token carries the user and its expiry; the MAC also covers
// the user's key, so changing a password revokes every token issued under the old one.
//
//   <reseller_prefix>tk<hex( version | expires | nonce | userLen | user | mac )>
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Identity } from '../context.ts'

/**
 * Turns a token into an identity, or undefined when the token is not valid (unknown, expired,
 * forged). Tempauth's signed tokens are one implementation; identity-service (Keystone)
 * tokens are meant to be another, behind the same interface.
 */
export interface TokenResolver {
  resolve(token: string): Identity | undefined | Promise<Identity | undefined>
}

const FORMAT_VERSION = 1
const MAC_BYTES = 16
const NONCE_BYTES = 8
// version(1) + expires(8) + nonce(8) + userLen(2)
const HEADER_BYTES = 1 + 8 + NONCE_BYTES + 2

export interface TokenClaims {
  /** "account:user". */
  user: string
  /** Expiry, in milliseconds since the epoch. */
  expiresAt: number
}

export class SignedTokenCodec {
  readonly #secret: Buffer
  readonly #tokenPrefix: string

  /** `resellerPrefix` is e.g. "AUTH_": tokens read "AUTH_tk…" as Swift's do. */
  constructor(secret: string | Buffer, resellerPrefix: string) {
    if (secret.length === 0) throw new Error('token secret must not be empty')
    this.#secret = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8')
    this.#tokenPrefix = `${resellerPrefix}tk`
  }

  /** `userKey` binds the token to the user's current key (password). */
  issue(claims: TokenClaims, userKey: string): string {
    const user = Buffer.from(claims.user, 'utf8')
    const body = Buffer.alloc(HEADER_BYTES + user.length)
    body.writeUInt8(FORMAT_VERSION, 0)
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(claims.expiresAt))), 1)
    randomBytes(NONCE_BYTES).copy(body, 9)
    body.writeUInt16BE(user.length, 9 + NONCE_BYTES)
    user.copy(body, HEADER_BYTES)
    return this.#tokenPrefix + Buffer.concat([body, this.#mac(body, userKey)]).toString('hex')
  }

  /** The claims of a well-formed token, NOT yet authenticated: call verify() with the user's key. */
  decode(token: string): TokenClaims | undefined {
    const body = this.#body(token)
    if (!body) return undefined
    return { user: body.subarray(HEADER_BYTES, body.length - MAC_BYTES).toString('utf8'), expiresAt: Number(body.readBigUInt64BE(1)) }
  }

  /** Whether the token was issued by this secret for this user key and has not expired at `now`. */
  verify(token: string, userKey: string, now: number): boolean {
    const body = this.#body(token)
    if (!body) return false
    const signed = body.subarray(0, body.length - MAC_BYTES)
    const mac = body.subarray(body.length - MAC_BYTES)
    if (!timingSafeEqual(mac, this.#mac(signed, userKey))) return false
    return Number(body.readBigUInt64BE(1)) > now
  }

  #body(token: string): Buffer | undefined {
    if (!token.startsWith(this.#tokenPrefix)) return undefined
    const hex = token.slice(this.#tokenPrefix.length)
    if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return undefined
    const body = Buffer.from(hex, 'hex')
    if (body.length < HEADER_BYTES + MAC_BYTES || body.readUInt8(0) !== FORMAT_VERSION) return undefined
    if (body.readUInt16BE(9 + NONCE_BYTES) !== body.length - HEADER_BYTES - MAC_BYTES) return undefined
    return body
  }

  #mac(signed: Buffer, userKey: string): Buffer {
    return createHmac('sha256', this.#secret)
      .update(this.#tokenPrefix)
      .update('\0')
      .update(userKey, 'utf8')
      .update('\0')
      .update(signed)
      .digest()
      .subarray(0, MAC_BYTES)
  }
}
