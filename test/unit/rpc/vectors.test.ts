import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { decodeValue, encodeValue, Guid } from '../../../src/main/rpc/codec.ts'
import { AcBinaryHubProtocol } from '../../../src/main/rpc/hub-protocol.ts'
import { frameVectors, valueVectors } from './vectors.ts'

// The byte examples of the protocol doc are the test vectors: parsed from the doc itself.
const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocols/binary-hub-protocol.md', import.meta.url)), 'utf8')
const blocks = [...doc.matchAll(/```hex (value|frame)=(\S+)\n([\s\S]*?)```/g)].map((m) => ({
  kind: m[1] as 'value' | 'frame',
  name: m[2]!,
  bytes: Uint8Array.from(
    m[3]!
      .split('\n')
      .map((l) => l.split('#')[0]!)
      .join(' ')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((h) => {
        if (!/^[0-9A-F]{2}$/.test(h)) throw new Error(`bad hex "${h}" in vector ${m[2]}`)
        return parseInt(h, 16)
      }),
  ),
}))

describe('doc test vectors', () => {
  it('the doc has every vector the tests know, and no unknown one', () => {
    expect(blocks.filter((b) => b.kind === 'value').map((b) => b.name).sort()).toEqual(Object.keys(valueVectors).sort())
    expect(blocks.filter((b) => b.kind === 'frame').map((b) => b.name).sort()).toEqual(Object.keys(frameVectors).sort())
  })

  for (const b of blocks.filter((x) => x.kind === 'value')) {
    it(`value ${b.name}`, () => {
      const v = valueVectors[b.name]
      expect(encodeValue(v)).toEqual(b.bytes)
      expect(decodeValue(b.bytes)).toEqual(v instanceof Guid ? v.value : v)
    })
  }

  const protocol = new AcBinaryHubProtocol()
  for (const b of blocks.filter((x) => x.kind === 'frame')) {
    it(`frame ${b.name}`, () => {
      const m = frameVectors[b.name]!
      expect(protocol.encode(m)).toEqual(b.bytes)
      const copy = b.bytes.slice()
      expect(protocol.parseMessages(copy.buffer)).toEqual([m])
    })
  }
})
