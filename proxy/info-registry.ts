// The capabilities /info lists (Swift's register_swift_info / get_swift_info): the proxy
// registers the "swift" section (version, constraints, policies); middleware register their
// own sections through MiddlewareDeps.registerInfo. Admin sections are shown only with a
// valid HMAC signature (Swift's admin_key), so they are kept apart.
import { constraintsForInfo } from '../common/constraints.ts'
import type { ProxyConfig } from './config.ts'

export const TERN_VERSION = '0.1.0'
/** The Swift release whose API and behaviour Tern follows (reported as swift.version). */
export const SWIFT_API_VERSION = '2.30.1'

export type InfoSection = Record<string, unknown>

export class InfoRegistry {
  private readonly sections = new Map<string, InfoSection>()
  private readonly adminSections = new Map<string, InfoSection>()

  constructor(config: ProxyConfig) {
    this.register('swift', {
      version: SWIFT_API_VERSION,
      tern_version: TERN_VERSION,
      ...constraintsForInfo(config.constraints),
      strict_cors_mode: true,
      allow_account_management: config.allowAccountManagement,
      account_autocreate: config.accountAutocreate,
      policies: [{ name: 'Policy-0', aliases: 'Policy-0', default: true }],
    })
  }

  /** Adds to (or creates) a section; later keys win, as register_swift_info merges. */
  register(name: string, data: InfoSection, options: { admin?: boolean } = {}): void {
    const target = options.admin ? this.adminSections : this.sections
    target.set(name, { ...(target.get(name) ?? {}), ...data })
  }

  /** The public sections minus `disallowed` (dotted keys remove one key of a section). */
  publicInfo(disallowed: readonly string[] = []): Record<string, InfoSection> {
    return filterSections(this.sections, disallowed)
  }

  adminInfo(disallowed: readonly string[] = []): Record<string, InfoSection> {
    return { ...filterSections(this.adminSections, []), disallowed_sections: disallowed as unknown as InfoSection }
  }
}

function filterSections(sections: Map<string, InfoSection>, disallowed: readonly string[]): Record<string, InfoSection> {
  const out: Record<string, InfoSection> = {}
  for (const [name, data] of sections) {
    if (disallowed.includes(name)) continue
    const copy = { ...data }
    for (const entry of disallowed) {
      const [section, key] = entry.split('.', 2)
      if (section === name && key) delete copy[key]
    }
    out[name] = copy
  }
  return out
}
