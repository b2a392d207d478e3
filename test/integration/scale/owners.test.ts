import { HttpTransportType } from '@microsoft/signalr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CameraEngine } from '../../../src/main/camera/index.ts'
import { RpcClient, RpcTags } from '../../../src/main/rpc/index.ts'
import type { TimingEngine } from '../../../src/main/timing/index.ts'
import { RedisServer, waitFor } from '../../helpers/redis.ts'
import { V1Client, wsUrl } from '../../helpers/v1-client.ts'
import type { TestCore } from '../messaging/helpers.ts'
import { collect, connect, signalR } from '../signalr/helpers.ts'
import { instance } from './cluster.ts'

// A owns the camera controller (sim) and timing (generator); B and C follow it ('remote').

const redis = new RedisServer()
let a: TestCore
let b: TestCore
let c: TestCore
const closers: Array<() => unknown> = []

const camera = (t: TestCore) => t.core.engines.find((e) => e.name === 'camera') as CameraEngine
const timing = (t: TestCore) => t.core.engines.find((e) => e.name === 'timing') as TimingEngine
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const status = async (t: TestCore): Promise<any> => (await fetch(`${t.http}/api/status`)).json()

async function v1(t: TestCore, user?: string, role: 'admin' | 'operator' | 'viewer' = 'operator'): Promise<V1Client> {
  const cl = await V1Client.open(wsUrl(t.http) + (user ? `?token=${await t.token(user, role)}` : ''))
  closers.push(() => cl.close())
  return cl
}

beforeAll(async () => {
  await redis.start()
  a = await instance(redis.url, 'A', { timing: { source: 'generator', generatorCars: 8 }, camera: { commandTimeoutMs: 1500 } })
  ;[b, c] = await Promise.all([
    instance(redis.url, 'B', { timing: { source: 'remote' }, device: { source: 'remote' }, camera: { commandTimeoutMs: 1500 } }),
    instance(redis.url, 'C', { timing: { source: 'remote' }, device: { source: 'remote' }, camera: { commandTimeoutMs: 1500 } }),
  ])
  await waitFor(() => [b, c].every((x) => camera(x).model.link.state === 'connected'), 15_000, 'followers connected to the device owner')
})
afterAll(async () => {
  for (const fn of closers) await fn()
  for (const x of [c, b, a]) await x?.stop().catch(() => undefined)
  await redis.kill()
})

