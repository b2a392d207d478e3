import { EventEmitter } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '../../../src/main/core/index.ts'
import type { MessagingEngine } from '../../../src/main/messaging/index.ts'
import { decodeRaw, RpcError, RpcTags } from '../../../src/main/rpc/index.ts'
import { closeClients, connect, rpcOf, startCore, tokenFor, until } from './helpers.ts'

let core: Core
let admin: string
let viewer: string
const timing = Object.assign(new EventEmitter(), { snapshot: () => ({ eventId: 1, sessionName: 'Race', carPositions: [{ number: '7', position: 1 }] }) })
const published: Array<{ topic: string; data: unknown; from: string | null }> = []

beforeAll(async () => {
  core = await startCore()
  admin = await tokenFor(core, 'admin')
  viewer = await tokenFor(core, 'viewer')
  rpcOf(core).attach({ timing })
  // The real message bus: what an RPC publish delivers to a bus subscriber.
  const messaging = core.engines.find((e) => e.name === 'messaging') as MessagingEngine
  messaging.hub.bus.subscribe({ id: 'rpc-test', lastSeq: 0, deliver: (pub) => (published.push({ topic: pub.topic, data: pub.payload, from: pub.from.user }), true) }, 'pit.#')
})
afterAll(async () => {
  await closeClients()
  await core?.stop()
})

const rejection = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError)
    return err as RpcError
  }
  throw new Error('expected the call to fail')
}

