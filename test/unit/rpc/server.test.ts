import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Principal } from '../../../src/shared/auth.ts'
import { defineTag, EncodedArg, encodeValue, packParameters, RpcServer, type RpcPeer, type SendToClientType, type SignalParams, signalParams, signalParamsWire } from '../../../src/main/rpc/index.ts'

interface Sent {
  tag: number
  requestId: number | null
  params: SignalParams
  data: unknown
}

function peer(id: string, principal: Principal = { username: 'u', role: 'operator' }): RpcPeer & { sent: Sent[] } {
  const sent: Sent[] = []
  return { id, principal, sent, send: (tag, requestId, params, data) => void sent.push({ tag, requestId, params, data }) }
}

const server = () => new RpcServer({ anonymousRead: true, maxPayloadBytes: 1024, maxInFlight: 2 })
const req = (params: unknown[], extra: Partial<SignalParams> = {}) => signalParamsWire(signalParams({ Status: 0, Parameters: packParameters(params), ...extra }))

describe('RpcServer dispatch', () => {
  it.each<[SendToClientType, string[]]>([
    ['None', []],
    ['Others', ['b', 'c']],
    ['Caller', ['a']],
    ['All', ['a', 'b', 'c']],
  ])('broadcasts under the send-to-others tag to %s', async (to, expected) => {
    const s = server()
    const [a, b, c] = [peer('a'), peer('b'), peer('c')]
    for (const p of [a, b, c]) s.connect(p)
    s.register(defineTag({ tag: 10, name: 'Inc', permission: null, params: [z.number()], sendToOthers: { tag: 11, to }, handle: ([n]) => n + 1 }))
    await s.receive(a, 10, 1, req([41]), null)
    expect(a.sent[0]).toMatchObject({ tag: 10, requestId: 1, data: 42, params: { Status: 1, SignalDataType: 'int' } })
    const got = [a, b, c].filter((p) => p.sent.some((m) => m.tag === 11 && m.requestId === null && m.data === 42)).map((p) => p.id)
    expect(got).toEqual(expected)
  })

  it('decodes parameters one by one, defaults trailing optional ones, refuses a missing required one', async () => {
    const s = server()
    const a = peer('a')
    s.connect(a)
    s.register(defineTag({ tag: 1, name: 'F', permission: null, params: [z.string(), z.number().default(7), z.boolean().optional()], paramNames: ['name', 'n', 'flag'], handle: (args) => args }))
    await s.receive(a, 1, 1, req(['x']), null)
    expect(a.sent[0]!.data).toEqual(['x', 7, undefined])
    await s.receive(a, 1, 2, req(['x', 3, true]), null)
    expect(a.sent[1]!.data).toEqual(['x', 3, true])
    await s.receive(a, 1, 3, req([]), null)
    expect(a.sent[2]).toMatchObject({ requestId: 3, params: { Status: 0, SignalDataType: 'RpcError' }, data: { code: 'missing_parameter', message: 'parameter 0 (name) of F (tag 1) is required' } })
    await s.receive(a, 1, 4, req(['x', 'y']), null)
    expect(a.sent[3]!.data).toMatchObject({ code: 'invalid_params', message: expect.stringMatching(/^parameter 1 \(n\) of F: .*number/) })
  })

  it('answers every malformed request precisely and keeps going', async () => {
    const s = server()
    const a = peer('a')
    s.connect(a)
    s.register(defineTag({ tag: 1, name: 'D', permission: null, data: z.object({ x: z.number() }), handle: (_a, d) => d }))
    const codeOf = async (tag: unknown, params: unknown, data: unknown) => {
      await s.receive(a, tag, 9, params, data)
      return (a.sent.at(-1)!.data as { code: string }).code
    }
    expect(await codeOf('1', req([]), null)).toBe('unknown_tag')
    expect(await codeOf(1, 'nope', null)).toBe('bad_signal_params')
    expect(await codeOf(1, { Status: 3 }, null)).toBe('bad_signal_params')
    expect(await codeOf(1, { Parameters: new Uint8Array([1, 0x90, 0x42, 1, 0xd1]) }, null)).toBe('bad_signal_params')
    expect(await codeOf(1, {}, new EncodedArg(new Uint8Array([1, 0x90, 0x40, 5])))).toBe('invalid_data')
    expect(await codeOf(1, {}, new EncodedArg(encodeValue({ x: 'no' })))).toBe('invalid_data')
    expect(await codeOf(1, {}, new EncodedArg(encodeValue({ x: 'z'.repeat(2000) })))).toBe('payload_too_large')
    expect(await codeOf(1, {}, null)).toBe('missing_parameter')
    await s.receive(a, 1, 10, {}, new EncodedArg(encodeValue({ x: 5 })))
    expect(a.sent.at(-1)).toMatchObject({ requestId: 10, data: { x: 5 }, params: { Status: 1 } })
  })

  it('checks permissions: anonymous → unauthenticated, a role without it → forbidden', async () => {
    const s = server()
    const anon = peer('n', { username: null, role: 'guest' })
    const viewer = peer('v', { username: 'v', role: 'viewer' })
    s.connect(anon)
    s.connect(viewer)
    s.register(defineTag({ tag: 1, name: 'W', permission: 'Timing_rw', handle: () => 1 }))
    await s.receive(anon, 1, 1, {}, null)
    await s.receive(viewer, 1, 1, {}, null)
    expect((anon.sent[0]!.data as { code: string }).code).toBe('unauthenticated')
    expect((viewer.sent[0]!.data as { code: string }).code).toBe('forbidden')
  })

  it('bounds the requests in flight per connection', async () => {
    const s = server()
    const a = peer('a')
    s.connect(a)
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    s.register(defineTag({ tag: 1, name: 'Slow', permission: null, handle: () => gate }))
    const calls = [s.receive(a, 1, 1, {}, null), s.receive(a, 1, 2, {}, null), s.receive(a, 1, 3, {}, null)]
    await calls[2]
    expect(a.sent[0]).toMatchObject({ requestId: 3, data: { code: 'limit_reached' } })
    release()
    await Promise.all(calls)
    expect(a.sent.map((m) => m.requestId).sort()).toEqual([1, 2, 3])
  })
})
