// DeleteObjects (POST /bucket?delete, Swift's s3api controllers/multi_delete.py): up to 1,000
// keys from an XML body whose Content-MD5 is required, deleted a few at a time; Quiet mode
// reports only the failures.
import { createHash } from 'node:crypto'
import { InvalidDigest, InvalidRequest, MalformedXML, NoSuchBucket, S3Error } from './errors.ts'
import type { S3Request } from './s3-request.ts'
import { readXmlBody, sendXml } from './s3-request.ts'
import { deleteKey } from './object.ts'
import type { DeleteOutcome } from './object.ts'
import { checkVersionId } from './versioning.ts'
import { MAX_KEY_LENGTH } from './s3-request.ts'
import { listOf, readLimitedBody, textOf, parseXml, XmlLimitError } from './xml.ts'
import { Readable } from 'node:stream'

export async function deleteObjects(req: S3Request): Promise<void> {
  const raw = await readLimitedBody(req.body).catch((err: unknown) => {
    if (err instanceof XmlLimitError) throw new MalformedXML()
    throw err
  })
  const md5 = req.ctx.get('Content-MD5')
  if (!md5 && !req.ctx.get('x-amz-checksum-crc32') && !req.ctx.get('x-amz-sdk-checksum-algorithm')) throw new InvalidRequest('Missing required header for this request: Content-MD5')
  if (md5 && createHash('md5').update(raw).digest('base64') !== md5.trim()) throw new InvalidDigest()
  const doc = await readXmlBody({ ...req, body: Readable.from([raw]) })
  void parseXml
  const del = doc.Delete
  if (del === undefined) throw new MalformedXML()
  const objects = listOf(del, 'Object')
  if (objects.length === 0 || objects.length > req.config.maxMultiDeleteObjects) throw new MalformedXML()
  const quiet = (textOf(del, 'Quiet') ?? 'false').toLowerCase() === 'true'
  const keys = objects.map((o) => {
    const key = textOf(o, 'Key')
    if (key === undefined || key === '') throw new MalformedXML()
    return { key, versionId: textOf(o, 'VersionId') }
  })
  const deleted: Record<string, string>[] = []
  const errors: Record<string, string>[] = []
  const queue = keys.map((k, index) => ({ ...k, index }))
  const results = new Array<{ key: string; error?: S3Error; outcome?: DeleteOutcome; versionId?: string | undefined }>(keys.length)
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        if (Buffer.byteLength(item.key) > MAX_KEY_LENGTH) throw new S3Error('KeyTooLongError', 400, 'Your key is too long.')
        const outcome = await deleteKey(req, item.key, checkVersionId(item.versionId))
        results[item.index] = outcome.noBucket ? { key: item.key, error: new NoSuchBucket() } : { key: item.key, outcome, versionId: item.versionId }
      } catch (err) {
        if (!(err instanceof S3Error)) throw err
        results[item.index] = { key: item.key, error: err }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(10, queue.length) }, worker))
  if (results.some((r) => r.error?.code === 'NoSuchBucket')) throw new NoSuchBucket(undefined, { BucketName: req.bucket ?? '' })
  for (const r of results) {
    if (r.error) errors.push({ Key: r.key, Code: r.error.code, Message: r.error.message })
    else if (!quiet) {
      const entry: Record<string, string> = { Key: r.key }
      if (r.versionId !== undefined) entry.VersionId = r.versionId
      if (r.outcome?.deleteMarker) {
        entry.DeleteMarker = 'true'
        if (r.outcome.versionId) entry.DeleteMarkerVersionId = r.outcome.versionId
      }
      deleted.push(entry)
    }
  }
  const out: Record<string, unknown> = {}
  if (deleted.length) out.Deleted = deleted
  if (errors.length) out.Error = errors
  sendXml(req, 200, 'DeleteResult', out)
}