// Every tag with the official client, over each of the hub's three protocols.
describe.each(['acbinary', 'json', 'messagepack'] as const)('tag RPC over %s', (protocol) => {
  it('Ping and Echo (parameter and data)', async () => {
    const c = await connect(core, protocol)
    const t = await c.ping()
    expect(Math.abs(t - Date.now())).toBeLessThan(60_000)
    expect(await c.echo({ lap: 12, driver: 'Anna', laps: [1, 2, 3] })).toEqual({ lap: 12, driver: 'Anna', laps: [1, 2, 3] })
    expect(await c.postDataAsync(RpcTags.Echo, ['x', 1, null])).toEqual(['x', 1, null])
  })

  it('CameraGet and CameraSet with the v1 checks, and the CameraChanged broadcast', async () => {
    const anon = await connect(core, protocol)
    const op = await connect(core, protocol, admin)
    const got = await anon.postAsync<{ state: Record<string, unknown>; errors: unknown[] }>(RpcTags.CameraGet, [['brightness', 'nope']])
    expect(Object.keys(got.state)).toEqual(['brightness'])
    expect(got.errors).toEqual([{ error: 'Unknown key', key: 'nope', message: 'No key "nope" in camera API v1' }])
    const refused = await anon.postAsync<{ applied: object; errors: Array<{ error: string }> }>(RpcTags.CameraSet, [{ brightness: 3 }])
    expect(refused.applied).toEqual({})
    expect(refused.errors[0]!.error).toBe('Permission denied')
    const seen: unknown[] = []
    anon.on(RpcTags.CameraChanged, (r) => void seen.push(r.data))
    const zoom = ((got.state.brightness as number) + 7) % 100
    const ok = await op.postAsync<{ applied: Record<string, unknown>; errors: unknown[] }>(RpcTags.CameraSet, [{ brightness: zoom }])
    expect(ok).toEqual({ applied: { brightness: zoom }, errors: [] })
    await until(() => seen.some((s) => (s as { brightness?: number }).brightness === zoom), 'the camera broadcast')
    const bad = await op.postAsync<{ errors: Array<{ error: string }> }>(RpcTags.CameraSet, [{ brightness: 'far' }])
    expect(bad.errors[0]!.error).toBe('Invalid value')
  })

  it('TimingSnapshot and TimingSubscribe (patches only to subscribers, until unsubscribed)', async () => {
    const a = await connect(core, protocol)
    const b = await connect(core, protocol)
    expect(await a.postAsync(RpcTags.TimingSnapshot)).toEqual(timing.snapshot())
    const got: unknown[] = []
    const other: unknown[] = []
    a.on(RpcTags.TimingCarPatch, (r) => void got.push(r.data))
    b.on(RpcTags.TimingCarPatch, (r) => void other.push(r.data))
    expect(await a.postAsync(RpcTags.TimingSubscribe)).toBe(true)
    timing.emit('cars', [{ number: '7', lastLapTime: '01:02.345' }])
    await until(() => got.length === 1, 'a car patch')
    expect(got[0]).toEqual([{ number: '7', lastLapTime: '01:02.345' }])
    expect(await a.postAsync(RpcTags.TimingSubscribe, false)).toBe(false)
    timing.emit('cars', [{ number: '8' }])
    expect(await a.ping()).toBeGreaterThan(0) // anything sent before this answer has arrived
    expect(got).toHaveLength(1)
    expect(other).toHaveLength(0)
  })

  it('MessagingPublish needs a login; the publisher is the logged-in user', async () => {
    const anon = await connect(core, protocol)
    expect((await rejection(anon.postAsync(RpcTags.MessagingPublish, ['pit.board', 'BOX']))).code).toBe('unauthenticated')
    const c = await connect(core, protocol, admin)
    const r = await c.postAsync<{ messageId: string; recipients: number }>(RpcTags.MessagingPublish, ['pit.board', 'BOX'])
    expect(r.messageId).toMatch(/\S+/)
    await until(() => published.some((p) => p.data === 'BOX' && p.topic === 'pit.board'), 'the bus delivery')
    expect(published.at(-1)).toEqual({ topic: 'pit.board', data: 'BOX', from: 'rpc-admin' })
    published.length = 0
    expect((await rejection(c.postAsync(RpcTags.MessagingPublish, ['bad topic!', 1]))).message).toMatch(/parameter 0 \(topic\).*invalid topic level/)
    expect((await rejection(c.postAsync(RpcTags.MessagingPublish, ['timing.fake', 1]))).code).toBe('forbidden')
  })

  it('the five run plan CRUD tags, with broadcasts to the other clients', async () => {
    const a = await connect(core, protocol, admin)
    const b = await connect(core, protocol, admin)
    const seen: Array<{ tag: number; data: unknown }> = []
    b.on(RpcTags.RunPlanAdded, (r) => void seen.push({ tag: r.tag, data: r.data }))
    b.on(RpcTags.RunPlanUpdated, (r) => void seen.push({ tag: r.tag, data: r.data }))
    b.on(RpcTags.RunPlanRemoved, (r) => void seen.push({ tag: r.tag, data: r.data }))
    const added = await a.postDataAsync<{ rev: number; item: { id: string; version: number; driver: string } }>(RpcTags.RunPlanAdd, { kind: 'stint', driver: 'Anna', laps: 30 })
    expect(added.item).toMatchObject({ kind: 'stint', driver: 'Anna', laps: 30, version: 1, updatedBy: 'rpc-admin' })
    const one = await a.getByIdAsync<{ id: string }>(RpcTags.RunPlanGetItem, added.item.id)
    expect(one).toEqual(added.item)
    const updated = await a.postDataAsync<{ rev: number; item: { version: number; driver: string } }>(RpcTags.RunPlanUpdate, { id: added.item.id, version: 1, driver: 'Ben' })
    expect(updated.item).toMatchObject({ driver: 'Ben', version: 2 })
    expect((await rejection(a.postDataAsync(RpcTags.RunPlanUpdate, { id: added.item.id, version: 1, driver: 'Cy' }))).code).toBe('conflict')
    const all = await a.getAllAsync<{ rev: number; items: Array<{ id: string }> }>(RpcTags.RunPlanGetAll)
    expect(all.items.find((i) => i.id === added.item.id)).toMatchObject({ driver: 'Ben' })
    const removed = await a.postAsync<{ kind: string; id: string }>(RpcTags.RunPlanRemove, [added.item.id])
    expect(removed).toMatchObject({ kind: 'removed', id: added.item.id })
    expect((await rejection(a.getByIdAsync(RpcTags.RunPlanGetItem, added.item.id))).code).toBe('not_found')
    await until(() => seen.length === 3, 'three broadcasts')
    expect(seen.map((s) => s.tag)).toEqual([RpcTags.RunPlanAdded, RpcTags.RunPlanUpdated, RpcTags.RunPlanRemoved])
    // A viewer may read but not write.
    const v = await connect(core, protocol, viewer)
    expect((await v.getAllAsync<{ rev: number }>(RpcTags.RunPlanGetAll)).rev).toBe(removed && all.rev + 1)
    expect((await rejection(v.postDataAsync(RpcTags.RunPlanAdd, { kind: 'note' }))).code).toBe('forbidden')
  })

  it('bad input: unknown tag, wrong parameter types, missing and extra parameters, oversized payloads', async () => {
    const c = await connect(core, protocol, admin)
    const e1 = await rejection(c.postAsync(4242))
    expect([e1.code, e1.message]).toEqual(['unknown_tag', 'unknown tag 4242'])
    const e2 = await rejection(c.postAsync(RpcTags.RunPlanGetItem, 17))
    expect(e2.code).toBe('invalid_params')
    expect(e2.message).toMatch(/parameter 0 \(id\) of RunPlanGetItem: .*expected string/i)
    const e3 = await rejection(c.postAsync(RpcTags.RunPlanGetItem))
    expect([e3.code, e3.message]).toEqual(['missing_parameter', 'parameter 0 (id) of RunPlanGetItem (tag 1301) is required'])
    const e4 = await rejection(c.postAsync(RpcTags.RunPlanGetItem, ['a', 'b']))
    expect(e4.code).toBe('too_many_parameters')
    const e5 = await rejection(c.postDataAsync(RpcTags.RunPlanAdd, { kind: 'lunch' }))
    expect(e5.code).toBe('invalid_data')
    expect(e5.message).toMatch(/kind/)
    const e6 = await rejection(c.postDataAsync(RpcTags.RunPlanAdd, { kind: 'note', note: 'x'.repeat(300_000) }))
    expect(e6.code).toBe('payload_too_large')
    const e7 = await rejection(c.postAsync(RpcTags.Echo, ['y'.repeat(300_000)]))
    expect(e7.code).toBe('payload_too_large')
    // Trailing optional parameters take their defaults: TimingSubscribe() = subscribe.
    expect(await c.postAsync(RpcTags.TimingSubscribe)).toBe(true)
    // The connection survived all of it.
    expect(await c.echo('still here')).toBe('still here')
  })
})

