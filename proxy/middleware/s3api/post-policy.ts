// The signed policy of an S3 POST Object form: the policy document (base64 JSON with an
// expiration and conditions: {"field": value} and ["eq", "$field", value] exact matches,
// ["starts-with", "$field", prefix], ["content-length-range", min, max]), every form field
// covered by some condition, and the policy's signature: SigV4 (x-amz-algorithm,
// x-amz-credential, x-amz-date, x-amz-signature: HMAC of the base64 policy with the scope's
// signing key) or SigV2 (AWSAccessKeyId, signature: HMAC-SHA1 of the base64 policy).
// AWS's answers: AccessDenied "Invalid according to Policy: ...", InvalidPolicyDocument.
import type { MiddlewareDeps } from '../../context.ts'
import type { S3Authenticated, S3AuthOptions } from './auth.ts'
import { lookupCredential } from './auth.ts'
import { AccessDenied, AuthorizationQueryParametersError, InvalidArgument, InvalidPolicyDocument, SignatureDoesNotMatch } from './errors.ts'
import { signV2 } from './sigv2.ts'
import { SIGV4_ALGORITHM, hmacHex, parseAmzDate, parseCredential, sameSignature, signingKey } from './sigv4.ts'

/** Fields no condition has to name (AWS: the signature, the file, the policy itself, x-ignore-*). */
const EXEMPT = new Set(['x-amz-signature', 'signature', 'awsaccesskeyid', 'file', 'policy'])

export interface PolicyLimits {
  /** content-length-range, inclusive. */
  minSize: number
  maxSize: number
}

type Condition = { op: 'eq' | 'starts-with'; field: string; value: string; text: string } | { op: 'range'; min: number; max: number }

const refused = (why: string) => new AccessDenied(`Invalid according to Policy: ${why}`)

function parseConditions(raw: unknown): Condition[] {
  if (!Array.isArray(raw)) throw new InvalidPolicyDocument('Invalid Policy: Policy missing conditions.')
  return raw.map((c): Condition => {
    if (c && typeof c === 'object' && !Array.isArray(c)) {
      const entries = Object.entries(c as Record<string, unknown>)
      const [name, value] = entries[0] ?? []
      if (entries.length !== 1 || typeof name !== 'string' || typeof value !== 'string') throw new InvalidPolicyDocument(`Invalid Policy: Invalid Simple-Condition: ${JSON.stringify(c)}`)
      return { op: 'eq', field: name.toLowerCase().replace(/^\$/, ''), value, text: JSON.stringify(['eq', `$${name}`, value]) }
    }
    if (!Array.isArray(c) || c.length !== 3) throw new InvalidPolicyDocument(`Invalid Policy: Invalid Condition: ${JSON.stringify(c)}`)
    const op = String(c[0]).toLowerCase()
    if (op === 'content-length-range') {
      const [min, max] = [Number(c[1]), Number(c[2])]
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) throw new InvalidPolicyDocument(`Invalid Policy: Invalid content-length-range: ${JSON.stringify(c)}`)
      return { op: 'range', min, max }
    }
    if ((op !== 'eq' && op !== 'starts-with') || typeof c[1] !== 'string' || !c[1].startsWith('$') || typeof c[2] !== 'string') {
      throw new InvalidPolicyDocument(`Invalid Policy: Invalid Condition: ${JSON.stringify(c)}`)
    }
    return { op, field: c[1].slice(1).toLowerCase(), value: c[2], text: JSON.stringify(c) }
  })
}

