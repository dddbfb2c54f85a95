// Rate limits over raw HTTP: container PUTs per account and object writes per container
// (by the container's object count) wait their turn, and answer 498 "Slow down" when the wait
// would pass max_sleep_time_seconds; blacklisted accounts get 497; /info shows the settings.
import t from 'tap'
import http from 'node:http'
import { startCluster } from '../../helpers/cluster.ts'
import { maxRate } from '../../../proxy/middleware/ratelimit.ts'

t.test('ratelimit', async (t) => {
  const c = await startCluster(t, {
    pipeline: 'catch_errors proxy-logging ratelimit proxy-logging proxy-server',
    // Container sizes are read through the info cache; keep it from hiding the first object.
    proxySettings: { recheck_container_existence: 0 },
    extraIni: [
      '[filter:ratelimit]',
      // Slow rates, so that a loaded machine cannot space two requests past the limit.
      'account_ratelimit = 0.1',
      'max_sleep_time_seconds = 0.5',
      'container_ratelimit_1 = 0.1',
      'container_ratelimit_10 = 0.05',
      'container_listing_ratelimit_1 = 20',
      'account_blacklist = AUTH_bad',
    ].join('\n'),
  })
  const A = '/v1/AUTH_test'

  await t.test('/info', async (t) => {
    const info = JSON.parse((await c.request('GET', '/info')).body.toString()) as Record<string, unknown>
    t.same(info.ratelimit, { account_ratelimit: 0.1, max_sleep_time_seconds: 0.5, container_ratelimits: [[1, 0.1], [10, 0.05]], container_listing_ratelimits: [[1, 20]] })
  })

  await t.test('container PUTs per account', async (t) => {
    t.equal((await c.request('PUT', `${A}/c`)).status, 201)
    const second = await c.request('PUT', `${A}/d`)
    t.equal(second.status, 498)
    t.equal(second.body.toString(), 'Slow down')
    t.equal((await c.request('HEAD', `${A}/d`)).status, 404, 'nothing created')
    t.equal((await c.request('GET', `${A}/c`)).status, 204, 'reads are not limited')
  })

  await t.test('object writes per container, by its size', async (t) => {
    // An empty container is never limited (Swift's get_maxrate ignores size 0).
    t.equal((await c.request('PUT', `${A}/c/first`, { body: '1' })).status, 201)
    t.equal((await c.request('HEAD', `${A}/c`)).headers['x-container-object-count'], '1')
    t.equal((await c.request('PUT', `${A}/c/second`, { body: '2' })).status, 201, 'the first limited write takes the first slot')
    t.equal((await c.request('PUT', `${A}/c/third`, { body: '3' })).status, 498)
    t.equal((await c.request('HEAD', `${A}/c/third`)).status, 404)
  })

  await t.test('listings wait for their turn', async (t) => {
    const started = Date.now()
    const statuses = await Promise.all([1, 2, 3].map(async () => (await c.request('GET', `${A}/c`)).status))
    t.same(statuses, [200, 200, 200])
    t.ok(Date.now() - started >= 90, 'three listings at 20/s take two slots of 50 ms')
  })

  await t.test('blacklist', async (t) => {
    const res = await c.request('PUT', '/v1/AUTH_bad/c')
    t.equal(res.status, 497)
    t.equal(res.body.toString(), 'Your account has been blacklisted')
  })

  await t.test('status line', async (t) => {
    const put = () =>
      new Promise<string>((resolve, reject) => {
        const req = http.request(`${c.url}/v1/AUTH_other/e`, { method: 'PUT' }, (res) => {
          res.resume()
          resolve(`${res.statusCode} ${res.statusMessage}`)
        })
        req.on('error', reject)
        req.end()
      })
    t.equal(await put(), '201 Created')
    t.equal(await put(), '498 Rate Limited')
  })
})

t.test('rates between configured sizes are interpolated', async (t) => {
  const points = [{ size: 10, rate: 100 }, { size: 50, rate: 20 }]
  t.equal(maxRate(points, 0), undefined)
  t.equal(maxRate(points, 5), undefined)
  t.equal(maxRate(points, 10), 100)
  t.equal(maxRate(points, 30), 100 + (30 - 10) * ((20 - 100) / 40))
  t.equal(maxRate(points, 500), 20)
})
