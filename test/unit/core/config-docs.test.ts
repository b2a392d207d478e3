import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { configSchema } from '../../../src/main/config/index.ts'

/** Every key of the schema, dotted ("camera.maxClients"). */
function keysOf(shape: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([k, v]) => {
    let inner = v as { def?: { type?: string; innerType?: unknown; shape?: unknown }; shape?: Record<string, unknown> }
    while (inner.def && !inner.shape && inner.def.innerType) inner = inner.def.innerType as typeof inner
    return inner.shape ? keysOf(inner.shape, `${prefix}${k}.`) : [`${prefix}${k}`]
  })
}

describe('docs/configuration.md', () => {
  it('documents every config key', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8')
    const keys = keysOf(configSchema.shape)
    expect(keys.length).toBeGreaterThan(20)
    expect(keys.filter((k) => !doc.includes(`| \`${k}\` |`))).toEqual([])
  })
})
