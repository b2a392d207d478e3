import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CAMERA_KEYS, describeValues } from '../../../src/shared/camera-keys.ts'

/** The row docs/api/camera-v1.md must carry for a key (generated from the one key table). */
export const keyRow = (d: (typeof CAMERA_KEYS)[number]) =>
  `| \`${d.key}\` | \`${d.observable}\` | ${describeValues(d)} | ${d.readOnly ? 'read-only' : d.type === 'action' ? 'write (action)' : 'read/write'} | ${d.read.join(', ')} | ${d.write ?? '–'} | ${JSON.stringify(d.default)} | ${d.description} |`

describe('docs/api/camera-v1.md', () => {
  it('lists every key exactly as the key table defines it', () => {
    const doc = readFileSync(new URL('../../../docs/api/camera-v1.md', import.meta.url), 'utf8')
    const missing = CAMERA_KEYS.map(keyRow).filter((row) => !doc.includes(row))
    expect(missing).toEqual([])
  })
})
