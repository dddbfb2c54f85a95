import t from 'tap'
import { parseIni } from '../../../common/config/ini.ts'
import { OBJECT_SERVER_DEFAULTS, parseObjectServerConfig, parseFallocateReserve } from '../../../object/config.ts'

const secrets = { prefix: 'p', suffix: 's' }

t.test('defaults are Swift\'s', async (t) => {
  const c = parseObjectServerConfig(parseIni('[DEFAULT]\n[app:object-server]\n'), secrets)
  t.equal(c.bindPort, 6200)
  t.equal(c.devices, '/srv/node')
  t.equal(c.mountCheck, true)
  t.equal(c.nodeTimeout, 3)
  t.equal(c.connTimeout, 0.5)
  t.equal(c.containerUpdateTimeout, 1)
  t.same(c.fallocateReserve, { value: 1, isPercent: true })
  t.same([...c.allowedHeaders], [...OBJECT_SERVER_DEFAULTS.allowedHeaders])
  t.equal(c.expiringObjectsAccount, '.expiring_objects')
  t.ok(Object.isFrozen(c))
})

t.test('[DEFAULT] and the app section are read with Swift\'s key names', async (t) => {
  const c = parseObjectServerConfig(parseIni([
    '[DEFAULT]', 'devices = /d', 'mount_check = false', 'bind_ip = 127.0.0.1', 'bind_port = 6010', 'workers = 3',
    '[app:object-server]', 'node_timeout = 5', 'allowed_headers = Content-Disposition, ETag, X-Foo', 'fallocate_reserve = 1048576',
    '[swift-hash]', 'swift_hash_path_suffix = sfx',
  ].join('\n')))
  t.equal(c.devices, '/d')
  t.equal(c.mountCheck, false)
  t.equal(c.bindPort, 6010)
  t.equal(c.workers, 3)
  t.equal(c.nodeTimeout, 5)
  t.same([...c.allowedHeaders], ['content-disposition', 'x-foo'], 'reserved names are dropped')
  t.same(c.fallocateReserve, { value: 1048576, isPercent: false })
  t.same(c.hashPath, { prefix: '', suffix: 'sfx' })
})

t.test('bad values are rejected at start-up', async (t) => {
  for (const line of ['bind_port = 70000', 'workers = many', 'mount_check = maybe', 'node_timeout = -1', 'log_level = LOUD']) {
    t.throws(() => parseObjectServerConfig(parseIni(`[DEFAULT]\n${line}\n`), secrets), { code: 'ERR_CONFIG' }, line)
  }
  t.throws(() => parseFallocateReserve('200%'), { code: 'ERR_CONFIG' })
  t.throws(() => parseObjectServerConfig(parseIni('[DEFAULT]\n')), { code: 'ERR_CONFIG' }, 'no secrets anywhere')
})