describe('acbinary specifics', () => {
  it('answers raw bytes on request (IsRawBytesData) and byte arrays on the 0x44 fast path', async () => {
    const c = await connect(core, 'acbinary')
    const raw = await c.postAsync<Uint8Array>(RpcTags.Echo, [{ a: 1 }], { raw: true })
    expect(raw).toBeInstanceOf(Uint8Array)
    expect(decodeRaw(raw)).toEqual({ a: 1 })
    const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef])
    expect(await c.postDataAsync(RpcTags.Echo, bytes)).toEqual(bytes)
  })

  it('answers in JsonGZip when asked', async () => {
    const c = await connect(core, 'acbinary')
    const r = await c.postAsync(RpcTags.Echo, [{ lap: 1, name: 'gzip' }], { serializer: 'JsonGZip' })
    expect(r).toEqual({ lap: 1, name: 'gzip' })
  })

  it('callback and fire-and-forget styles', async () => {
    const c = await connect(core, 'acbinary')
    const got: unknown[] = []
    await c.postDataAsync(RpcTags.Echo, 'cb', async (r) => {
      await new Promise((res) => setTimeout(res, 1))
      got.push(r.data)
    })
    await c.postDataAsync(RpcTags.Echo, 'sync', (r) => void got.push(r.data))
    await c.postDataAsync(4243, 'err', (r) => void got.push(r.error?.code))
    await until(() => got.length === 3, 'three callbacks')
    expect(got.sort()).toEqual(['cb', 'sync', 'unknown_tag'].sort())
  })

  it('a request with no answer times out with the configured timeout', async () => {
    const c = await connect(core, 'acbinary', admin, { timeoutMs: 200 })
    // CameraSet while the device does not answer: no reply within the client's 200 ms.
    // The default device is the in-process PCP emulator; make it stop answering.
    const sim = (core.engines.find((e) => e.name === 'device') as unknown as { controller: { simDevice: { fault: { kind: string } } } }).controller.simDevice
    sim.fault = { kind: 'silent' }
    try {
      const e = await rejection(c.postAsync(RpcTags.CameraSet, [{ brightness: 2 }]))
      expect([e.code, e.message]).toEqual(['timeout', expect.stringMatching(/no answer to tag 1001 .* within 200 ms/)])
      expect(c.pendingCount).toBe(0)
    } finally {
      sim.fault = { kind: 'none' }
    }
  })

  it('a malformed frame closes only that connection, with a protocol error', async () => {
    const good = await connect(core, 'acbinary')
    const bad = await connect(core, 'acbinary')
    const closed = new Promise<Error | undefined>((r) => bad.connection.onclose((e) => r(e)))
    // Reach under the client: send a truncated frame on its WebSocket.
    const transport = (bad.connection as unknown as { connection: { transport: { _webSocket: { send(b: Uint8Array): void } } } }).connection.transport
    transport._webSocket.send(new Uint8Array([0x10, 0, 0, 0, 1, 0]))
    const err = await closed
    expect(String(err)).toMatch(/incomplete frame/)
    expect(await good.echo(1)).toBe(1)
  })
})