describe('camera and timing across three instances', () => {
  it('/api/status on every instance says which instance owns what', async () => {
    // The registry is refreshed by heartbeats (2 s): wait until every instance has seen A's.
    for (const t of [a, b, c]) await waitFor(async () => (await status(t)).engines.scale?.owners?.timing?.id === a.core.ctx.instanceId, 8000, `owners known on ${t.core.status().name}`)
    for (const t of [a, b, c]) {
      const s = await status(t)
      expect(s.engines.scale.owners).toMatchObject({ device: { id: a.core.ctx.instanceId, name: 'A', self: t === a }, timing: { id: a.core.ctx.instanceId, name: 'A', self: t === a } })
      expect(s.engines.backplane).toMatchObject({ state: 'running', owns: t === a ? expect.arrayContaining(['device', 'timing']) : [] })
    }
    expect((await status(b)).engines.device).toBeUndefined() // no local device on a follower
    expect((await status(b)).engines.camera.detail).toContain('remote controller connected (via A')
  })

  it('v1 clients on any instance see every change and can write; the write is applied by the owner', async () => {
    const onA = await v1(a)
    const onC = await v1(c)
    const writer = await v1(b, 'op-b')
    await writer.next((m) => 'authenticated' in m, 5000)
    writer.send({ brightness: 71 })
    // As on one instance: the sender's confirmation first, then the broadcast.
    expect(await writer.next(undefined, 5000)).toEqual({ brightness: 71, info: ['brightness'] })
    expect(await writer.next(undefined, 5000)).toEqual({ brightness: 71 })
    for (const cl of [onA, onC]) expect(await cl.next((m) => m.brightness === 71, 5000)).toEqual({ brightness: 71 })
    expect(camera(a).model.state.brightness).toBe(71)
    // A change made on the owner reaches the followers' clients.
    const owner = await v1(a, 'op-a')
    owner.send({ contrast: 12 })
    expect(await writer.next((m) => m.contrast === 12 && !('info' in m), 5000)).toEqual({ contrast: 12 })
    expect(await onC.next((m) => m.contrast === 12, 5000)).toEqual({ contrast: 12 })
  })

  it('writes routed to the owner keep the same permissions and per-key errors', async () => {
    const viewer = await v1(c, 'view-c', 'viewer')
    viewer.send({ brightness: 20 })
    expect(await viewer.next((m) => 'error' in m, 5000)).toMatchObject({ error: 'Permission denied', key: 'brightness' })
    const op = await v1(c, 'op-c')
    op.send({ brightness: 101, saturation: 44, bogus: 1 })
    expect(await op.next((m) => 'info' in m, 5000)).toEqual({ saturation: 44, info: ['saturation'] })
    expect(await op.next((m) => m.error === 'Invalid value', 5000)).toMatchObject({ key: 'brightness' })
    expect(await op.next((m) => m.error === 'Unknown key', 5000)).toMatchObject({ key: 'bogus' })
    expect(camera(a).model.state.saturation).toBe(44)
    expect(camera(a).model.state.brightness).not.toBe(101)
  })

  it("the owner's device unplugged: a follower's writes fail with the owner's error, and its link follows", async () => {
    const device = a.core.engines.find((e) => e.name === 'device') as unknown as { controller: { setSimPlugged(p: boolean): void } }
    device.controller.setSimPlugged(false)
    try {
      await waitFor(() => camera(c).model.link.state !== 'connected', 8000, 'link down on C')
      const op = await v1(c, 'op-c2')
      await op.next((m) => 'authenticated' in m, 5000)
      op.send({ fps: 25 })
      expect(await op.next((m) => 'error' in m, 8000)).toMatchObject({ key: 'fps', error: expect.stringMatching(/^Device (unavailable|timeout)$/) })
    } finally {
      device.controller.setSimPlugged(true)
    }
    await waitFor(() => camera(c).model.link.state === 'connected', 10_000, 'link back on C')
  })

  it("the followers' timing stores mirror the owner's, and the RedMist hub on C pushes its patches", async () => {
    await waitFor(() => timing(a).store.cars.size === 8 && timing(c).store.cars.size === 8 && timing(b).store.cars.size === 8, 10_000, 'cars mirrored')
    expect(timing(c).source).toMatchObject({ kind: 'remote', state: 'live' })
    const hub = new signalR.HubConnectionBuilder()
      .withUrl(`${c.http}/status/event-status`, { transport: HttpTransportType.WebSockets, skipNegotiation: true })
      .configureLogging(signalR.LogLevel.None)
      .build()
    await hub.start()
    closers.push(() => hub.stop())
    const patches = collect<Array<Record<string, unknown>>>(hub, 'ReceiveCarPatches', 1, 10_000)
    await hub.invoke('SubscribeToEventV2', a.core.ctx.config.timing.eventId)
    const [first] = await patches
    expect(Array.isArray(first)).toBe(true)
    // Same race everywhere (positions may move between reads: compare at one instant with a retry).
    await waitFor(() => {
      const sa = JSON.stringify(timing(a).store.snapshot().carPositions.map((x) => [x.number, x.lastLapCompleted]))
      return sa === JSON.stringify(timing(c).store.snapshot().carPositions.map((x) => [x.number, x.lastLapCompleted]))
    }, 5000, 'same laps on A and C')
  })

  it('tag-RPC broadcasts reach RPC clients on every instance, and RPC writes on a follower go to the owner', async () => {
    const rc = new RpcClient({ url: `${c.http}/hubs/rpc`, protocol: 'acbinary' })
    await rc.start()
    closers.push(() => rc.stop())
    const seen: unknown[] = []
    rc.on(RpcTags.CameraChanged, (r) => void seen.push(r.data))
    const writer = await v1(b, 'op-b2')
    writer.send({ sharpness: 63 })
    await waitFor(() => seen.some((x) => (x as { sharpness?: number }).sharpness === 63), 5000, 'CameraChanged on C')
    const op = new RpcClient({ url: `${b.http}/hubs/rpc`, protocol: 'acbinary', accessTokenFactory: async () => b.token('op-rpc') })
    await op.start()
    closers.push(() => op.stop())
    const r = await op.postAsync<{ applied: Record<string, unknown>; errors: unknown[] }>(RpcTags.CameraSet, [{ sharpness: 64 }])
    expect(r.applied).toEqual({ sharpness: 64 })
    await waitFor(() => camera(a).model.state.sharpness === 64, 5000, 'applied on A')
  })

  it('the run plan is shared: a change on one instance reaches RPC clients and the store on every other', async () => {
    const onC = new RpcClient({ url: `${c.http}/hubs/rpc`, protocol: 'acbinary' })
    await onC.start()
    closers.push(() => onC.stop())
    const seen: number[] = []
    for (const tag of [RpcTags.RunPlanAdded, RpcTags.RunPlanUpdated, RpcTags.RunPlanRemoved]) onC.on(tag, (r) => void seen.push(r.tag))
    const onA = new RpcClient({ url: `${a.http}/hubs/rpc`, protocol: 'acbinary', accessTokenFactory: async () => a.token('plan-a') })
    await onA.start()
    closers.push(() => onA.stop())
    const added = await onA.postDataAsync<{ item: { id: string; version: number } }>(RpcTags.RunPlanAdd, { kind: 'stint', driver: 'Anna', laps: 30 })
    const rpcB = () => b.core.engines.find((e) => e.name === 'rpc') as unknown as { runPlan: { list(): { items: Array<{ id: string; driver: string; version: number }> } } }
    await waitFor(() => rpcB().runPlan.list().items.some((i) => i.id === added.item.id), 5000, 'item on B')
    // An update made on B (UI API path) wins everywhere, with its version.
    const b2 = b.core.engines.find((e) => e.name === 'rpc') as unknown as { runPlan: { update(i: object, by: string, origin: string): unknown; remove(id: string, v: undefined, origin: string): unknown } }
    b2.runPlan.update({ id: added.item.id, version: 1, driver: 'Ben' }, 'someone', 'ui')
    const rpcA = () => a.core.engines.find((e) => e.name === 'rpc') as unknown as { runPlan: { list(): { items: Array<{ id: string; driver: string; version: number }> } } }
    await waitFor(() => rpcA().runPlan.list().items.find((i) => i.id === added.item.id)?.driver === 'Ben', 5000, 'update on A')
    b2.runPlan.remove(added.item.id, undefined, 'ui')
    await waitFor(() => seen.length === 3, 5000, 'three run plan broadcasts on C')
    expect(seen).toEqual([RpcTags.RunPlanAdded, RpcTags.RunPlanUpdated, RpcTags.RunPlanRemoved])
    expect(rpcA().runPlan.list().items.some((i) => i.id === added.item.id)).toBe(false)
  })

  it('SignalR groups, users and all reach connections on every instance', async () => {
    const combo = { transport: 'WebSockets', protocol: 'json' } as const
    const [ta, tb, tc] = [await a.token('sig-a'), await b.token('sig-b'), await c.token('sig-c')]
    const ca = await connect(`${a.http}/hubs/diag`, combo, { token: ta })
    const cb = await connect(`${b.http}/hubs/diag`, combo, { token: tb })
    const cc = await connect(`${c.http}/hubs/diag`, combo, { token: tc })
    closers.push(() => ca.stop(), () => cb.stop(), () => cc.stop())
    await ca.invoke('Join', 'pit')
    await cc.invoke('Join', 'pit')
    const gotA = collect(ca, 'Receive', 1)
    const gotC = collect(cc, 'Receive', 1)
    await cb.invoke('SendToGroup', 'pit', { msg: 'box' })
    expect(await gotA).toEqual([{ msg: 'box' }])
    expect(await gotC).toEqual([{ msg: 'box' }])
    // all / user sends made by app code on one instance
    const all = [ca, cb, cc].map((x) => collect(x, 'Notice', 1))
    b.core.ctx.signalr.hub('/hubs/diag')!.all.send('Notice', 'all-from-B')
    expect(await Promise.all(all)).toEqual([['all-from-B'], ['all-from-B'], ['all-from-B']])
    const mine = collect(ca, 'Personal', 1)
    c.core.ctx.signalr.hub('/hubs/diag')!.user('sig-a').send('Personal', 'for sig-a')
    expect(await mine).toEqual(['for sig-a'])
  })
})

