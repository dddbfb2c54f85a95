// S3 access control lists as AWS defines them (grants of FULL_CONTROL / READ / WRITE /
// READ_ACP / WRITE_ACP to canonical users and to the AllUsers / AuthenticatedUsers groups):
// built from a canned ACL, from x-amz-grant-* headers or from an AccessControlPolicy
// document, stored as versioned JSON in system metadata, rendered back as XML, and asked
// whether a requester holds a permission. Canonical user ids are tempauth's "account:user",
// as Swift's s3api uses them.
import { AccessDenied, InvalidArgument, InvalidRequest, MalformedACLError, UnresolvableGrantByEmailAddress } from './errors.ts'
import { listOf, textOf } from './xml.ts'

export const ACL_FORMAT = 1
export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'
const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery'
const XSI = 'http://www.w3.org/2001/XMLSchema-instance'

export const PERMISSIONS = ['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'] as const
export type Permission = (typeof PERMISSIONS)[number]

export const CANNED_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write'] as const
export type CannedAcl = (typeof CANNED_ACLS)[number]

export interface Owner {
  id: string
  name: string
}

export type Grantee = { type: 'CanonicalUser'; id: string; name?: string | undefined } | { type: 'Group'; uri: string }

export interface Grant {
  grantee: Grantee
  permission: Permission
}

export interface Acl {
  v: typeof ACL_FORMAT
  owner: Owner
  grants: Grant[]
}

/** Who is asking: an authenticated canonical user id, or undefined for an anonymous request. */
export interface Requester {
  id: string | undefined
}

const user = (o: Owner): Grantee => ({ type: 'CanonicalUser', id: o.id, name: o.name })
const group = (uri: string): Grantee => ({ type: 'Group', uri })

export function isCannedAcl(name: string): name is CannedAcl {
  return (CANNED_ACLS as readonly string[]).includes(name)
}

/** The grants a canned ACL stands for; `bucketOwner` matters only to the bucket-owner-* ones. */
export function cannedAcl(canned: CannedAcl, owner: Owner, bucketOwner: Owner = owner): Acl {
  const grants: Grant[] = [{ grantee: user(owner), permission: 'FULL_CONTROL' }]
  if (canned === 'public-read' || canned === 'public-read-write') grants.push({ grantee: group(ALL_USERS), permission: 'READ' })
  if (canned === 'public-read-write') grants.push({ grantee: group(ALL_USERS), permission: 'WRITE' })
  if (canned === 'authenticated-read') grants.push({ grantee: group(AUTHENTICATED_USERS), permission: 'READ' })
  if (canned === 'log-delivery-write') grants.push({ grantee: group(LOG_DELIVERY), permission: 'WRITE' }, { grantee: group(LOG_DELIVERY), permission: 'READ_ACP' })
  if (bucketOwner.id !== owner.id) {
    if (canned === 'bucket-owner-read') grants.push({ grantee: user(bucketOwner), permission: 'READ' })
    if (canned === 'bucket-owner-full-control') grants.push({ grantee: user(bucketOwner), permission: 'FULL_CONTROL' })
  }
  return { v: ACL_FORMAT, owner, grants }
}

const GRANT_HEADERS: Record<string, Permission> = {
  'x-amz-grant-full-control': 'FULL_CONTROL',
  'x-amz-grant-read': 'READ',
  'x-amz-grant-write': 'WRITE',
  'x-amz-grant-read-acp': 'READ_ACP',
  'x-amz-grant-write-acp': 'WRITE_ACP',
}

/** One grantee of an x-amz-grant-* header: `id="..."`, `uri="..."` or `emailAddress="..."`. */
function granteeOfHeader(item: string, header: string): Grantee {
  const m = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(item)
  if (!m || !m[2]) throw new InvalidArgument(undefined, { ArgumentName: header, ArgumentValue: item })
  const kind = (m[1] as string).toLowerCase()
  if (kind === 'id') return { type: 'CanonicalUser', id: m[2] }
  if (kind === 'uri') {
    if (![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].includes(m[2])) throw new InvalidArgument('Invalid group uri', { ArgumentName: 'uri', ArgumentValue: m[2] })
    return { type: 'Group', uri: m[2] }
  }
  throw new UnresolvableGrantByEmailAddress(undefined, { EmailAddress: m[2] })
}

/** The grants named by x-amz-grant-* headers (undefined when there are none). */
export function grantsOfHeaders(headers: Record<string, string | string[] | undefined>): Grant[] | undefined {
  let grants: Grant[] | undefined
  for (const [header, permission] of Object.entries(GRANT_HEADERS)) {
    const raw = headers[header]
    if (raw === undefined) continue
    const text = Array.isArray(raw) ? raw.join(',') : raw
    grants ??= []
    for (const item of text.split(',')) if (item.trim()) grants.push({ grantee: granteeOfHeader(item, header), permission })
  }
  return grants
}