describe('timing tags on the real timing store (generated race)', () => {
  it('TimingSnapshot has the generated cars; a subscriber gets live car patches', async () => {
    const live = await startCore({ timing: { source: 'generator', generatorCars: 12 } })
    try {
      const c = await connect(live, 'acbinary')
      let snap: { carPositions: Array<{ number: string }> } = { carPositions: [] }
      const end = Date.now() + 10_000
      while (snap.carPositions.length === 0 && Date.now() < end) {
        snap = await c.postAsync(RpcTags.TimingSnapshot)
        if (snap.carPositions.length === 0) await new Promise((r) => setTimeout(r, 100))
      }
      expect(snap.carPositions.length).toBeGreaterThan(0)
      const patches: Array<Array<{ number: string }>> = []
      c.on(RpcTags.TimingCarPatch, (r) => void patches.push(r.data as Array<{ number: string }>))
      await c.postAsync(RpcTags.TimingSubscribe)
      await until(() => patches.length > 0, 'a live car patch', 15_000)
      expect(typeof patches[0]![0]!.number).toBe('string')
    } finally {
      await live.stop()
    }
  }, 30_000)
})

describe('other transports', () => {
  it.each([
    ['LongPolling', 'acbinary'],
    ['LongPolling', 'messagepack'],
    ['ServerSentEvents', 'json'],
  ] as const)('%s with %s: calls, errors and broadcasts', async (transport, protocol) => {
    const c = await connect(core, protocol, admin, { transport })
    expect(await c.echo({ over: transport })).toEqual({ over: transport })
    expect((await rejection(c.postAsync(4242))).code).toBe('unknown_tag')
    const other = await connect(core, 'acbinary', admin)
    const seen: unknown[] = []
    c.on(RpcTags.RunPlanAdded, (r) => void seen.push(r.data))
    await other.postDataAsync(RpcTags.RunPlanAdd, { kind: 'note', note: transport })
    await until(() => seen.length > 0, 'the broadcast over ' + transport)
    expect(seen[0]).toMatchObject({ kind: 'added', item: { note: transport } })
  })
})

it('a parameter that cannot be encoded fails the call at once, nothing left pending', async () => {
  const c = await connect(core, 'acbinary')
  const e = await rejection(c.postAsync(RpcTags.Echo, [() => 1]))
  expect([e.code, e.message]).toEqual(['invalid_params', 'cannot encode the parameters of tag 90002: cannot encode a function'])
  expect(c.pendingCount).toBe(0)
})

it('data that cannot be encoded fails the call at once, nothing left pending', async () => {
  const c = await connect(core, 'acbinary')
  const e = await rejection(c.postDataAsync(RpcTags.Echo, { when: new (class Lap {})() }))
  expect(e.code).toBe('invalid_data')
  expect(e.message).toMatch(/cannot encode the data of tag 90002: .*Lap/)
  expect(c.pendingCount).toBe(0)
  expect(await c.echo('fine')).toBe('fine')
})
