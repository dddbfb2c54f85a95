// SigV4 and aws-chunked against the worked examples of AWS's documentation ("Signature
// Calculations for the Authorization Header" GET Object example, and "Transferring Payload in
// Multiple Chunks" with its seed and chunk signatures), and SigV2 against botocore.
import t from 'tap'
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { Readable } from 'node:stream'
import { SYSTEM_PYTHON, requirePython } from '../../../helpers/require-tool.ts'
import { AwsChunkedDecoder, Sha256Check } from '../../../../proxy/middleware/s3api/aws-chunked.ts'
import { EMPTY_SHA256, hmacHex, parseSigV4Header, scopeOf, signingKey, stringToSign } from '../../../../proxy/middleware/s3api/sigv4.ts'
import type { SignedRequest } from '../../../../proxy/middleware/s3api/sigv4.ts'
import { parseSigV2Header, signV2, stringToSignV2 } from '../../../../proxy/middleware/s3api/sigv2.ts'

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

t.test('AWS example: GET object with a Range header', async (t) => {
  const req: SignedRequest = {
    method: 'GET',
    rawPath: '/test.txt',
    rawQuery: '',
    headers: {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': EMPTY_SHA256,
      'x-amz-date': '20130524T000000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    },
  }
  const parts = parseSigV4Header(req)
  t.equal(parts.accessKey, 'AKIAIOSFODNN7EXAMPLE')
  t.equal(hmacHex(signingKey(SECRET, parts), stringToSign(req, parts)), parts.signature, 'the documented signature')
  req.headers.range = 'bytes=0-10'
  t.not(hmacHex(signingKey(SECRET, parts), stringToSign(req, parts)), parts.signature, 'an altered signed header changes it')
})

// AWS's chunked example: 66,560 bytes of "a" in chunks of 65,536 and 1,024, then the final chunk.
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'
const CHUNKS = [
  { size: 65536, sig: 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648' },
  { size: 1024, sig: '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497' },
  { size: 0, sig: 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9' },
]

function chunkedBody(chunks: { size: number; sig: string }[]): Buffer {
  return Buffer.concat(chunks.map((c) => Buffer.concat([Buffer.from(`${c.size.toString(16)};chunk-signature=${c.sig}\r\n`), Buffer.alloc(c.size, 'a'), Buffer.from('\r\n')])))
}

const scopeParts = { scopeDate: '20130524', region: 'us-east-1', service: 's3' }
const signer = { key: signingKey(SECRET, scopeParts), amzDate: '20130524T000000Z', scope: scopeOf(scopeParts), seedSignature: SEED }

async function decode(body: Buffer, length: number, pieces = 7000): Promise<{ out: Buffer; err?: unknown; decoder: AwsChunkedDecoder }> {
  const decoder = new AwsChunkedDecoder(signer, length)
  const slices: Buffer[] = []
  for (let i = 0; i < body.length; i += pieces) slices.push(body.subarray(i, i + pieces))
  Readable.from(slices).pipe(decoder)
  const out: Buffer[] = []
  try {
    for await (const c of decoder) out.push(c as Buffer)
  } catch (err) {
    return { out: Buffer.concat(out), err, decoder }
  }
  return { out: Buffer.concat(out), decoder }
}

t.test('aws-chunked: the documented chunk signatures verify, in any slicing', async (t) => {
  for (const pieces of [1000, 65_600, 200_000]) {
    const { out, err } = await decode(chunkedBody(CHUNKS), 66560, pieces)
    t.error(err)
    t.equal(out.length, 66560)
    t.ok(out.every((b) => b === 0x61))
  }
})

t.test('aws-chunked: altered, replayed, reordered or truncated chunks fail and hold back the end', async (t) => {
  const altered = chunkedBody(CHUNKS)
  altered[100] = 0x62
  const cases: [string, Buffer, string][] = [
    ['altered byte', altered, 'SignatureDoesNotMatch'],
    ['replayed first chunk', chunkedBody([CHUNKS[0]!, CHUNKS[0]!, CHUNKS[2]!]), 'SignatureDoesNotMatch'],
    ['swapped order', chunkedBody([CHUNKS[1]!, CHUNKS[0]!, CHUNKS[2]!]), 'SignatureDoesNotMatch'],
    ['final chunk missing', chunkedBody([CHUNKS[0]!, CHUNKS[1]!]), 'IncompleteBody'],
    ['garbage header', Buffer.from('zz;chunk-signature=nope\r\n'), 'IncompleteBody'],
  ]
  for (const [name, body, code] of cases) {
    const { out, err, decoder } = await decode(body, 66560)
    t.equal((err as { code?: string })?.code, code, name)
    t.equal(decoder.failure?.code, code, `${name}: failure recorded`)
    t.ok(out.length < 66560, `${name}: not all bytes passed on (${out.length})`)
  }
})

t.test('x-amz-content-sha256 check holds back the last chunk on mismatch', async (t) => {
  const body = Buffer.alloc(100_000, 'z')
  const good = new Sha256Check(createHash('sha256').update(body).digest('hex'))
  Readable.from([body.subarray(0, 50_000), body.subarray(50_000)]).pipe(good)
  const out: Buffer[] = []
  for await (const c of good) out.push(c as Buffer)
  t.equal(Buffer.concat(out).length, body.length)
  const bad = new Sha256Check(EMPTY_SHA256)
  Readable.from([body.subarray(0, 50_000), body.subarray(50_000)]).pipe(bad)
  let passed = 0
  await t.rejects(
    (async () => {
      for await (const c of bad) passed += (c as Buffer).length
    })(),
    { code: 'XAmzContentSHA256Mismatch' },
  )
  t.ok(passed < body.length, 'the last bytes were held back')
})

t.test('SigV2 string to sign and signature match botocore', async (t) => {
  if (!requirePython(t, 'botocore', 'python3-botocore')) return
  const py = `
import json
from botocore.auth import HmacV1Auth
from botocore.credentials import Credentials
from botocore.awsrequest import AWSRequest
req = AWSRequest(method='PUT', url='http://127.0.0.1:8080/bucket/some%20key?uploadId=abc&partNumber=2&ignored=1',
                 headers={'Content-Type': 'text/plain', 'Content-MD5': 'XrY7u+Ae7tCTyyK7j1rNww==', 'x-amz-meta-b': ' two ', 'X-Amz-Meta-A': 'one', 'Date': 'Tue, 27 Mar 2007 19:36:42 +0000'})
auth = HmacV1Auth(Credentials('test:tester', 'testing'))
auth.add_auth(req)
print(json.dumps({'auth': req.headers['Authorization'], 'date': req.headers['Date']}))
`
  const r = spawnSync(SYSTEM_PYTHON, ['-c', py], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  const { auth, date } = JSON.parse(r.stdout) as { auth: string; date: string }
  const parts = parseSigV2Header(auth)
  t.equal(parts?.accessKey, 'test:tester')
  const req: SignedRequest = {
    method: 'PUT',
    rawPath: '/bucket/some%20key',
    rawQuery: 'uploadId=abc&partNumber=2&ignored=1',
    headers: { 'content-type': 'text/plain', 'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==', 'x-amz-meta-b': ' two ', 'x-amz-meta-a': 'one', date },
  }
  t.equal(signV2('testing', stringToSignV2(req, parts!)), parts?.signature)
})
