import t from 'tap'
import { networkInterfaces } from 'node:os'
import { ColocatedServers } from '../../../common/colocated-servers.ts'
import type { LocalContainerServer } from '../../../common/colocated-servers.ts'

const server = (label: string): LocalContainerServer & { label: string } => ({ label, applyUpdates: async (_p, rows) => rows.map(() => 201) })

t.test('a container server is found by the address and port it listens on', async (t) => {
  const c = new ColocatedServers()
  t.equal(c.containerServerAt('127.0.0.1', 6201), undefined, 'none registered')
  const a = server('a')
  c.addContainerServer('127.0.0.1', 6201, a)
  t.equal(c.containerServerAt('127.0.0.1', 6201), a)
  t.equal(c.containerServerAt('127.0.0.1', 6211), undefined, 'another port')
  t.equal(c.containerServerAt('127.0.0.2', 6201), undefined, 'another address')
  c.addContainerServer('::1', 6202, server('b'))
  t.equal((c.containerServerAt('[::1]', 6202) as { label?: string } | undefined)?.label, 'b', 'IPv6 in brackets as the update headers give it')
  c.removeContainerServer('127.0.0.1', 6201)
  t.equal(c.containerServerAt('127.0.0.1', 6201), undefined, 'removed')
})

t.test('a wildcard bind answers for this host\'s own addresses only', async (t) => {
  const c = new ColocatedServers()
  const w = server('w')
  c.addContainerServer('0.0.0.0', 6201, w)
  t.equal(c.containerServerAt('127.0.0.1', 6201), w, 'loopback')
  const own = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4')?.address
  if (own) t.equal(c.containerServerAt(own, 6201), w, `an address of this host (${own})`)
  // 192.0.2.0/24 is TEST-NET-1: never an address of this host.
  t.equal(c.containerServerAt('192.0.2.7', 6201), undefined, 'another host with the same port')
  t.equal(c.containerServerAt('127.0.0.1', 6202), undefined)
  c.removeContainerServer('0.0.0.0', 6201)
  t.equal(c.containerServerAt('127.0.0.1', 6201), undefined)
})
