// Bucket and object tagging (AWS's Get/Put/DeleteBucketTagging and ...ObjectTagging; Swift's
// s3api answers NotImplemented for buckets). Tags are stored as a query string
// ("k1=v1&k2=v2", the x-amz-tagging header's own form) in system metadata of the container
// or the object; an object's change is a POST that keeps its other metadata.
import { objectPostHeaders } from './acl.ts'
import { TAGGING_SYSMETA as OBJECT_TAGGING_SYSMETA, storedTagging } from './object-headers.ts'
import { InvalidTag, MalformedXML, NoSuchKey, NoSuchTagSet } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { readXmlBody, sendEmpty, sendXml, swiftError } from './s3-request.ts'
import { listOf, textOf } from './xml.ts'

export const BUCKET_TAGGING_SYSMETA = 'x-container-sysmeta-s3api-tagging'

const MAX_OBJECT_TAGS = 10
const MAX_BUCKET_TAGS = 50

const noSuchKey = (req: S3Request) => () => new NoSuchKey(undefined, { Key: req.key ?? '' })
const sysmetaOf = (req: S3Request) => (req.key !== undefined ? OBJECT_TAGGING_SYSMETA : BUCKET_TAGGING_SYSMETA)

/** Checks a tag set as AWS does (key 1-128 chars, value up to 256, keys unique, at most 10 / 50). */
export function checkTags(tags: [string, string][], kind: 'bucket' | 'object'): void {
  if (tags.length > (kind === 'object' ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS)) throw new InvalidTag(`${kind === 'object' ? 'Object' : 'Bucket'} tags cannot be greater than ${kind === 'object' ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS}`)
  const seen = new Set<string>()
  for (const [k, v] of tags) {
    if (k.length < 1 || k.length > 128) throw new InvalidTag('The TagKey you have provided is invalid')
    if (v.length > 256) throw new InvalidTag('The TagValue you have provided is invalid')
    if (k.startsWith('aws:')) throw new InvalidTag('Your TagKey cannot be prefixed with aws:')
    if (seen.has(k)) throw new InvalidTag('Cannot provide multiple Tags with the same key')
    seen.add(k)
  }
}

/** The x-amz-tagging header of a write, checked (undefined when absent). */
export function taggingOfHeader(raw: string): string {
  const tags = [...new URLSearchParams(raw)]
  checkTags(tags, 'object')
  return new URLSearchParams(tags).toString()
}

export async function getTagging(req: S3Request): Promise<void> {
  const res = await req.swift.request({ method: 'HEAD', container: req.bucket, object: req.key })
  res.discard()
  if (res.status !== 200 && res.status !== 204) throw swiftError(req, res, req.key !== undefined ? noSuchKey(req) : undefined)
  const stored = req.key !== undefined ? storedTagging(res.headers) : res.headers[BUCKET_TAGGING_SYSMETA]
  if (!stored && req.key === undefined) throw new NoSuchTagSet(undefined, { BucketName: req.bucket ?? '' })
  const tags = [...new URLSearchParams(stored ?? '')].map(([Key, Value]) => ({ Key, Value }))
  sendXml(req, 200, 'Tagging', { TagSet: tags.length ? { Tag: tags } : '' })
}

async function store(req: S3Request, value: string): Promise<void> {
  const header = { [sysmetaOf(req)]: value }
  const headers = req.key !== undefined ? await objectPostHeaders(req, header) : header
  if (req.key !== undefined && value === '') delete headers[OBJECT_TAGGING_SYSMETA]
  const res = await req.swift.request({ method: 'POST', container: req.bucket, object: req.key, headers })
  res.discard()
  if (res.status !== 204 && res.status !== 202 && res.status !== 200) throw swiftError(req, res, req.key !== undefined ? noSuchKey(req) : undefined)
}

/** The tags of a <Tagging><TagSet><Tag>... document (PutObjectTagging's body, POST Object's tagging field). */
export function tagsOfDocument(doc: Record<string, unknown>): [string, string][] {
  const tagging = doc.Tagging
  if (tagging === undefined || tagging === null || typeof tagging !== 'object') throw new MalformedXML()
  return listOf((tagging as Record<string, unknown>).TagSet, 'Tag').map((t) => {
    const key = textOf(t, 'Key')
    if (key === undefined) throw new MalformedXML()
    return [key, textOf(t, 'Value') ?? '']
  })
}

export async function putTagging(req: S3Request): Promise<void> {
  const tags = tagsOfDocument(await readXmlBody(req))
  checkTags(tags, req.key !== undefined ? 'object' : 'bucket')
  await store(req, new URLSearchParams(tags).toString())
  sendEmpty(req, req.key !== undefined ? 200 : 204)
}

export async function deleteTagging(req: S3Request): Promise<void> {
  await store(req, '')
  sendEmpty(req, 204)
}
