// ip-network.ts against Python's ipaddress (ip_address, strict ip_network, `in`), run live
// through the system python3.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { networkContains, parseIpAddress, parseIpNetwork, remoteAddress } from '../../../../proxy/middleware/ip-network.ts'
import { SYSTEM_PYTHON, requireCommand } from '../../../helpers/require-tool.ts'

const networks = [
  '127.0.0.1', '127.0.0.0/8', '127.0.0.1/8', '10.0.0.0/255.0.0.0', '10.0.0.0/255.0.255.0', '0.0.0.0/0', '1.2.3.4/32', '1.2.3.4/33',
  '01.2.3.4', '1.2.3', '256.1.1.1', '1.2.3.4/024', '1.2.3.4/-1', '::1', '::/0', '2001:db8::/32', '2001:db8::1/32', 'fe80::/10',
  '::ffff:127.0.0.1', '::ffff:127.0.0.0/104', '2001:db8:0:0:0:0:0:0/64', '1::2::3', 'abc', '', '/8', '1.2.3.4/', 'fe80::1%eth0',
]
const addresses = ['127.0.0.1', '127.1.2.3', '10.1.0.9', '1.2.3.4', '::1', '2001:db8::abcd', '::ffff:127.0.0.1', 'fe80::5', '8.8.8.8']

t.test('parsing and containment as Python ipaddress', async (t) => {
  if (!requireCommand(t, SYSTEM_PYTHON, 'python3')) return
  const script = `
import ipaddress, json, sys
cases = json.load(sys.stdin)
out = []
for n in cases['networks']:
    try:
        net = ipaddress.ip_network(n)
    except ValueError:
        out.append(None)
        continue
    out.append([a for a in cases['addresses'] if ipaddress.ip_address(a) in net])
print(json.dumps(out))
`
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify({ networks, addresses }) })
  t.equal(r.status, 0, r.stderr.toString())
  const want = JSON.parse(r.stdout.toString()) as (string[] | null)[]
  for (const [i, n] of networks.entries()) {
    const net = parseIpNetwork(n)
    const got = net ? addresses.filter((a) => networkContains(net, parseIpAddress(a)!)) : null
    t.same(got, want[i], `ip_network(${JSON.stringify(n)})`)
  }
})

t.test('REMOTE_ADDR of an IPv4 client on a dual-stack socket', async (t) => {
  t.equal(remoteAddress('::ffff:127.0.0.1'), '127.0.0.1')
  t.equal(remoteAddress('::1'), '::1')
  t.equal(remoteAddress(undefined), undefined)
})
