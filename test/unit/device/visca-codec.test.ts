import { describe, expect, it } from 'vitest'
import { fromNibbles, packet, parseReply, salvageReply, toNibbles, ViscaSplitter } from '../../../src/main/device/visca/codec.ts'
import { scale, unscale, VISCA_KEY_MAP } from '../../../src/main/device/visca/mapping.ts'

describe('VISCA packets', () => {
  it('builds packets with header and terminator, nibble-packing parameters', () => {
    expect([...packet(1, [0x01, 0x04, 0x47, ...toNibbles(0x1234, 4)])]).toEqual([0x81, 0x01, 0x04, 0x47, 1, 2, 3, 4, 0xff])
    expect(fromNibbles([1, 2, 3, 4])).toBe(0x1234)
    expect(() => packet(1, [])).toThrow(RangeError)
    expect(() => packet(1, new Array(15).fill(0))).toThrow(RangeError)
    expect(() => packet(1, [0x01, 0xff])).toThrow(RangeError)
  })

  it.each([
    [[0x90, 0x41, 0xff], { kind: 'ack', from: 1, socket: 1 }],
    [[0x90, 0x52, 0xff], { kind: 'completion', from: 1, socket: 2, data: [] }],
    [[0x90, 0x50, 0x02, 0xff], { kind: 'completion', from: 1, socket: 0, data: [2] }],
    [[0x90, 0x60, 0x01, 0xff], { kind: 'error', from: 1, socket: 0, code: 1 }],
    [[0x90, 0x60, 0x02, 0xff], { kind: 'error', from: 1, socket: 0, code: 2 }],
    [[0x90, 0x60, 0x03, 0xff], { kind: 'error', from: 1, socket: 0, code: 3 }],
    [[0x90, 0x61, 0x04, 0xff], { kind: 'error', from: 1, socket: 1, code: 4 }],
    [[0x90, 0x62, 0x05, 0xff], { kind: 'error', from: 1, socket: 2, code: 5 }],
    [[0x90, 0x62, 0x41, 0xff], { kind: 'error', from: 1, socket: 2, code: 0x41 }],
    [[0xa0, 0x41, 0xff], { kind: 'ack', from: 2, socket: 1 }],
    [[0x90, 0x38, 0xff], { kind: 'network-change', from: 1 }],
    [[0x88, 0x30, 0x02, 0xff], { kind: 'address-set', next: 2 }],
    [[0x88, 0x01, 0x00, 0x01, 0xff], { kind: 'if-clear-broadcast' }],
  ])('classifies %j', (bytes, expected) => {
    expect(parseReply(bytes)).toEqual(expected)
  })

  it('calls anything else unknown, and salvages a reply glued behind noise', () => {
    expect(parseReply([0x81, 0x41, 0xff]).kind).toBe('unknown') // a controller header
    expect(parseReply([0x90, 0x77, 0xff]).kind).toBe('unknown')
    expect(parseReply([0x90, 0x41]).kind).toBe('unknown')
    expect(salvageReply([0xfe, 0x90, 0x41, 0xff])).toEqual({ reply: { kind: 'ack', from: 1, socket: 1 }, dropped: 1 })
    expect(salvageReply([0xfe, 0x12, 0xff])).toBeUndefined()
  })
})

describe('ViscaSplitter', () => {
  it('joins split packets and splits merged ones', () => {
    const s = new ViscaSplitter()
    expect(s.push([0x90, 0x41])).toEqual([])
    expect(s.push([0xff, 0x90, 0x51, 0xff, 0x90])).toEqual([
      { kind: 'packet', bytes: [0x90, 0x41, 0xff] },
      { kind: 'packet', bytes: [0x90, 0x51, 0xff] },
    ])
    expect(s.push([0x50, 0x02, 0xff])).toEqual([{ kind: 'packet', bytes: [0x90, 0x50, 0x02, 0xff] }])
  })

  it('skips bytes that cannot start a packet and reports them once', () => {
    const s = new ViscaSplitter()
    const ev = s.push([0x00, 0x13, 0xff, 0x7f, 0x90, 0x41, 0xff])
    expect(ev).toEqual([
      { kind: 'error', message: expect.stringMatching(/4 byte/), bytes: [0x00, 0x13, 0xff, 0x7f] },
      { kind: 'packet', bytes: [0x90, 0x41, 0xff] },
    ])
  })

  it('never lets an over-long run swallow the reply behind it', () => {
    const s = new ViscaSplitter()
    const noise = [0xfe, ...new Array(30).fill(0x23)]
    const ev = s.push([...noise, 0x90, 0x41, 0xff])
    expect(ev.at(-1)).toEqual({ kind: 'packet', bytes: [0x90, 0x41, 0xff] })
    expect(ev.some((e) => e.kind === 'error' && /terminator/.test(e.message))).toBe(true)
  })

  it('stays bounded on endless high-bit noise', () => {
    const s = new ViscaSplitter()
    for (let i = 0; i < 1000; i++) s.push(new Array(100).fill(0x85))
    expect(s.push([0xff, 0x90, 0x41, 0xff]).at(-1)).toEqual({ kind: 'packet', bytes: [0x90, 0x41, 0xff] })
  })
})

describe('VISCA scaling', () => {
  it('maps 0-100 onto camera steps and reads back through the same rounding', () => {
    expect(scale(50, 0, 14)).toBe(7)
    expect(scale(0, 1, 13)).toBe(1)
    expect(scale(100, 1, 13)).toBe(13)
    expect(unscale(scale(42, 0, 14), 0, 14)).toBe(43)
    for (let v = 0; v <= 100; v++) expect(unscale(scale(v, 0, 255), 0, 255)).toBe(v)
  })

  it('refuses v1 values the camera has no mode for', () => {
    expect(VISCA_KEY_MAP.get('auto-white-balance')!.encode('cloudy')).toMatch(/Not supported by device/)
    expect(VISCA_KEY_MAP.get('auto-exposure')!.encode('bright')).toEqual([[0x01, 0x04, 0x39, 0x0d]])
  })
})
