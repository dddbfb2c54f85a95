// POST Object (browser form uploads, AWS's "Browser-Based Uploads Using POST"): the form's
// fields stand for a PutObject's headers (Content-Type, Cache-Control, Content-Disposition,
// Content-Encoding, Expires, x-amz-meta-*, acl, tagging, x-amz-storage-class, x-amz-checksum-*), the
// key may name ${filename}, the policy's content-length-range bounds the file (checked as it
// streams: a file out of range leaves the backend PUT unfinished, so nothing is stored), and
// the answer is success_action_redirect (303 with bucket, key and etag), or
// success_action_status 200 / 201 (a PostResponse document) / 204 (the default).
import type { TransformCallback } from 'node:stream'
import { Transform } from 'node:stream'
import type { ProxyContext } from '../../context.ts'
import type { BodyCheck } from './aws-chunked.ts'
import { EntityTooLarge, EntityTooSmall, IncompleteBody, InvalidArgument, MalformedXML, S3Error } from './errors.ts'
import { tagsOfDocument } from './tagging.ts'
import { parseXml } from './xml.ts'
import type { PostForm } from './post-form.ts'
import type { PolicyLimits } from './post-policy.ts'
import type { S3Request } from './s3-request.ts'
import { quoteEtag, sendEmpty, sendXml } from './s3-request.ts'
import { storeObject } from './object.ts'

/** Form fields that become the PutObject header of the same name. */
const HEADER_FIELDS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'expires', 'x-amz-storage-class', 'x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256', 'x-amz-checksum-algorithm']

/** The object key the form names, ${filename} replaced by the uploaded file's name. */
export function postKey(form: PostForm): string {
  const key = form.fields.get('key')
  if (key === undefined) throw new InvalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", { ArgumentName: 'key', ArgumentValue: '' })
  const filename = form.filename.split(/[\\/]/).at(-1) ?? ''
  const resolved = key.replaceAll('${filename}', filename)
  if (resolved === '') throw new InvalidArgument('User key must have a length greater than 0.', { ArgumentName: 'key', ArgumentValue: '' })
  return resolved
}

/**
 * Makes the form's fields the request's headers, so the PutObject translation reads them as
 * it reads a PutObject's (the multipart Content-Type and length are the form's, not the file's).
 */
export function formAsHeaders(ctx: ProxyContext, form: PostForm): void {
  const headers = ctx.req.headers
  for (const name of ['content-type', 'content-md5', 'content-encoding', 'x-amz-acl', 'x-amz-tagging', 'if-none-match', 'if-match']) delete headers[name]
  for (const name of Object.keys(headers)) if (name.startsWith('x-amz-meta-') || name.startsWith('x-amz-checksum-') || name.startsWith('x-amz-grant-')) delete headers[name]
  for (const [name, value] of form.fields) {
    if (HEADER_FIELDS.includes(name) || name.startsWith('x-amz-meta-')) headers[name] = value
    else if (name === 'acl') headers['x-amz-acl'] = value
    else if (name === 'tagging') headers['x-amz-tagging'] = taggingOfField(value)
  }
  headers['content-type'] ??= 'binary/octet-stream'
}

/** The form's tagging field (a Tagging XML document) as an x-amz-tagging header value. */
function taggingOfField(xml: string): string {
  let doc: Record<string, unknown>
  try {
    doc = parseXml(Buffer.from(xml))
  } catch {
    throw new MalformedXML()
  }
  return new URLSearchParams(tagsOfDocument(doc)).toString()
}

/** Bounds the file by the policy's content-length-range, holding back its last bytes until the bound holds. */
export class FormFileCheck extends Transform implements BodyCheck {
  failure: S3Error | undefined
  #size = 0
  #held: Buffer | undefined

  constructor(private readonly limits: PolicyLimits) {
    super()
  }

  /** Records why the form's file stream failed (a form cut short). */
  noteSourceFailure(err: unknown): void {
    this.failure ??= err instanceof S3Error ? err : new IncompleteBody()
    this.destroy(this.failure)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length
    if (this.#size > this.limits.maxSize) {
      this.failure = new EntityTooLarge(undefined, { ProposedSize: String(this.#size), MaxSizeAllowed: String(this.limits.maxSize) })
      return callback(this.failure)
    }
    if (this.#held) this.push(this.#held)
    this.#held = chunk
    callback()
  }

  override _flush(callback: TransformCallback): void {
    if (this.#size < this.limits.minSize) {
      this.failure = new EntityTooSmall(undefined, { ProposedSize: String(this.#size), MinSizeAllowed: String(this.limits.minSize) })
      return callback(this.failure)
    }
    if (this.#held) this.push(this.#held)
    callback()
  }
}

function redirectTarget(raw: string | undefined, bucket: string, key: string, etag: string): string | undefined {
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  url.searchParams.append('bucket', bucket)
  url.searchParams.append('key', key)
  url.searchParams.append('etag', etag)
  return url.toString()
}

export async function postObject(req: S3Request): Promise<void> {
  const form = req.form as PostForm
  const bucket = req.bucket as string
  const key = req.key as string
  const etag = quoteEtag(await storeObject(req))
  const ctx = req.ctx
  const location = `${ctx.protocol}://${ctx.get('Host')}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`
  ctx.set('ETag', etag)
  ctx.set('Location', location)
  const redirect = redirectTarget(form.fields.get('success_action_redirect') ?? form.fields.get('redirect'), bucket, key, etag)
  if (redirect) {
    ctx.set('Location', redirect)
    return sendEmpty(req, 303)
  }
  const status = form.fields.get('success_action_status')
  if (status === '201') return sendXml(req, 201, 'PostResponse', { Location: location, Bucket: bucket, Key: key, ETag: etag })
  sendEmpty(req, status === '200' ? 200 : 204)
}
