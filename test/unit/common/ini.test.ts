import t from 'tap'
import { iniBool, parseIni } from '../../../common/config/ini.ts'

t.test('sections inherit DEFAULT, set overrides, continuation lines', async (t) => {
  const ini = parseIni(`
# comment
[DEFAULT]
devices = /srv/node
mount_check = false

[pipeline:main]
pipeline = catch_errors healthcheck
    proxy-logging proxy-server

[app:object-server]
set mount_check = true
; another comment
workers: 4
`)
  t.equal(ini['app:object-server']?.devices, '/srv/node')
  t.equal(ini['app:object-server']?.mount_check, 'true')
  t.equal(ini['app:object-server']?.workers, '4')
  t.equal(ini['pipeline:main']?.pipeline, 'catch_errors healthcheck\nproxy-logging proxy-server')
  t.equal(ini.DEFAULT?.mount_check, 'false')
})

t.test('malformed lines name their line number', async (t) => {
  t.throws(() => parseIni('[a]\nno equals here'), { code: 'ERR_INI_PARSE', line: 2 })
  t.throws(() => parseIni('key = outside'), { code: 'ERR_INI_PARSE', line: 1 })
})

t.test('iniBool follows config_true_value', async (t) => {
  for (const v of ['true', 'Yes', '1', 'on', 't', 'y']) t.equal(iniBool(v, false), true, v)
  for (const v of ['false', 'no', '0', 'off', 'nonsense']) t.equal(iniBool(v, true), false, v)
  t.equal(iniBool(undefined, true), true)
  t.equal(iniBool('', false), false)
})
