import t from 'tap'
import { DeviceGate } from '../../../object/device-gate.ts'

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

t.test('a device holds at most `limit` requests; others wait in order; other devices pass', async (t) => {
  const gate = new DeviceGate(2)
  const started: string[] = []
  const blockers = [deferred(), deferred(), deferred(), deferred()]
  const runs = blockers.map((b, i) => gate.run('sda', async () => {
    started.push(`sda-${i}`)
    await b.promise
    return i
  }))
  await new Promise((r) => setImmediate(r))
  t.same(started, ['sda-0', 'sda-1'], 'two run, two wait')
  t.equal(gate.inFlight('sda'), 2)
  t.equal(await gate.run('sdb', async () => 'other'), 'other', 'another device is not held up')
  blockers[1]!.resolve()
  await runs[1]
  await new Promise((r) => setImmediate(r))
  t.same(started, ['sda-0', 'sda-1', 'sda-2'], 'a finished request hands its slot to the first waiting')
  t.equal(gate.inFlight('sda'), 2)
  blockers[0]!.resolve()
  blockers[2]!.resolve()
  blockers[3]!.resolve()
  t.same(await Promise.all(runs), [0, 1, 2, 3])
  t.equal(gate.inFlight('sda'), 0, 'every slot is released')
})

t.test('a request that throws releases its slot', async (t) => {
  const gate = new DeviceGate(1)
  await t.rejects(gate.run('sda', async () => { throw new Error('boom') }), /boom/)
  t.equal(await gate.run('sda', async () => 7), 7)
  t.equal(gate.inFlight('sda'), 0)
})
