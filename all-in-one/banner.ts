// What `tern start` prints once the cluster is up: where it is, who can log in, and commands
// to paste. Keys are shown only for the well-known development users (an operator's own keys
// stay in the config file).
import { relative } from 'node:path'
import type { ProxySettings } from './config-files.ts'
import { DEV_USERS } from './config-files.ts'
import type { Layout } from './layout.ts'

export interface BannerInput {
  layout: Layout
  proxyUrl: string
  authUrl: string
  settings: ProxySettings
  created: boolean
}

/** The first line the all-in-one prints once every server answers (tests wait for it). */
export const READY_PREFIX = 'Tern is ready:'

function show(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') ? rel : path
}

export function bannerText(b: BannerInput): string {
  const { layout, settings } = b
  const devKeys = new Map(DEV_USERS.map((u) => [`${u.account}:${u.user}`, u.key]))
  const users = [...settings.users.entries()].map(([name, u]) => {
    const shown = devKeys.get(name) === u.key ? u.key : '(key in proxy-server.conf)'
    return `  ${name.padEnd(16)} ${shown.padEnd(12)} ${u.groups.join(' ')}`.trimEnd()
  })
  const example = settings.users.has('test:tester') && devKeys.get('test:tester') === settings.users.get('test:tester')?.key
  const nodes = layout.nodes.map((n) => `  ${n.name}: object ${n.ports.object}, container ${n.ports.container}, account ${n.ports.account}  (${show(n.devicesDir)}/${n.device})`)
  const lines = [
    `${READY_PREFIX} ${b.proxyUrl}`,
    '',
    `  Swift API   ${b.proxyUrl}/v1/AUTH_<account>`,
    `  Auth URL    ${b.authUrl}   (tempauth, v1.0)`,
    `  Health      ${b.proxyUrl}/healthcheck     Info ${b.proxyUrl}/info`,
    `  Home        ${show(layout.home)}  (${b.created ? 'created now' : 'existing data reused'}; config in ${show(layout.etcDir)}, logs in ${show(layout.logDir)})`,
    '',
    'Storage nodes (3 replicas over 4 nodes, part power 10):',
    ...nodes,
    '',
    'Users (account:user  key  groups):',
    ...users,
  ]
  if (example) {
    lines.push(
      '',
      'Try it:',
      `  swift -A ${b.authUrl} -U test:tester -K testing stat`,
      `  swift -A ${b.authUrl} -U test:tester -K testing upload photos README.md`,
      `  swift -A ${b.authUrl} -U test:tester -K testing list photos`,
      '',
      `  curl -i -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' ${b.authUrl}`,
      `  curl -i -H "X-Auth-Token: $TOKEN" ${b.proxyUrl}/v1/AUTH_test`,
    )
  }
  lines.push('', 'Ctrl-C stops every server.')
  return lines.join('\n')
}
