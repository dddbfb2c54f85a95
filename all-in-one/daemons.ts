// The all-in-one's consistency daemons: one process per storage node running all of them
// (`tern daemon all <node conf>`), as Swift's SAIO runs swift-init rest. TERN_DAEMONS=0 leaves
// them off, for tests that need a quiet cluster and run passes themselves (--once).
import type { NodeLayout } from './layout.ts'
import { STORAGE_IP } from './layout.ts'
import { ternCommand } from './start.ts'
import type { ProcessSpec } from './supervisor.ts'

export function daemonsEnabled(env: NodeJS.ProcessEnv): boolean {
  return !['0', 'false', 'no', 'off'].includes((env.TERN_DAEMONS ?? '1').toLowerCase())
}

export function daemonSpec(node: NodeLayout): ProcessSpec {
  // No port: it is "ready" once started; the supervisor still reports it if it exits.
  return { name: `${node.name}-daemons`, ...ternCommand('daemon', ['all', node.configPath]), host: STORAGE_IP, ports: [] }
}
