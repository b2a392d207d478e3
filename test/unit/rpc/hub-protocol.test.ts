import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AcBinaryHubProtocol, EncodedArg, HubProtocolError } from '../../../src/main/rpc/hub-protocol.ts'
import { encodeValue } from '../../../src/main/rpc/codec.ts'
import { frameVectors } from './vectors.ts'

const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((h) => parseInt(h, 16)))
const protocol = new AcBinaryHubProtocol({ maxFrameBytes: 4096 })
const valid = Object.values(frameVectors).map((m) => protocol.encode(m))

/** Parses and classifies: a list of messages, or a HubProtocolError. Anything else fails the test. */
function parseOrProtocolError(bytes: Uint8Array): 'ok' | 'error' {
  try {
    protocol.parseMessages(bytes)
    return 'ok'
  } catch (err) {
    if (err instanceof HubProtocolError) return 'error'
    throw err
  }
}

describe('acbinary hub protocol', () => {
  it('parses several frames in one message', () => {
    const both = new Uint8Array([...valid[0]!, ...valid[1]!])
    expect(protocol.parseMessages(both)).toHaveLength(2)
  })

  it.each([
    ['01 00 00', /incomplete frame: 3 byte/],
    ['00 00 00 00', /empty frame/],
    ['01 10 00 00 06', /exceeds the 4096-byte limit/],
    ['05 00 00 00 06', /length 5, only 1 byte/],
    ['01 00 00 00 0A', /unknown message type 10/],
    ['02 00 00 00 06 00', /1 unread byte/],
    ['03 00 00 00 07 00 02', /allowReconnect at offset 6 is 2/],
    ['06 00 00 00 03 01 31 01 01 61', /truncated hasResult/],
    ['0C 00 00 00 03 01 31 01 01 61 01 03 00 00 00 01 90 D1 00', /both an error and a result/],
    ['09 00 00 00 08 FF FF FF FF FF FF FF FF', /sequenceId -1 out of range/],
    ['0B 00 00 00 01 00 01 41 01 00 00 00 00 00 00', /argument length 0/],
    ['0B 00 00 00 01 00 01 41 01 FF 00 00 00 00 00', /argument length 255 .* exceeds/],
    ['09 00 00 00 01 00 01 41 FF FF FF FF 0F', /argument count 4294967295/],
    ['0C 00 00 00 01 00 01 41 01 03 00 00 00 44 05 01 00 00', /declares 5 bytes, the argument holds 1/],
    ['0F 00 00 00 01 00 01 41 01 04 00 00 00 01 90 5F 5F 00 00', /1 trailing byte\(s\) in the argument/],
    ['07 00 00 00 01 00 02 C3 28 00 00', /target at offset 7 is not valid UTF-8/],
  ])('rejects %s with a precise HubProtocolError', (bytes, message) => {
    expect(() => protocol.parseMessages(hex(bytes))).toThrow(HubProtocolError)
    expect(() => protocol.parseMessages(hex(bytes))).toThrow(message)
  })

  it('rejects text input', () => {
    expect(() => protocol.parseMessages('{"type":6}\x1e')).toThrow(/binary protocol/)
  })

  it('writes Uint8Array arguments on the 0x44 fast path and EncodedArg verbatim', () => {
    const bytes = protocol.encode({ type: 1, target: 'X', arguments: [new Uint8Array([9]), new EncodedArg(encodeValue('q'))] } as never)
    expect(Array.from(bytes.subarray(8))).toEqual([2, 3, 0, 0, 0, 0x44, 1, 9, 4, 0, 0, 0, 1, 0x90, 0x68, 0x71, 0, 0])
  })

  it('reads the data argument raw when IsRawBytesData is set, typed through a reviver otherwise', () => {
    const p = new AcBinaryHubProtocol({ types: { Lap: (v) => ({ lap: v }) } })
    const raw = p.parseMessages(p.encode({ type: 1, target: 'OnReceiveMessage', arguments: [1, 2, { IsRawBytesData: true }, [1, 2]] } as never))
    expect((raw[0] as { arguments: unknown[] }).arguments[3]).toEqual(encodeValue([1, 2]))
    const typed = p.parseMessages(p.encode({ type: 1, target: 'OnReceiveMessage', arguments: [1, 2, { SignalDataType: 'Lap' }, 7] } as never))
    expect((typed[0] as { arguments: unknown[] }).arguments[3]).toEqual({ lap: 7 })
  })

  // The fuzz tests: whatever arrives, the decoder returns messages or throws a HubProtocolError,
  // and it always returns (every loop in the decoder is bounded by the bytes left).
  it('fuzz: random bytes never crash the decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        parseOrProtocolError(bytes)
      }),
      { numRuns: 5000 },
    )
  })

  it('fuzz: random payloads behind a correct length prefix never crash the decoder', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.uint8Array({ maxLength: 200 }), (type, body) => {
        const frame = new Uint8Array(5 + body.length)
        new DataView(frame.buffer).setUint32(0, body.length + 1, true)
        frame[4] = type
        frame.set(body, 5)
        parseOrProtocolError(frame)
      }),
      { numRuns: 5000 },
    )
  })

  it('fuzz: mutated valid frames (flips, truncation, splices) never crash the decoder', () => {
    const mutation = fc.record({
      frame: fc.constantFrom(...valid),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      fixLength: fc.boolean(),
    })
    let errors = 0
    fc.assert(
      fc.property(mutation, ({ frame, edits, cut, fixLength }) => {
        let b = frame.slice()
        for (const [at, v] of edits) b[at % b.length] = v
        if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1))
        if (fixLength && b.length >= 4) new DataView(b.buffer, b.byteOffset).setUint32(0, b.length - 4, true)
        if (parseOrProtocolError(b) === 'error') errors++
      }),
      { numRuns: 10000 },
    )
    expect(errors).toBeGreaterThan(1000) // the mutations do reach the error paths
  })
})
