// [filter:slo] settings, with Swift's defaults, parsed once.
import type { IniSection } from '../../../common/config/ini.ts'

export interface SloConfig {
  readonly maxManifestSegments: number
  readonly maxManifestSize: number
  /** HEADs in flight while a manifest PUT is checked (Swift's concurrency). */
  readonly concurrency: number
  /** Segments in flight while ?multipart-manifest=delete runs. */
  readonly deleteConcurrency: number
  readonly yieldFrequency: number
}

function positiveInt(conf: IniSection, key: string, fallback: number): number {
  const raw = conf[key]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`[filter:slo] ${key} must be a positive integer, not "${raw}"`)
  return n
}

export function parseSloConfig(conf: IniSection): SloConfig {
  return Object.freeze({
    maxManifestSegments: positiveInt(conf, 'max_manifest_segments', 1000),
    maxManifestSize: positiveInt(conf, 'max_manifest_size', 8 * 1024 * 1024),
    concurrency: Math.min(positiveInt(conf, 'concurrency', 2), 10),
    deleteConcurrency: Math.min(positiveInt(conf, 'delete_concurrency', 2), 10),
    yieldFrequency: positiveInt(conf, 'yield_frequency', 10),
  })
}
