// The all-in-one's files: SAIO-like ports, config written once and reused, rings with one
// replica per node, and the refusal to expose the development users beyond loopback.
import t from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseIni } from '../../../common/config/ini.ts'
import { checkExposure, ensureConfigFiles, readProxySettings, wellKnownUsersLeft, DEV_USERS } from '../../../all-in-one/config-files.ts'
import { LayoutError, isLoopback, layoutOptionsFromEnv, makeLayout, nodePorts } from '../../../all-in-one/layout.ts'
import { ensureRings, ringPath } from '../../../all-in-one/rings.ts'
import { readRingFileSync } from '../../../ring/io.ts'
import { parseTempAuthConfig } from '../../../proxy/middleware/tempauth-config.ts'
import { assertPortFree } from '../../../all-in-one/supervisor.ts'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

async function home(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'tern-aio-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('ports follow SAIO: node N on base+10N (+1 container, +2 account)', async (t) => {
  t.same(nodePorts(6200, 1), { object: 6210, container: 6211, account: 6212 })
  t.same(nodePorts(6200, 4), { object: 6240, container: 6241, account: 6242 })
  const layout = makeLayout({ home: '/tmp/x' })
  t.equal(layout.proxyPort, 8080)
  t.equal(layout.bindIp, '127.0.0.1')
  t.same(layout.nodes.map((n) => n.ports.object), [6210, 6220, 6230, 6240])
  const fromEnv = layoutOptionsFromEnv({ TERN_HOME: 'h', TERN_PROXY_PORT: '18080', TERN_PORT_BASE: '30000' }, '/work')
  t.same(fromEnv, { home: '/work/h', bindIp: undefined, proxyPort: 18080, portBase: 30000 })
  t.equal(layoutOptionsFromEnv({}, '/work').home, '/work/var')
  t.throws(() => layoutOptionsFromEnv({ TERN_PROXY_PORT: 'eighty' }, '/'), LayoutError)
  t.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost'))
  t.notOk(isLoopback('0.0.0.0') || isLoopback('10.0.0.1'))
})

t.test('first start writes every file; a second keeps them byte for byte', async (t) => {
  const dir = await home(t)
  const layout = makeLayout({ home: dir, portBase: 30000, proxyPort: 18080 })
  t.equal(ensureConfigFiles(layout), true)
  const swiftConf = await readFile(layout.swiftConfPath, 'utf8')
  const hash = parseIni(swiftConf)['swift-hash']!
  t.match(hash.swift_hash_path_prefix, /^[0-9a-f]{32}$/)
  t.match(hash.swift_hash_path_suffix, /^[0-9a-f]{32}$/)
  const proxyConf = await readFile(layout.proxyConfPath, 'utf8')
  const ini = parseIni(proxyConf)
  t.equal(ini['app:proxy-server']?.bind_port, '18080')
  t.match(ini['pipeline:main']?.pipeline, /tempauth cors/)
  // The users are Swift's dev users, as tempauth parses them.
  const ta = parseTempAuthConfig(ini['filter:tempauth']!)
  t.same([...ta.users.keys()].sort(), DEV_USERS.map((u) => `${u.account}:${u.user}`).sort())
  t.same(ta.resellerPrefixes, ['AUTH_', 'SERVICE_'])
  t.equal(ta.tokenSecretConfigured, true)
  const node2 = parseIni(await readFile(layout.nodes[1]!.configPath, 'utf8'))
  t.equal(node2['app:object-server']?.bind_port, '30020')
  t.equal(node2['app:container-server']?.bind_port, '30021')
  t.equal(node2['app:account-server']?.bind_port, '30022')
  t.equal(node2['app:object-server']?.devices, layout.nodes[1]!.devicesDir)
  t.same(node2['swift-hash']?.swift_hash_path_suffix, hash.swift_hash_path_suffix, 'nodes share the secrets')

  await writeFile(layout.proxyConfPath, proxyConf + '\n# edited by the operator\n')
  t.equal(ensureConfigFiles(layout), false, 'second start reuses')
  t.equal(await readFile(layout.swiftConfPath, 'utf8'), swiftConf)
  t.match(await readFile(layout.proxyConfPath, 'utf8'), /edited by the operator/)
  t.throws(() => ensureConfigFiles(makeLayout({ home: dir, portBase: 31000 })), /created with storage ports from 30000/)
})

t.test('rings: part power 10, 3 replicas, 4 devices, never two replicas on one node', async (t) => {
  const dir = await home(t)
  const layout = makeLayout({ home: dir, portBase: 30000 })
  ensureConfigFiles(layout)
  t.same(ensureRings(layout), ['object', 'container', 'account'])
  t.same(ensureRings(layout), [], 'built once')
  for (const type of ['object', 'container', 'account'] as const) {
    const ring = readRingFileSync(ringPath(layout, type))
    t.equal(ring.partShift, 32 - 10)
    t.equal(ring.replica2part2dev.length, 3)
    t.equal(ring.devs.length, 4)
    t.same(ring.devs.map((d) => d?.port), layout.nodes.map((n) => n.ports[type]))
    let collisions = 0
    for (let p = 0; p < 1024; p++) {
      const devs = new Set(ring.replica2part2dev.map((r) => r[p]))
      if (devs.size !== 3) collisions++
    }
    t.equal(collisions, 0, `${type}: every partition on 3 distinct nodes`)
  }
})

t.test('the development users may not face anything but loopback', async (t) => {
  const dir = await home(t)
  const layout = makeLayout({ home: dir, bindIp: '0.0.0.0' })
  ensureConfigFiles(layout)
  const settings = readProxySettings(layout.proxyConfPath)
  t.equal(settings.bindIp, '0.0.0.0')
  t.equal(wellKnownUsersLeft(settings).length, DEV_USERS.length)
  t.throws(() => checkExposure(settings, layout.proxyConfPath), /well-known development users/)
  // The operator replaces them: now it may start.
  const text = (await readFile(layout.proxyConfPath, 'utf8')).split('\n').filter((l) => !l.startsWith('user_')).join('\n') + '\nuser_ops_alice = s3cr3t-Long .admin\n'
  await writeFile(layout.proxyConfPath, text)
  const mine = readProxySettings(layout.proxyConfPath)
  t.same(wellKnownUsersLeft(mine), [])
  t.doesNotThrow(() => checkExposure(mine, layout.proxyConfPath))
  t.doesNotThrow(() => checkExposure({ ...settings, bindIp: '127.0.0.1' }, 'x'), 'loopback is fine with dev users')
})

t.test('a port in use is a clear error', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  await t.rejects(assertPortFree('127.0.0.1', port, 'proxy-server'), { code: 'ERR_PORT_IN_USE', message: new RegExp(`port ${port} on 127.0.0.1 \\(proxy-server\\) is already in use`) })
})
