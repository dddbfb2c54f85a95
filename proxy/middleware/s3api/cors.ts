// Bucket CORS (AWS's Put/Get/DeleteBucketCors; Swift's s3api has none): the configuration's
// rules are kept as versioned JSON in the container's system metadata. A browser's
// preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered from the
// first matching rule, or refused 403 AccessForbidden; actual requests carrying an Origin
// get the matching rule's Access-Control-* headers.
import { CORSForbidden, InvalidRequest, MalformedXML, NoSuchCORSConfiguration } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { readXmlBody, sendEmpty, sendXml, swiftError } from './s3-request.ts'
import { listOf, textOf } from './xml.ts'

export const CORS_SYSMETA = 'x-container-sysmeta-s3api-cors'
const CORS_FORMAT = 1
const MAX_RULES = 100
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD']

export interface CorsRule {
  id?: string | undefined
  origins: string[]
  methods: string[]
  headers: string[]
  expose: string[]
  maxAge?: number | undefined
}

interface StoredCors {
  v: typeof CORS_FORMAT
  rules: CorsRule[]
}

export function parseCorsConfiguration(doc: Record<string, unknown>): CorsRule[] {
  const config = doc.CORSConfiguration
  if (config === undefined || config === null || typeof config !== 'object') throw new MalformedXML()
  const rules = listOf(config, 'CORSRule').map((r): CorsRule => {
    const texts = (name: string) => listOf(r, name).map((v) => textOf({ v }, 'v') ?? '')
    const methods = texts('AllowedMethod')
    const origins = texts('AllowedOrigin')
    if (!methods.length || !origins.length) throw new MalformedXML()
    for (const m of methods) if (!METHODS.includes(m)) throw new InvalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`)
    for (const o of origins) if ((o.match(/\*/g) ?? []).length > 1) throw new InvalidRequest(`AllowedOrigin "${o}" can not have more than one wildcard.`)
    const maxAge = textOf(r, 'MaxAgeSeconds')
    if (maxAge !== undefined && !/^\d+$/.test(maxAge)) throw new MalformedXML()
    return { id: textOf(r, 'ID'), origins, methods, headers: texts('AllowedHeader'), expose: texts('ExposeHeader'), maxAge: maxAge === undefined ? undefined : Number(maxAge) }
  })
  if (rules.length === 0 || rules.length > MAX_RULES) throw new MalformedXML()
  return rules
}

/** A glob with at most one `*`, matched case-sensitively (origins) or not (headers). */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern
  const v = ignoreCase ? value.toLowerCase() : value
  const star = p.indexOf('*')
  if (star < 0) return p === v
  const head = p.slice(0, star)
  const tail = p.slice(star + 1)
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail)
}

/** The first rule allowing `origin` to use `method` with `headers`. */
export function matchRule(rules: CorsRule[], origin: string, method: string, headers: string[]): CorsRule | undefined {
  return rules.find((r) => r.origins.some((o) => wildcardMatch(o, origin, false)) && r.methods.includes(method) && headers.every((h) => r.headers.some((a) => wildcardMatch(a, h, true))))
}

async function readRules(req: S3Request): Promise<CorsRule[] | undefined> {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket })
  res.discard()
  if (res.status !== 204 && res.status !== 200) throw swiftError(req, res)
  const raw = res.headers[CORS_SYSMETA]
  if (!raw) return undefined
  try {
    const stored = JSON.parse(raw) as StoredCors
    return stored.v === CORS_FORMAT ? stored.rules : undefined
  } catch {
    return undefined
  }
}

export async function putBucketCors(req: S3Request): Promise<void> {
  const rules = parseCorsConfiguration(await readXmlBody(req))
  const stored: StoredCors = { v: CORS_FORMAT, rules }
  const res = await req.swift.request({ method: 'POST', container: req.bucket, headers: { [CORS_SYSMETA]: JSON.stringify(stored) } })
  res.discard()
  if (res.status !== 204 && res.status !== 202 && res.status !== 200) throw swiftError(req, res)
  sendEmpty(req, 200)
}

export async function getBucketCors(req: S3Request): Promise<void> {
  const rules = await readRules(req)
  if (!rules) throw new NoSuchCORSConfiguration(undefined, { BucketName: req.bucket ?? '' })
  const out = rules.map((r) => {
    const rule: Record<string, unknown> = {}
    if (r.id !== undefined) rule.ID = r.id
    if (r.headers.length) rule.AllowedHeader = r.headers
    rule.AllowedMethod = r.methods
    rule.AllowedOrigin = r.origins
    if (r.expose.length) rule.ExposeHeader = r.expose
    if (r.maxAge !== undefined) rule.MaxAgeSeconds = r.maxAge
    return rule
  })
  sendXml(req, 200, 'CORSConfiguration', { CORSRule: out })
}

export async function deleteBucketCors(req: S3Request): Promise<void> {
  const res = await req.swift.request({ method: 'POST', container: req.bucket, headers: { [CORS_SYSMETA]: '' } })
  res.discard()
  if (res.status !== 204 && res.status !== 202 && res.status !== 200) throw swiftError(req, res)
  sendEmpty(req, 204)
}

function setAllowHeaders(req: S3Request, rule: CorsRule, origin: string): void {
  const ctx = req.ctx
  ctx.set('Access-Control-Allow-Origin', rule.origins.includes('*') ? '*' : origin)
  ctx.set('Access-Control-Allow-Methods', rule.methods.join(', '))
  if (rule.expose.length) ctx.set('Access-Control-Expose-Headers', rule.expose.join(', '))
  if (rule.maxAge !== undefined) ctx.set('Access-Control-Max-Age', String(rule.maxAge))
  if (!rule.origins.includes('*')) ctx.set('Access-Control-Allow-Credentials', 'true')
  ctx.set('Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method')
}

/** A browser's preflight OPTIONS for a bucket or key. */
export async function preflight(req: S3Request): Promise<void> {
  const origin = req.ctx.get('Origin')
  const method = req.ctx.get('Access-Control-Request-Method')
  if (!origin) throw new InvalidRequest('Insufficient information. Origin request header needed.')
  if (!method) throw new InvalidRequest('Invalid Access-Control-Request-Method: null')
  const rules = await readRules(req)
  if (!rules) throw new CORSForbidden('CORSResponse: CORS is not enabled for this bucket.')
  const headers = req.ctx.get('Access-Control-Request-Headers').split(',').map((h) => h.trim()).filter(Boolean)
  const rule = matchRule(rules, origin, method, headers)
  if (!rule) throw new CORSForbidden()
  setAllowHeaders(req, rule, origin)
  if (headers.length) req.ctx.set('Access-Control-Allow-Headers', headers.join(', '))
  sendEmpty(req, 200)
}

/** An actual request with an Origin: the matching rule's headers go on the answer (errors included). */
export async function applyCorsHeaders(req: S3Request): Promise<void> {
  const origin = req.ctx.get('Origin')
  if (!origin || req.bucket === undefined || req.ctx.method === 'OPTIONS') return
  const rules = await readRules(req).catch(() => undefined)
  const rule = rules && matchRule(rules, origin, req.ctx.method, [])
  if (rule) setAllowHeaders(req, rule, origin)
}