/** Checks the form against its policy document; the size limits are checked as the file streams. */
export function checkPolicy(policyBase64: string, fields: ReadonlyMap<string, string>, bucket: string, now: number): PolicyLimits {
  let doc: { expiration?: unknown; conditions?: unknown }
  try {
    doc = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8')) as typeof doc
  } catch {
    throw new InvalidPolicyDocument('Invalid Policy: Invalid JSON.')
  }
  if (!doc || typeof doc !== 'object') throw new InvalidPolicyDocument('Invalid Policy: Invalid JSON.')
  if (typeof doc.expiration !== 'string') throw new InvalidPolicyDocument('Invalid Policy: Policy missing expiration.')
  const expires = Date.parse(doc.expiration)
  if (Number.isNaN(expires)) throw new InvalidPolicyDocument('Invalid Policy: Invalid \'expiration\' value: \'' + doc.expiration + '\'')
  if (now > expires) throw refused('Policy expired.')
  const limits: PolicyLimits = { minSize: 0, maxSize: Number.MAX_SAFE_INTEGER }
  const covered = new Set<string>()
  for (const c of parseConditions(doc.conditions)) {
    if (c.op === 'range') {
      limits.minSize = c.min
      limits.maxSize = c.max
      continue
    }
    covered.add(c.field)
    const actual = c.field === 'bucket' ? bucket : fields.get(c.field)
    const ok = c.op === 'eq' ? actual === c.value : actual !== undefined && actual.startsWith(c.value)
    if (!ok && !(c.op === 'starts-with' && c.value === '' && actual === undefined)) throw refused(`Policy Condition failed: ${c.text}`)
  }
  for (const name of fields.keys()) {
    if (EXEMPT.has(name) || name.startsWith('x-ignore-') || covered.has(name)) continue
    throw refused(`Extra input fields: ${name}`)
  }
  return limits
}

/** The credential that signed the form's policy (SigV4 or SigV2), or undefined for an anonymous form. */
export function authenticatePost(deps: MiddlewareDeps, fields: ReadonlyMap<string, string>, options: S3AuthOptions): S3Authenticated | undefined {
  const policy = fields.get('policy')
  const v4 = fields.get('x-amz-signature')
  const v2 = fields.get('signature')
  if (v4 === undefined && v2 === undefined && fields.get('awsaccesskeyid') === undefined) {
    if (policy !== undefined) throw new InvalidArgument('Bucket POST must contain a field named \'x-amz-signature\'.  If it is specified, please check the order of the fields.', { ArgumentName: 'x-amz-signature', ArgumentValue: '' })
    return undefined
  }
  if (policy === undefined) throw new InvalidArgument('Bucket POST must contain a field named \'policy\'.  If it is specified, please check the order of the fields.', { ArgumentName: 'policy', ArgumentValue: '' })
  if (v4 !== undefined) {
    if (fields.get('x-amz-algorithm') !== SIGV4_ALGORITHM) throw new InvalidArgument(`Only ${SIGV4_ALGORITHM} is supported`, { ArgumentName: 'x-amz-algorithm', ArgumentValue: fields.get('x-amz-algorithm') ?? '' })
    const scope = parseCredential(fields.get('x-amz-credential') ?? '', () => new InvalidArgument('Invalid credential', { ArgumentName: 'x-amz-credential', ArgumentValue: fields.get('x-amz-credential') ?? '' }))
    if (scope.region !== options.region || scope.service !== 's3') throw new AuthorizationQueryParametersError(`Error parsing the X-Amz-Credential parameter; the region '${scope.region}' is wrong; expecting '${options.region}'`)
    const amzDate = fields.get('x-amz-date') ?? ''
    if (Number.isNaN(parseAmzDate(amzDate)) || amzDate.slice(0, 8) !== scope.scopeDate) throw new InvalidArgument('Invalid x-amz-date', { ArgumentName: 'x-amz-date', ArgumentValue: amzDate })
    const credential = lookupCredential(deps, scope.accessKey)
    if (!sameSignature(hmacHex(signingKey(credential.secret, scope), policy), v4)) throw new SignatureDoesNotMatch(undefined, { AWSAccessKeyId: scope.accessKey, StringToSign: policy })
    return { credential, accessKey: scope.accessKey, version: 4 }
  }
  const accessKey = fields.get('awsaccesskeyid') ?? ''
  const credential = lookupCredential(deps, accessKey)
  if (v2 === undefined || !sameSignature(signV2(credential.secret, policy), v2)) throw new SignatureDoesNotMatch(undefined, { AWSAccessKeyId: accessKey, StringToSign: policy })
  return { credential, accessKey, version: 2 }
}
