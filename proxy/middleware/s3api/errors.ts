// S3 errors: one class per AWS error code (the class name is the code), each with AWS's
// status and default message. XML is rendered here and nowhere else (Swift's
// s3api/s3response.py ErrorResponse subclasses; AWS's "Error Responses" reference).
import { buildXml } from './xml.ts'

export class S3Error extends Error {
  readonly code: string
  readonly status: number
  /** Extra elements of the <Error> body (BucketName, Key, ArgumentName...). */
  readonly fields: Record<string, string>
  readonly headers: Record<string, string>

  constructor(code: string, status: number, message: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
    super(message)
    this.name = code
    this.code = code
    this.status = status
    this.fields = fields
    this.headers = headers
  }
}

type S3ErrorClass = new (message?: string, fields?: Record<string, string>) => S3Error

function s3Error(code: string, status: number, defaultMessage: string): S3ErrorClass {
  const cls = class extends S3Error {
    constructor(message?: string, fields?: Record<string, string>) {
      super(code, status, message ?? defaultMessage, fields)
    }
  }
  Object.defineProperty(cls, 'name', { value: code })
  return cls
}

export const AccessDenied = s3Error('AccessDenied', 403, 'Access Denied')
export const AuthorizationHeaderMalformed = s3Error('AuthorizationHeaderMalformed', 400, 'The authorization header is malformed.')
export const AuthorizationQueryParametersError = s3Error('AuthorizationQueryParametersError', 400, 'Query-string authentication parameters are malformed.')
export const BadDigest = s3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.')
export const BucketAlreadyExists = s3Error('BucketAlreadyExists', 409, 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.')
export const BucketAlreadyOwnedByYou = s3Error('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.')
export const BucketNotEmpty = s3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty')
export const EntityTooLarge = s3Error('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed object size.')
export const EntityTooSmall = s3Error('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.')
export const IncompleteBody = s3Error('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.')
export const InternalError = s3Error('InternalError', 500, 'We encountered an internal error. Please try again.')
export const InvalidAccessKeyId = s3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.')
export const InvalidArgument = s3Error('InvalidArgument', 400, 'Invalid Argument')
export const InvalidBucketName = s3Error('InvalidBucketName', 400, 'The specified bucket is not valid.')
export const InvalidDigest = s3Error('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.')
export const InvalidLocationConstraint = s3Error('InvalidLocationConstraint', 400, 'The specified location constraint is not valid.')
export const InvalidPart = s3Error('InvalidPart', 400, 'One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part\'s entity tag.')
export const InvalidPartOrder = s3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.')
export const InvalidRange = s3Error('InvalidRange', 416, 'The requested range is not satisfiable')
export const InvalidRequest = s3Error('InvalidRequest', 400, 'Invalid Request')
export const InvalidStorageClass = s3Error('InvalidStorageClass', 400, 'The storage class you specified is not valid.')
export const KeyTooLongError = s3Error('KeyTooLongError', 400, 'Your key is too long.')
export const MalformedACLError = s3Error('MalformedACLError', 400, 'The XML you provided was not well-formed or did not validate against our published schema.')
export const InvalidTag = s3Error('InvalidTag', 400, 'The tag provided was not a valid tag.')
export const NoSuchTagSet = s3Error('NoSuchTagSet', 404, 'The TagSet does not exist')
export const NoSuchCORSConfiguration = s3Error('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist')
export const CORSForbidden = s3Error('AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.')
export const UnresolvableGrantByEmailAddress = s3Error('UnresolvableGrantByEmailAddress', 400, 'The e-mail address you provided does not match any account on record.')
export const MalformedXML = s3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema.')
export const MethodNotAllowed = s3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.')
export const MissingContentLength = s3Error('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.')
export const NoSuchBucket = s3Error('NoSuchBucket', 404, 'The specified bucket does not exist.')
export const NoSuchKey = s3Error('NoSuchKey', 404, 'The specified key does not exist.')
export const NoSuchUpload = s3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.')
export const NotImplemented = s3Error('NotImplemented', 501, 'A header you provided implies functionality that is not implemented.')
export const PreconditionFailed = s3Error('PreconditionFailed', 412, 'At least one of the preconditions you specified did not hold.')
export const RequestTimeTooSkewed = s3Error('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.')
export const ServiceUnavailable = s3Error('ServiceUnavailable', 503, 'Please reduce your request rate.')
export const SignatureDoesNotMatch = s3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.')
export const MalformedPOSTRequest = s3Error('MalformedPOSTRequest', 400, 'The body of your POST request is not well-formed multipart/form-data.')
export const MaxPostPreDataLengthExceeded = s3Error('MaxPostPreDataLengthExceeded', 400, 'Your POST request fields preceding the upload file were too large.')
export const InvalidPolicyDocument = s3Error('InvalidPolicyDocument', 400, 'The content of the form does not meet the conditions specified in the policy document.')
export const NoSuchVersion = s3Error('NoSuchVersion', 404, 'The specified version does not exist.')
export const IllegalVersioningConfigurationException = s3Error('IllegalVersioningConfigurationException', 400, 'The versioning configuration specified in the request is invalid.')
export const XAmzContentSHA256Mismatch = s3Error('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.")

/** Every S3 error code this middleware can answer (documented in the registry test). */
export const S3_ERROR_CODES = [
  'AccessDenied', 'AuthorizationHeaderMalformed', 'AuthorizationQueryParametersError', 'BadDigest', 'BucketAlreadyExists', 'BucketAlreadyOwnedByYou',
  'BucketNotEmpty', 'EntityTooLarge', 'EntityTooSmall', 'IncompleteBody', 'InternalError', 'InvalidAccessKeyId', 'InvalidArgument',
  'InvalidBucketName', 'InvalidDigest', 'InvalidLocationConstraint', 'InvalidPart', 'InvalidPartOrder', 'InvalidRange', 'InvalidRequest',
  'InvalidStorageClass', 'KeyTooLongError', 'MalformedACLError', 'InvalidTag', 'NoSuchTagSet', 'NoSuchCORSConfiguration', 'AccessForbidden', 'UnresolvableGrantByEmailAddress', 'MalformedXML', 'MethodNotAllowed', 'MissingContentLength', 'NoSuchBucket', 'NoSuchKey', 'NoSuchUpload',
  'NotImplemented', 'PreconditionFailed', 'RequestTimeTooSkewed', 'ServiceUnavailable', 'SignatureDoesNotMatch', 'XAmzContentSHA256Mismatch',
  'MalformedPOSTRequest', 'MaxPostPreDataLengthExceeded', 'InvalidPolicyDocument', 'NoSuchVersion', 'IllegalVersioningConfigurationException',
] as const

/** The <Error> document AWS answers with. */
export function renderS3Error(err: S3Error, requestId: string, resource?: string): string {
  const body: Record<string, string> = { Code: err.code, Message: err.message }
  Object.assign(body, err.fields)
  if (resource !== undefined && body.Resource === undefined) body.Resource = resource
  body.RequestId = requestId
  body.HostId = requestId
  return buildXml('Error', body, { namespace: false })
}

/** A Swift answer the translation did not expect, as the closest S3 error (Swift's s3api does the same). */
export function errorForSwiftStatus(status: number, notFound: () => S3Error): S3Error {
  if (status === 404) return notFound()
  if (status === 401 || status === 403) return new AccessDenied()
  if (status === 412) return new PreconditionFailed()
  if (status === 413) return new EntityTooLarge()
  if (status === 416) return new InvalidRange()
  if (status === 422) return new BadDigest()
  if (status === 411) return new MissingContentLength()
  if (status === 499) return new IncompleteBody()
  if (status === 400) return new InvalidArgument()
  if (status === 503 || status === 507) return new ServiceUnavailable()
  return new InternalError()
}
