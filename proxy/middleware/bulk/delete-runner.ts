// Deleting many objects through the pipeline and tallying the outcome (Swift's
// Bulk.handle_delete_iter / _process_delete), shared by ?bulk-delete and SLO's
// ?multipart-manifest=delete: objects first, then containers, a few at a time; 2xx counts
// as deleted, 404 as not found, anything else is listed as an error with its status.
import { reasonPhrase } from '../../../common/http/status.ts'
import type { ProxyContext } from '../../context.ts'
import type { Downstream } from '../../subrequest.ts'
import { quoteSwiftPath, subrequest } from '../../subrequest.ts'
import type { BulkErrors } from './response-body.ts'

/** One name to delete ("/container/object" or "/container"), or a failure found beforehand. */
export interface DeleteItem {
  name: string
  error?: { code: number; message: string } | undefined
}

export interface DeleteTally {
  data: { 'Response Status': string; 'Response Body': string; 'Number Deleted': number; 'Number Not Found': number }
  errors: [string, string][]
}

/** Swift's urllib quote (safe "/"), as bulk results name objects. */
export function quoteName(name: string): string {
  return encodeURIComponent(name)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export const statusLine = (status: number) => `${status} ${reasonPhrase(status)}`

export async function runDeletes(ctx: ProxyContext, downstream: Downstream, account: string, items: readonly DeleteItem[], options: { concurrency?: number; maxFailures?: number; headers?: Record<string, string | undefined> } = {}): Promise<DeleteTally> {
  const tally: DeleteTally = { data: { 'Response Status': statusLine(200), 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0 }, errors: [] }
  let failureStatus = 400
  const maxFailures = options.maxFailures ?? 1000
  const isObject = (name: string) => name.replace(/^\/+|\/+$/g, '').includes('/')
  const phases = [items.filter((i) => i.name && isObject(i.name)), items.filter((i) => i.name && !isObject(i.name))]
  try {
    for (const phase of phases) {
      const queue = [...phase]
      const worker = async () => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
          if (tally.errors.length >= maxFailures) return
          if (item.error) {
            if (item.error.code === 404) tally.data['Number Not Found']++
            else tally.errors.push([quoteName(item.name), item.error.message])
            continue
          }
          const path = `/v1/${quoteSwiftPath(account)}/${quoteSwiftPath(item.name.replace(/^\/+/, ''))}`
          const res = await subrequest(ctx, downstream, { method: 'DELETE', path, headers: options.headers, userAgent: `${ctx.get('User-Agent')} BulkDelete` })
          res.discard()
          if (res.status >= 200 && res.status < 300) tally.data['Number Deleted']++
          else if (res.status === 404) tally.data['Number Not Found']++
          else if (res.status === 401) tally.errors.push([quoteName(item.name), statusLine(401)])
          else {
            if (res.status >= 500) failureStatus = 502
            tally.errors.push([quoteName(item.name), statusLine(res.status)])
          }
        }
      }
      await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 2, queue.length)) }, worker))
      if (tally.errors.length >= maxFailures) {
        tally.data['Response Status'] = statusLine(400)
        tally.data['Response Body'] = 'Max delete failures exceeded'
        return tally
      }
    }
    if (tally.errors.length) tally.data['Response Status'] = statusLine(failureStatus)
    else if (!(tally.data['Number Deleted'] || tally.data['Number Not Found'])) {
      tally.data['Response Status'] = statusLine(400)
      tally.data['Response Body'] = 'Invalid bulk delete.'
    }
  } catch (err) {
    ctx.state.log.error('Error in bulk delete.', { err })
    tally.data['Response Status'] = statusLine(500)
  }
  return tally
}

export type { BulkErrors }
