import { describe, expect, it } from 'vitest'
import { InProcessBackplane, InProcessHub, MessageBus } from '../../../src/main/messaging/index.ts'
import { buildBinary, parseBinary } from '../../../src/main/messaging/binary.ts'
import { TokenBucket } from '../../../src/main/messaging/limits.ts'
import type { BusSubscriber, Publication } from '../../../src/main/messaging/types.ts'

const pub = (topic: string, payload: unknown, origin = 'i1'): Publication => ({ kind: 'broadcast', topic, payload, messageId: 'm', sentAt: 0, from: { user: 'u', dialect: 'server' }, priority: 'normal', origin, wire: {} })
const sub = (id: string, got: unknown[]): BusSubscriber => ({ id, lastSeq: 0, deliver: (p) => (got.push(p.payload), true) })

describe('binary frames', () => {
  it('round-trips and reports length mismatches and unknown types precisely', () => {
    const f = buildBinary(0x03, 'files.x', new Uint8Array([1, 2, 3]))
    expect(parseBinary(f)).toMatchObject({ ok: true, code: 3, type: 'file_transfer', address: 'files.x' })
    const bad = Buffer.from(f)
    bad.writeUInt32BE(2, 1)
    expect(parseBinary(bad)).toMatchObject({ ok: false, details: { declared: 2, actual: f.length - 5 } })
    expect(parseBinary(Buffer.from([0x07, 0, 0, 0, 0]))).toMatchObject({ ok: false, details: { type: 7 } })
    expect(parseBinary(Buffer.from([0x01, 0, 0]))).toMatchObject({ ok: false })
    expect(parseBinary(Buffer.from([0x01, 0, 0, 0, 1, 0]))).toMatchObject({ ok: false }) // empty address
  })
})

describe('token bucket', () => {
  it('allows the burst, then the rate, with a retry hint', () => {
    const b = new TokenBucket(100, 200, 0)
    let ok = 0
    for (let i = 0; i < 250; i++) if (b.take(0) === 0) ok++
    expect(ok).toBe(200)
    expect(b.take(0)).toBe(10) // one token every 10 ms
    expect(b.take(50)).toBe(0) // 5 tokens later
  })
})

describe('bus', () => {
  it('delivers once per subscriber despite overlapping filters, skips the excluded one', () => {
    const bus = new MessageBus({ instanceId: 'i1', backplane: new InProcessBackplane() })
    const a: unknown[] = []
    const b: unknown[] = []
    const sa = sub('a', a)
    const sb = sub('b', b)
    for (const f of ['x.y', 'x.*', '#', 'x.#']) bus.subscribe(sa, f)
    bus.subscribe(sb, 'x.y')
    expect(bus.publish(pub('x.y', 1))).toBe(2)
    expect(bus.publish(pub('x.y', 2), sb)).toBe(1)
    expect(a).toEqual([1, 2])
    expect(b).toEqual([1])
    expect(bus.unsubscribe(sa, 'x.*')).toBe(true)
    expect(bus.unsubscribe(sa, 'x.*')).toBe(false)
    bus.unsubscribeAll(sa)
    expect(bus.publish(pub('x.y', 3))).toBe(1)
    expect(() => bus.subscribe(sa, 'a..b')).toThrow()
  })

  it('routes publications to other instances through the backplane, in order, never echoing back', async () => {
    const hub = new InProcessHub()
    const bp1 = new InProcessBackplane(hub)
    const bp2 = new InProcessBackplane(hub)
    const bus1 = new MessageBus({ instanceId: 'i1', backplane: bp1 })
    const bus2 = new MessageBus({ instanceId: 'i2', backplane: bp2 })
    await Promise.all([bp1.start(), bp2.start()])
    const got1: unknown[] = []
    const got2: unknown[] = []
    bus1.subscribe(sub('s1', got1), 'chat.#')
    bus2.subscribe(sub('s2', got2), 'chat.#')
    for (let i = 0; i < 5; i++) bus1.publish(pub('chat.a', i))
    expect(got1).toEqual([0, 1, 2, 3, 4])
    expect(got2).toEqual([0, 1, 2, 3, 4])
    bus2.publish(pub('chat.b', 'back', 'i2'))
    expect(got1.at(-1)).toBe('back')
    expect(got2.filter((x) => x === 'back')).toHaveLength(1)
    await bp2.stop()
    bus1.publish(pub('chat.a', 'after'))
    expect(got2.at(-1)).toBe('back')
  })
})
