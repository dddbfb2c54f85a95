// `tern get-nodes`: where an account, container or object lives, answered as Swift's
// swift-get-nodes does (swift/cli/info.py: parse_get_node_args, print_item_locations,
// print_ring_locations), plus a --json form for scripts.
import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import { isIPv6 } from 'node:net'
import { parseArgs } from 'node:util'
import type { HashPathSecrets } from '../common/hash-path.ts'
import { hashPath } from '../common/hash-path.ts'
import { readHashPathSecrets, resolveSwiftConfPath } from '../common/swift-conf.ts'
import { Ring } from './ring.ts'
import type { RingHandoffNode, RingNode } from './types.ts'

export const GET_NODES_USAGE = `usage: tern get-nodes [options] <ring.gz> <account> [<container> [<object>]]
       tern get-nodes [options] <ring.gz> -p <partition>
  account, container and object may also be one argument separated by /

options:
  -a, --all                  show all handoff nodes
  -p, --partition N          show the nodes of partition N
  -Q, --quoted               the names are URL-quoted
      --json                 print {"partition", "hash", "primaries", "handoffs"} as JSON
      --hash-path-prefix S   hash path prefix (default: from swift.conf)
      --hash-path-suffix S   hash path suffix (default: from swift.conf)
      --swift-conf PATH      swift.conf holding [swift-hash] (default: $TERN_SWIFT_CONF,
                             /etc/tern/swift.conf, then /etc/swift/swift.conf)`

export class GetNodesUsageError extends Error {
  readonly code = 'ERR_GET_NODES_USAGE'
}

export interface GetNodesOptions {
  ringPath: string
  account?: string | undefined
  container?: string | undefined
  object?: string | undefined
  partition?: number | undefined
  all: boolean
  json: boolean
  secrets: HashPathSecrets
}

export interface ItemLocation {
  partition: number
  /** Hash of the path; null when only a partition was asked for. */
  hash: string | null
  primaries: RingNode[]
  handoffs: RingHandoffNode[]
}

function unquote(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Command-line arguments to options, with Swift's rules for the positional arguments. */
export function parseGetNodesArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GetNodesOptions {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        all: { type: 'boolean', short: 'a', default: false },
        partition: { type: 'string', short: 'p' },
        quoted: { type: 'boolean', short: 'Q', default: false },
        json: { type: 'boolean', default: false },
        'hash-path-prefix': { type: 'string' },
        'hash-path-suffix': { type: 'string' },
        'swift-conf': { type: 'string' },
      },
    })
  } catch (err) {
    throw new GetNodesUsageError((err as Error).message)
  }
  const { values } = parsed
  let args = [...parsed.positionals]
  const ringPath = args[0]
  if (ringPath === undefined || !ringPath.endsWith('.ring.gz')) throw new GetNodesUsageError('Need to specify <ring.gz>')
  if (!existsSync(ringPath)) throw new GetNodesUsageError('Ring file does not exist')
  args.shift()
  if (values.quoted) args = args.map(unquote)
  if (args.length === 1) args = splitTarget(args[0] as string)
  if (args.length === 0 && values.partition === undefined) throw new GetNodesUsageError('No target specified')
  if (args.length > 3) throw new GetNodesUsageError('Invalid arguments')
  let partition: number | undefined
  if (values.partition !== undefined) {
    if (!/^\d+$/.test(values.partition)) throw new GetNodesUsageError(`invalid partition ${JSON.stringify(values.partition)}`)
    partition = Number(values.partition)
  }
  const [account, container, object] = args
  if (object && !container) throw new GetNodesUsageError('No container specified')
  const explicit = values['hash-path-prefix'] !== undefined || values['hash-path-suffix'] !== undefined
  const secrets = explicit
    ? { prefix: values['hash-path-prefix'] ?? '', suffix: values['hash-path-suffix'] ?? '' }
    : readHashPathSecrets(resolveSwiftConfPath(values['swift-conf'], env))
  return { ringPath, account, container, object, partition, all: values.all, json: values.json, secrets }
}

/** "a/c/o" as one argument: Swift strips slashes at both ends and splits at most twice. */
function splitTarget(target: string): string[] {
  const trimmed = target.replace(/^\/+|\/+$/g, '')
  const first = trimmed.indexOf('/')
  if (first < 0) return [trimmed]
  const second = trimmed.indexOf('/', first + 1)
  if (second < 0) return [trimmed.slice(0, first), trimmed.slice(first + 1)]
  return [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)]
}

