import { Decoder, encode } from '@msgpack/msgpack'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MessagePackHubProtocol as ClientMsgPack } from '@microsoft/signalr-protocol-msgpack'
import { JsonHubProtocol as ClientJson, NullLogger } from '@microsoft/signalr'
import {
  frameVarInt,
  type HubMessage,
  HubProtocolError,
  JsonHubProtocol,
  MessagePackHubProtocol,
  parseHandshake,
  splitVarIntFrames,
  writeHandshakeResponse,
} from '../../../src/main/signalr/index.ts'

const json = new JsonHubProtocol()
const mp = new MessagePackHubProtocol()
const clientJson = new ClientJson()
const clientMp = new ClientMsgPack()

const value = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown)
const id = fc.string({ minLength: 1, maxLength: 8 })
const headers = fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }), { nil: undefined })
const message: fc.Arbitrary<HubMessage> = fc.oneof(
  fc.record({ type: fc.constant(1 as const), invocationId: fc.option(id, { nil: undefined }), target: id, arguments: fc.array(value, { maxLength: 4 }) }, { requiredKeys: ['type', 'target', 'arguments'] }),
  fc.record({ type: fc.constant(4 as const), invocationId: id, target: id, arguments: fc.array(value, { maxLength: 4 }), streamIds: fc.array(id, { minLength: 1, maxLength: 2 }) }),
  fc.record({ type: fc.constant(2 as const), invocationId: id, item: value }),
  fc.record({ type: fc.constant(3 as const), invocationId: id, result: value }),
  fc.record({ type: fc.constant(3 as const), invocationId: id, error: fc.string({ minLength: 1 }) }), // the client writes error '' as void
  fc.record({ type: fc.constant(3 as const), invocationId: id }),
  fc.record({ type: fc.constant(5 as const), invocationId: id }),
  fc.constant({ type: 6 as const }),
  fc.record({ type: fc.constant(7 as const), error: fc.option(fc.string(), { nil: undefined }), allowReconnect: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant(8 as const), sequenceId: fc.nat() }),
  fc.record({ type: fc.constant(9 as const), sequenceId: fc.nat() }),
)
const withHeaders = fc.tuple(message, headers).map(([m, h]) => (h && Object.keys(h).length && m.type >= 1 && m.type <= 5 ? ({ ...m, headers: h } as HubMessage) : m))

/** Drops undefined-valued keys so structural comparison matches what went over the wire. */
const clean = (m: HubMessage) => {
  const o = JSON.parse(JSON.stringify(m)) as Record<string, unknown>
  if (o.headers && Object.keys(o.headers).length === 0) delete o.headers // the client reports empty headers as {}
  if (o.error === null) delete o.error // ... and a Close without error as error: null
  if (Array.isArray(o.streamIds) && o.streamIds.length === 0) delete o.streamIds // ... and no streams as []
  return o
}

describe('JSON protocol', () => {
  it('round-trips every hub message, several per transport message', () => {
    fc.assert(
      fc.property(fc.array(withHeaders, { minLength: 1, maxLength: 4 }), (msgs) => {
        const bytes = Buffer.concat(msgs.map((m) => json.write(m)))
        expect(json.parse(bytes).map(clean)).toEqual(msgs.map(clean))
      }),
    )
  })

  it('writes what the official client parses', () => {
    fc.assert(
      fc.property(withHeaders, (m) => {
        if (m.type === 4 || m.type === 5) return // server-bound only: the client ignores them
        const parsed = clientJson.parseMessages(Buffer.from(json.write(m)).toString('utf8'), NullLogger.instance)
        expect(parsed.map((x) => clean(x as HubMessage))).toEqual([clean(m)])
      }),
    )
  })

  it('throws HubProtocolError for garbage, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          json.parse(bytes)
        } catch (err) {
          expect(err).toBeInstanceOf(HubProtocolError)
        }
      }),
    )
    expect(() => json.parse(Buffer.from('{"type":3,"invocationId":"1","result":1,"error":"x"}\x1e'))).toThrow('mutually exclusive')
    expect(() => json.parse(Buffer.from('{"type":8,"sequenceId":-1}\x1e'))).toThrow('sequenceId')
    expect(() => json.parse(Buffer.from('{"type":2,"invocationId":"1"}\x1e'))).toThrow("Missing required property 'item'")
  })
})

describe('MessagePack protocol', () => {
  it('round-trips every hub message', () => {
    fc.assert(
      fc.property(fc.array(withHeaders, { minLength: 1, maxLength: 4 }), (msgs) => {
        const bytes = Buffer.concat(msgs.map((m) => mp.write(m)))
        const back = mp.parse(bytes).map(clean)
        // A null result travels as a value, undefined as void: same JSON view.
        expect(back).toEqual(msgs.map(clean))
      }),
    )
  })

  it('writes what the official client parses, and parses what it writes', () => {
    fc.assert(
      fc.property(withHeaders, (m) => {
        if (m.type !== 4 && m.type !== 5) {
          const parsed = clientMp.parseMessages(mp.write(m).slice().buffer, NullLogger.instance)
          expect(parsed.map((x) => clean(x as HubMessage))).toEqual([clean(m)])
        }
        // The client writes Close without its error (by design); everything else must read back.
        if (m.type !== 7) {
          const written = new Uint8Array(clientMp.writeMessage(m as never))
          expect(mp.parse(written).map(clean)).toEqual([clean(m)])
        }
      }),
    )
  })

  it('encodes Ping as 02 91 06 and binary arguments as bin', () => {
    expect([...mp.write({ type: 6 })]).toEqual([0x02, 0x91, 0x06])
    const bytes = mp.write({ type: 1, target: 'T', arguments: [new Uint8Array([1, 2, 3])] })
    const decoded = new Decoder().decode(splitVarIntFrames(bytes)[0]!) as unknown[]
    expect(decoded[4]).toEqual([new Uint8Array([1, 2, 3])])
  })

  it('VarInt framing: lengths over 127 use two bytes; truncation and bad prefixes throw', () => {
    const body = new Uint8Array(300)
    const framed = frameVarInt(body)
    expect([...framed.subarray(0, 2)]).toEqual([0xac, 0x02])
    expect(splitVarIntFrames(framed)[0]!.length).toBe(300)
    expect(() => splitVarIntFrames(framed.subarray(0, 100))).toThrow('Message is incomplete.')
    expect(() => splitVarIntFrames(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow('2GB')
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          mp.parse(bytes)
        } catch (err) {
          expect(err).toBeInstanceOf(HubProtocolError)
        }
      }),
    )
    expect(() => mp.parse(frameVarInt(encode([3, {}, '1', 9])))).toThrow('unknown result kind')
  })
})

describe('handshake', () => {
  it('parses a request, keeps what follows, and waits for the separator', () => {
    const bytes = Buffer.concat([Buffer.from('{"protocol":"messagepack","version":2}\x1e'), Buffer.from([0x02, 0x91, 0x06])])
    const r = parseHandshake(bytes)!
    expect(r.request).toEqual({ protocol: 'messagepack', version: 2 })
    expect([...r.rest]).toEqual([0x02, 0x91, 0x06])
    expect(parseHandshake(Buffer.from('{"protocol":"json"'))).toBeUndefined()
    expect(() => parseHandshake(Buffer.from('[]\x1e'))).toThrow('JSON object')
    expect(() => parseHandshake(Buffer.from('{"protocol":"json","version":"1"}\x1e'))).toThrow("'version'")
    expect(writeHandshakeResponse()).toBe('{}\x1e')
    expect(writeHandshakeResponse('no')).toBe('{"error":"no"}\x1e')
  })
})
