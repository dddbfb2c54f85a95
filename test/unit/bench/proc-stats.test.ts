import t from 'tap'
import { cpuBetween, parseStat, processLabel, processTree, statusKb } from '../../../bench/lib/proc-stats.ts'
import type { ProcSample } from '../../../bench/lib/proc-stats.ts'

t.test('parses /proc/<pid>/stat, with a comm holding spaces and parentheses', async (t) => {
  // Fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal starttime ...
  const line = '4242 (node (worker) 1) S 4000 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 11 0 98765 1000000 2000 18446744073709551615'
  const s = parseStat(line)!
  t.equal(s.pid, 4242)
  t.equal(s.ppid, 4000)
  t.equal(s.comm, 'node (worker) 1')
  t.equal(s.cpuSeconds, 3, '(250 + 50) ticks at 100 Hz; children (cutime/cstime) not counted')
  t.equal(s.startTicks, 98765)
  t.equal(parseStat('garbage'), undefined)
})

t.test('the process tree of some roots', async (t) => {
  const p = (pid: number, ppid: number): ProcSample => ({ pid, ppid, comm: 'x', cpuSeconds: 0, startTicks: pid })
  const procs = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(21, 20), p(30, 1)]
  t.same(processTree(procs, [10]).map((x) => x.pid).sort((a, b) => a - b), [10, 11, 12])
  t.same(processTree(procs, [10, 20, 99]).map((x) => x.pid).sort((a, b) => a - b), [10, 11, 12, 20, 21], 'a vanished root is skipped')
})

t.test('CPU between samples: differences, and all of a newborn process', async (t) => {
  const s = (pid: number, cpu: number, start = 1): ProcSample => ({ pid, ppid: 1, comm: 'x', cpuSeconds: cpu, startTicks: start })
  t.equal(cpuBetween([s(1, 1), s(2, 5)], [s(1, 1.5), s(2, 6), s(3, 0.25, 9)]), 1.75)
  t.equal(cpuBetween([s(1, 4)], [s(1, 0.5, 2)]), 0.5, 'a recycled pid is a new process')
})

t.test('status fields in bytes', async (t) => {
  const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n'
  t.equal(statusKb(status, 'VmRSS'), 102400 * 1024)
  t.equal(statusKb(status, 'VmHWM'), 204800 * 1024)
  t.equal(statusKb(status, 'VmSwap'), undefined)
})

t.test('a process is named by its command line without interpreter, flags and folders', async (t) => {
  t.equal(processLabel(['/usr/bin/node', '/repo/node_modules/.cache/tern/js-1/bin/tern.js', 'all-in-one-server', 'node', '/home/etc/node1.conf', '']), 'tern all-in-one-server node node1')
  t.equal(processLabel(['/usr/bin/node', '--import=file:///x/tsx/loader.mjs', '/repo/bin/tern.ts', 'proxy-server', '/home/etc/proxy-server.conf']), 'tern proxy-server proxy-server')
  t.equal(processLabel(['/usr/bin/python3', '/usr/bin/swift-object-server', '/srv/object-server/1.conf']), 'swift-object-server 1')
  t.equal(processLabel(['rsync']), 'rsync')
})