describe('misconfiguration', () => {
  it('two processes with one instance id (a copied data dir) are reported', async () => {
    const bp = c.core.ctx.backplane!
    const fake = JSON.stringify({ id: bp.instanceId, name: 'copy', url: 'http://10.9.9.9:8080', owns: [], seen: Date.now() })
    const timer = setInterval(() => void bp.redis.hset('pw:instances', bp.instanceId, fake).catch(() => undefined), 100)
    try {
      await waitFor(async () => (await status(c)).engines.scale.state === 'degraded', 8000, 'clash reported')
      expect((await status(c)).engines.scale.detail).toContain('is also used by http://10.9.9.9:8080')
    } finally {
      clearInterval(timer)
    }
  })
})

describe("'remote' needs a backplane", () => {
  it('device.source remote without redis stops createCore with one clear line; timing remote without redis is an error state', async () => {
    const { mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { parseConfig } = await import('../../../src/main/config/index.ts')
    const { createCore } = await import('../../../src/main/core/index.ts')
    const base = { port: 0, host: '127.0.0.1', logToConsole: false, logLevel: 'silent', adminPassword: 'test-admin-pw' }
    await expect(createCore(parseConfig({ ...base, dataDir: mkdtempSync(join(tmpdir(), 'pw-remote-')), device: { source: 'remote' }, timing: { source: 'none' } }))).rejects.toThrow(
      /device.source 'remote' follows another instance: it needs a Redis backplane/,
    )
    const solo = await createCore(parseConfig({ ...base, dataDir: mkdtempSync(join(tmpdir(), 'pw-remote-')), device: { source: 'sim' }, timing: { source: 'remote' } }))
    try {
      expect(solo.status().engines.timing).toMatchObject({ state: 'degraded', detail: expect.stringContaining('needs a Redis backplane') })
    } finally {
      await solo.stop()
    }
  })
})
