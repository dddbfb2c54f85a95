// The writer the crash probe kills: an object server in this process, and PUT loops of new
// versions over the same objects, printing "ack <obj> <timestamp>" for every 201.
// argv: <devices> <first timestamp seconds> <objects> <device>
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseIni } from '../../common/config/ini.ts'
import { silentLogger } from '../../common/logger.ts'
import { Timestamp } from '../../common/timestamp.ts'
import { parseObjectServerConfig } from '../../object/config.ts'
import { createObjectServer } from '../../object/server.ts'
import { crashBody, CRASH_SECRETS } from './object-crash-body.ts'

const [devices, firstText, countText, device = 'sda'] = process.argv.slice(2)
const config = parseObjectServerConfig(parseIni(`[DEFAULT]\ndevices = ${devices}\nmount_check = false\n[app:object-server]\nfallocate_reserve = 0\n`), CRASH_SECRETS)
const server = createObjectServer(config, silentLogger)
server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port
  process.stdout.write('ready\n')
  const agent = new http.Agent({ keepAlive: true })
  const put = (obj: string, ts: Timestamp) =>
    new Promise<number>((resolve, reject) => {
      const body = crashBody(obj, ts)
      const req = http.request({
        host: '127.0.0.1', port, method: 'PUT', path: `/${device}/0/a/c/${obj}`, agent,
        headers: { 'X-Timestamp': ts.internal, 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
      }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end(body)
    })
  const objects = Array.from({ length: Number(countText) }, (_, i) => `obj-${i}`)
  void (async () => {
    for (let round = 0; ; round++) {
      const ts = Timestamp.fromSeconds(Number(firstText) + round)
      await Promise.all(objects.map(async (obj) => {
        if ((await put(obj, ts)) === 201) process.stdout.write(`ack ${obj} ${ts.internal}\n`)
      }))
    }
  })()
})
