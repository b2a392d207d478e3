import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The steering repo's shared/ folder (specs, research, race captures): PITWALL_SHARED, or ../shared beside an ancestor. */
export function sharedDir(): string {
  if (process.env.PITWALL_SHARED) return resolve(process.env.PITWALL_SHARED)
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'shared')
    if (existsSync(join(candidate, 'data', 'rmonitor'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error('shared/ not found: set PITWALL_SHARED')
    dir = parent
  }
}

/** A race capture from shared/data/rmonitor. */
export function capturePath(name: string): string {
  return join(sharedDir(), 'data', 'rmonitor', name)
}
