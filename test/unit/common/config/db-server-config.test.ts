// The container/account server config: Swift's keys and defaults, bad values rejected.
import t from 'tap'
import { parseIni } from '../../../../common/config/ini.ts'
import { parseDbServerConfig } from '../../../../common/config/db-server-config.ts'

t.test('defaults as Swift', async (t) => {
  const c = parseDbServerConfig(parseIni(''), 'container')
  t.equal(c.bindPort, 6201)
  t.equal(parseDbServerConfig(parseIni(''), 'account').bindPort, 6202)
  t.equal(c.devices, '/srv/node')
  t.equal(c.mountCheck, true)
  t.equal(c.workers, 1)
  t.same(c.policies, [{ index: 0, name: 'Policy-0' }])
})

t.test('reads [DEFAULT] and the app section, policies and hash secrets', async (t) => {
  const ini = parseIni(
    '[DEFAULT]\ndevices = /d\nmount_check = false\nbind_port = 7000\nworkers = 8\n[app:container-server]\nbind_ip = 10.0.0.1\n' +
      '[swift-hash]\nswift_hash_path_suffix = s\n[storage-policy:0]\nname = gold\n[storage-policy:2]\nname = ec\n',
  )
  const c = parseDbServerConfig(ini, 'container')
  t.equal(c.devices, '/d')
  t.equal(c.mountCheck, false)
  t.equal(c.bindIp, '10.0.0.1')
  t.equal(c.bindPort, 7000)
  t.equal(c.workers, 1, 'one process owns the databases')
  t.equal(c.ignoredWorkers, 8)
  t.equal(c.hashPath.suffix, 's')
  t.same(c.policies.map((p) => p.name), ['gold', 'ec'])
})

t.test('rejects bad values', async (t) => {
  for (const bad of ['bind_port = 70000', 'bind_port = http', 'mount_check = maybe', 'workers = -1', 'node_timeout = 0', 'log_level = LOUD']) {
    t.throws(() => parseDbServerConfig(parseIni(`[app:account-server]\n${bad}\n`), 'account'), { code: 'ERR_CONFIG' }, bad)
  }
})