/** The ACL a write asks for: x-amz-acl, or x-amz-grant-* headers (never both), else undefined. */
export function aclOfHeaders(headers: Record<string, string | string[] | undefined>, owner: Owner, bucketOwner?: Owner): Acl | undefined {
  const canned = headers['x-amz-acl']
  const grants = grantsOfHeaders(headers)
  if (canned !== undefined && grants !== undefined) throw new InvalidRequest('Specifying both Canned ACLs and Header Grants is not allowed')
  if (canned !== undefined) {
    const name = Array.isArray(canned) ? (canned[0] ?? '') : canned
    if (!isCannedAcl(name)) throw new InvalidArgument(undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: name })
    return cannedAcl(name, owner, bucketOwner)
  }
  if (grants !== undefined) return { v: ACL_FORMAT, owner, grants }
  return undefined
}

/** An AccessControlPolicy document as an ACL; its Owner must be the resource's owner. */
export function aclOfXml(doc: Record<string, unknown>, owner: Owner): Acl {
  const policy = doc.AccessControlPolicy
  if (policy === undefined || policy === null || typeof policy !== 'object') throw new MalformedACLError()
  const ownerId = textOf((policy as Record<string, unknown>).Owner, 'ID')
  if (ownerId === undefined) throw new MalformedACLError()
  // Giving a resource away through its ACL's Owner is refused, as AWS does.
  if (ownerId !== owner.id) throw new AccessDenied()
  const list = (policy as Record<string, unknown>).AccessControlList
  const grants: Grant[] = []
  for (const item of listOf(list, 'Grant')) {
    const permission = textOf(item, 'Permission') as Permission | undefined
    if (!permission || !(PERMISSIONS as readonly string[]).includes(permission)) throw new MalformedACLError()
    const who = (item as Record<string, unknown>).Grantee
    const id = textOf(who, 'ID')
    const uri = textOf(who, 'URI')
    const email = textOf(who, 'EmailAddress')
    if (id) grants.push({ grantee: { type: 'CanonicalUser', id, name: textOf(who, 'DisplayName') }, permission })
    else if (uri) grants.push({ grantee: granteeOfHeader(`uri="${uri}"`, 'Grantee'), permission })
    else if (email) throw new UnresolvableGrantByEmailAddress(undefined, { EmailAddress: email })
    else throw new MalformedACLError()
  }
  return { v: ACL_FORMAT, owner, grants }
}

/** The AccessControlPolicy document of an ACL. */
export function aclToXml(acl: Acl): Record<string, unknown> {
  const owner = { ID: acl.owner.id, DisplayName: acl.owner.name }
  const grant = (g: Grant) => {
    const who: Record<string, unknown> = { '@_xmlns:xsi': XSI, '@_xsi:type': g.grantee.type }
    if (g.grantee.type === 'CanonicalUser') Object.assign(who, { ID: g.grantee.id, DisplayName: g.grantee.name ?? g.grantee.id })
    else who.URI = g.grantee.uri
    return { Grantee: who, Permission: g.permission }
  }
  return { Owner: owner, AccessControlList: acl.grants.length ? { Grant: acl.grants.map(grant) } : '' }
}

export function encodeAcl(acl: Acl): string {
  return JSON.stringify(acl)
}

/**
 * The stored ACL: versioned JSON, or (as written before grants were stored) a canned ACL's
 * name; nothing stored is "private" for `owner`.
 */
export function decodeAcl(raw: string | undefined, owner: Owner): Acl {
  if (raw === undefined || raw === '') return cannedAcl('private', owner)
  if (isCannedAcl(raw)) return cannedAcl(raw, owner)
  try {
    const acl = JSON.parse(raw) as Acl
    if (acl.v === ACL_FORMAT && Array.isArray(acl.grants) && acl.owner) return acl
  } catch {
    // fall through: an unreadable ACL grants nothing beyond the owner's
  }
  return cannedAcl('private', owner)
}

/** Whether `requester` holds `permission` (FULL_CONTROL holds them all). */
export function aclAllows(acl: Acl, requester: Requester, permission: Permission): boolean {
  if (requester.id !== undefined && requester.id === acl.owner.id) return true
  return acl.grants.some((g) => {
    if (g.permission !== permission && g.permission !== 'FULL_CONTROL') return false
    if (g.grantee.type === 'CanonicalUser') return requester.id !== undefined && g.grantee.id === requester.id
    if (g.grantee.uri === ALL_USERS) return true
    return g.grantee.uri === AUTHENTICATED_USERS && requester.id !== undefined
  })
}

/** Container read ACL mirroring the S3 ACL for the Swift API's anonymous readers. */
export function swiftReadAclOf(acl: Acl): string {
  return acl.grants.some((g) => g.grantee.type === 'Group' && g.grantee.uri === ALL_USERS && (g.permission === 'READ' || g.permission === 'FULL_CONTROL')) ? '.r:*,.rlistings' : ''
}
