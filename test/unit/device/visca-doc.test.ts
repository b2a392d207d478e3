import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { VISCA_ERROR_TEXT } from '../../../src/main/device/visca/codec.ts'
import { VISCA_EXTRAS } from '../../../src/main/device/visca/driver.ts'
import { VISCA_KEYS } from '../../../src/main/device/visca/mapping.ts'

const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocols/visca.md', import.meta.url)), 'utf8')
const firstColumn = (title: string) => {
  const start = doc.indexOf(`## ${title}`)
  const text = doc.slice(start, doc.indexOf('\n## ', start + 1))
  return text
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => /^\| `([^`]+)`/.exec(l)![1]!)
}

describe('docs/protocols/visca.md matches the driver', () => {
  it('documents every mapped v1 key', () => {
    expect(firstColumn('5. Mapping').sort()).toEqual(VISCA_KEYS.map((k) => k.key).sort())
  })
  it('documents every extra control', () => {
    expect(firstColumn('7. Extra')).toEqual(VISCA_EXTRAS.map((e) => e.name))
  })
  it('documents every error reply', () => {
    for (const text of Object.values(VISCA_ERROR_TEXT)) expect(doc).toContain(`| ${text.replace(' (to be canceled)', '')} |`)
  })
})
