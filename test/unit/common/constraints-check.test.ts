// swift/common/constraints.py's checks: statuses and bodies as Swift's.
import t from 'tap'
import { checkDeleteHeaders, checkListingLimit, checkMetadata, checkNameFormat, checkObjectCreation, checkUtf8, messageLength, normalizeDeleteAt } from '../../../common/constraints-check.ts'
import { DEFAULT_CONSTRAINTS as C } from '../../../common/constraints.ts'
import { HttpError } from '../../../common/http/errors.ts'

const fails = (t: { ok(v: unknown): void; equal(a: unknown, b: unknown): void; fail(m: string): void }, fn: () => unknown, status: number, body?: string) => {
  try {
    fn()
    t.fail(`expected ${status}`)
  } catch (err) {
    t.ok(err instanceof HttpError)
    t.equal((err as HttpError).status, status)
    if (body !== undefined) t.equal((err as HttpError).body, body)
  }
}

t.test('check_utf8', async (t) => {
  t.ok(checkUtf8('héllo'))
  t.notOk(checkUtf8(''))
  t.notOk(checkUtf8('a\0b'))
  t.notOk(checkUtf8('\uD800x'), 'lone surrogate')
  t.ok(checkUtf8('🥔'))
})

t.test('check_metadata', async (t) => {
  t.equal(checkMetadata({ 'x-object-meta-a': 'b' }, 'object', C), undefined)
  t.equal(checkMetadata({ 'x-object-meta-': 'b' }, 'object', C)?.body, 'Metadata name cannot be empty')
  t.equal(checkMetadata({ 'x-container-meta-a': '\xff' }, 'container', C)?.body, 'Metadata must be valid UTF-8')
  t.equal(checkMetadata({ [`x-account-meta-${'a'.repeat(129)}`]: 'b' }, 'account', C)?.status, 400)
  t.equal(checkMetadata({ 'x-object-meta-a': 'v'.repeat(256) }, 'object', C), undefined, 'value at the limit')
  t.equal(checkMetadata({ 'x-foo': 'v'.repeat(C.maxHeaderSize + 1) }, 'object', C)?.body, 'Header value too long: x-foo')
})

t.test('check_delete_headers', async (t) => {
  t.equal(checkDeleteHeaders({ 'x-delete-after': '60' }, 1000), '0000001060')
  t.equal(checkDeleteHeaders({ 'x-delete-at': '2000' }, 1000), '0000002000')
  t.equal(checkDeleteHeaders({}, 1000), undefined)
  fails(t, () => checkDeleteHeaders({ 'x-delete-after': '0' }, 1000), 400, 'X-Delete-After in past')
  fails(t, () => checkDeleteHeaders({ 'x-delete-at': '999' }, 1000), 400, 'X-Delete-At in past')
  t.equal(checkDeleteHeaders({ 'x-delete-at': '999', 'x-backend-replication': 'true' }, 1000), '0000000999', 'replication may write the past')
  t.equal(normalizeDeleteAt(1e12), '9999999999')
})

t.test('check_object_creation and message length', async (t) => {
  const base = { 'content-type': 'text/plain', 'content-length': '3' }
  t.equal(checkObjectCreation(base, 'o', C, 1000), undefined)
  fails(t, () => checkObjectCreation({ ...base, 'content-length': String(C.maxFileSize + 1) }, 'o', C, 1000), 413, 'Your request is too large.')
  fails(t, () => checkObjectCreation({ 'content-type': 'x/y' }, 'o', C, 1000), 411, 'Missing Content-Length header.')
  fails(t, () => checkObjectCreation({ 'content-length': '1' }, 'o', C, 1000), 400, 'No content type')
  fails(t, () => checkObjectCreation(base, 'é'.repeat(513), C, 1000), 400, 'Object name length of 1026 longer than 1024')
  t.equal(messageLength({ 'transfer-encoding': 'chunked' }), null)
  fails(t, () => messageLength({ 'transfer-encoding': 'gzip, chunked' }), 501)
  fails(t, () => messageLength({ 'transfer-encoding': 'gzip' }), 400)
})

t.test('names and listing limits', async (t) => {
  t.equal(checkNameFormat('c', 'Container'), 'c')
  fails(t, () => checkNameFormat('a/b', 'Container'), 412, 'Container name cannot contain slashes')
  fails(t, () => checkNameFormat('', 'Account'), 412, 'Account name cannot be empty')
  fails(t, () => checkListingLimit(new URLSearchParams('limit=10001'), 10000), 412, 'Maximum limit is 10000')
  t.doesNotThrow(() => checkListingLimit(new URLSearchParams('limit=abc'), 10000), 'non-digits are ignored, as Swift does')
})