/** Partition, hash, primaries and handoffs (as many as primaries unless `all`). */
export function locateItem(ring: Ring, options: Pick<GetNodesOptions, 'account' | 'container' | 'object' | 'partition' | 'all' | 'secrets'>): ItemLocation {
  const { account, container, object } = options
  const partition = options.partition ?? ring.getPart(account ?? '', container, object)
  const primaries = ring.getPartNodes(partition)
  const handoffs: RingHandoffNode[] = []
  for (const node of ring.getMoreNodes(partition)) {
    if (!options.all && handoffs.length >= primaries.length) break
    handoffs.push(node)
  }
  const hash = account && options.partition === undefined ? hashPath(options.secrets, account, container || undefined, object || undefined) : null
  return { partition, hash, primaries, handoffs }
}

/** Python's urllib.parse.quote with its default safe characters ("/" and unreserved). */
export function pythonQuote(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte)
    out += /[A-Za-z0-9_.\-~/]/.test(ch) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** The on-disk directory kind Swift derives from the ring's name and the target. */
function dataDirFor(ringName: string, o: GetNodesOptions): { datadir: string; policyIndex: number | undefined; warning?: string } {
  const policyMatch = /^object-(\d+)$/.exec(ringName)
  const policyIndex = policyMatch && o.object ? Number(policyMatch[1]) : undefined
  if (o.account && o.container && o.object) {
    return { datadir: policyIndex !== undefined ? `objects-${policyIndex}` : 'objects', policyIndex }
  }
  if (o.account && o.container) {
    return { datadir: 'containers', policyIndex, ...(ringName !== 'container' && { warning: 'Warning: account/container specified but ring not named "container"' }) }
  }
  if (o.account) {
    return { datadir: 'accounts', policyIndex, ...(ringName !== 'account' && { warning: 'Warning: account specified but ring not named "account"' }) }
  }
  if (ringName.startsWith('object') && ringName.includes('-')) return { datadir: `objects-${ringName.split('-').slice(1).join('-')}`, policyIndex }
  return { datadir: `${ringName}s`, policyIndex }
}

function curlHead(node: RingNode | RingHandoffNode, partition: number, target: string, policyIndex: number | undefined): string {
  const host = isIPv6(node.ip) ? `[${node.ip}]` : node.ip
  let cmd = `curl -g -I -XHEAD "http://${host}:${node.port}/${node.device}/${partition}/${pythonQuote(target)}"`
  if (policyIndex !== undefined) cmd += ` -H "X-Backend-Storage-Policy-Index: ${policyIndex}"`
  return cmd + ' --path-as-is'
}

/** swift-get-nodes' report, line by line. */
export function formatItemLocation(ringPath: string, o: GetNodesOptions, loc: ItemLocation): string[] {
  const ringName = basename(ringPath).slice(0, -'.ring.gz'.length)
  const { datadir, policyIndex, warning } = dataDirFor(ringName, o)
  const out: string[] = []
  if (warning) out.push(warning)
  if (o.account) out.push('', `Account  \t${pythonQuote(o.account)}`)
  if (o.container) out.push(`Container\t${pythonQuote(o.container)}`)
  if (o.object) out.push(`Object   \t${pythonQuote(o.object)}`, '', '')
  out.push(`Partition\t${loc.partition}`, `Hash     \t${loc.hash ?? 'None'}`, '')
  for (const n of loc.primaries) out.push(`Server:Port Device\t${n.ip}:${n.port} ${n.device}`)
  for (const n of loc.handoffs) out.push(`Server:Port Device\t${n.ip}:${n.port} ${n.device}\t [Handoff]`)
  out.push('', '')
  // With only a partition Swift formats the missing account as Python's None; kept for parity.
  const target = [o.account ?? 'None', o.container, o.object].filter((x) => x).join('/')
  for (const n of loc.primaries) out.push(curlHead(n, loc.partition, target, policyIndex))
  for (const n of loc.handoffs) out.push(curlHead(n, loc.partition, target, policyIndex) + ' # [Handoff]')
  out.push('', '', 'Use your own device location of servers:', 'such as "export DEVICE=/srv/node"')
  const where = loc.hash ? `${datadir}/${loc.partition}/${loc.hash.slice(-3)}/${loc.hash}` : `${datadir}/${loc.partition}`
  for (const n of loc.primaries) out.push(`ssh ${n.ip} "ls -lah \${DEVICE:-/srv/node*}/${n.device}/${where}"`)
  for (const n of loc.handoffs) out.push(`ssh ${n.ip} "ls -lah \${DEVICE:-/srv/node*}/${n.device}/${where}" # [Handoff]`)
  out.push('', 'note: `/srv/node*` is used as default value of `devices`, the real value is set in the config file on each storage node.')
  return out
}

/** The whole command: the text (or JSON) to print for `argv`. */
export function getNodes(argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const options = parseGetNodesArgs(argv, env)
  const ring = Ring.load(options.ringPath, { secrets: options.secrets })
  const loc = locateItem(ring, options)
  if (options.json) return JSON.stringify(loc, null, 2) + '\n'
  return formatItemLocation(options.ringPath, options, loc).join('\n') + '\n'
}
