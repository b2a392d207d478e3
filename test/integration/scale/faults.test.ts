import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CameraEngine } from '../../../src/main/camera/index.ts'
import type { EngineStatus } from '../../../src/main/core/index.ts'
import type { TimingEngine } from '../../../src/main/timing/index.ts'
import { RedisServer, waitFor } from '../../helpers/redis.ts'
import { V1Client, wsUrl } from '../../helpers/v1-client.ts'
import { type Client, rtc, type TestCore } from '../messaging/helpers.ts'
import { instance } from './cluster.ts'

// Redis is killed (SIGKILL) in the middle of a run and restarted on the same port.

const redis = new RedisServer()
let a: TestCore
let b: TestCore
let c: TestCore
const closers: Array<() => unknown> = []
const states: Array<[string, string, EngineStatus]> = []

const camera = (t: TestCore) => t.core.engines.find((e) => e.name === 'camera') as CameraEngine
const timing = (t: TestCore) => t.core.engines.find((e) => e.name === 'timing') as TimingEngine
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const status = async (t: TestCore): Promise<any> => (await fetch(`${t.http}/api/status`)).json()

async function sub(t: TestCore, user: string, topics: string[]): Promise<Client> {
  const { c: cl } = await rtc(t, await t.token(user))
  closers.push(() => cl.close())
  expect((await cl.request({ type: 'Subscribe', data: { topics }, id: 's' })).type).toBe('Ack')
  return cl
}

beforeAll(async () => {
  await redis.start()
  a = await instance(redis.url, 'A', { timing: { source: 'generator', generatorCars: 6 } })
  ;[b, c] = await Promise.all([
    instance(redis.url, 'B', { timing: { source: 'remote' }, device: { source: 'remote' } }),
    instance(redis.url, 'C', { timing: { source: 'remote' }, device: { source: 'remote' } }),
  ])
  for (const t of [a, b, c]) t.core.ctx.events.on('engine.state', (name, s) => states.push([t.core.status().name, name, s]))
  await waitFor(() => [b, c].every((x) => camera(x).model.link.state === 'connected'), 15_000, 'followers connected')
})
afterAll(async () => {
  for (const fn of closers) await fn()
  for (const x of [c, b, a]) await x?.stop().catch(() => undefined)
  await redis.kill()
})

describe('Redis down, then back', () => {
  it('every instance keeps serving its local clients and says so; delivery and presence resume once Redis is back', async () => {
    const onA = await sub(a, 'alice', ['chat.#'])
    const onC = await sub(c, 'carol', ['chat.#', 'presence.#'])
    const { c: pubA } = await rtc(a, await a.token('andy'))
    closers.push(() => pubA.close())
    expect((await pubA.request({ type: 'Broadcast', data: { topic: 'chat.x', payload: 'before' }, id: 'p0' })).type).toBe('Ack')
    expect((await onC.next('Broadcast', 5000)).data.payload).toBe('before')
    await onA.next('Broadcast', 5000)
    for (const t of [a, b, c]) await t.token('hank') // users exist everywhere before the outage

    await redis.kill()
    for (const t of [a, b, c]) await waitFor(async () => (await status(t)).engines.backplane.state === 'degraded', 10_000, 'status degraded')
    const s = await status(b)
    expect(s.engines.backplane.detail).toMatch(/serving local clients only/)
    expect(s.engines.scale.state).toBe('degraded')
    // The UI's status topic follows engine.state events; the log says it too.
    for (const n of ['A', 'B', 'C']) expect(states.some(([i, name, st]) => i === n && name === 'backplane' && st.state === 'degraded')).toBe(true)
    expect(a.core.logging.ring.recent().filter((l) => /Redis backplane down/.test(l.msg)).map((l) => l.level)).toContain('warn')

    // Local delivery on A goes on (acknowledged, kept in A's own history).
    const ack = await pubA.request({ type: 'Broadcast', data: { topic: 'chat.x', payload: 'during' }, id: 'p1' })
    expect(ack.type).toBe('Ack')
    expect((await onA.next('Broadcast', 3000)).data.payload).toBe('during')
    // A direct message for someone connected nowhere is queued on A (SQLite) meanwhile.
    const q = await pubA.request({ type: 'DirectMessage', data: { target_user: 'hank', payload: 'queued during the outage' }, id: 'dm' })
    expect(q.data.details).toMatchObject({ queued: true })
    // The owner's camera works; a follower answers a write with a per-key error, no crash.
    const ownerV1 = await V1Client.open(wsUrl(a.http) + `?token=${await a.token('op-a')}`)
    closers.push(() => ownerV1.close())
    ownerV1.send({ brightness: 33 })
    expect(await ownerV1.next((m) => 'info' in m, 5000)).toEqual({ brightness: 33, info: ['brightness'] })
    await waitFor(() => camera(b).model.link.state !== 'connected', 5000, 'follower sees the owner unreachable')
    const followerV1 = await V1Client.open(wsUrl(b.http) + `?token=${await b.token('op-b')}`)
    closers.push(() => followerV1.close())
    followerV1.send({ contrast: 20 })
    expect(await followerV1.next((m) => 'error' in m, 5000)).toMatchObject({ error: 'Device unavailable', key: 'contrast' })
    expect(timing(b).source.state).toBe('error')
    // Someone connects on B while Redis is down.
    const { c: hankB } = await rtc(b, await b.token('hank'))
    closers.push(() => hankB.close())
    expect(hankB.drain('DirectMessage')).toHaveLength(0)

    await redis.start(redis.port)
    for (const t of [a, b, c]) await waitFor(async () => (await status(t)).engines.backplane.state === 'running', 15_000, 'backplane running again')
    // Presence rebuilt: C learns that hank is on B.
    await waitFor(() => c.messaging.hub.presence.isOnline('hank') && a.messaging.hub.presence.isOnline('hank'), 10_000, 'hank online on A and C')
    // Cross-instance delivery resumes.
    await pubA.request({ type: 'Broadcast', data: { topic: 'chat.x', payload: 'after' }, id: 'p2' })
    expect((await onC.next((m) => m.type === 'Broadcast' && m.data.payload === 'after', 5000)).data.payload).toBe('after')
    // The message queued on A during the outage moved to the shared queue: hank, still connected on B, gets it.
    expect((await hankB.next('DirectMessage', 8000)).data.payload).toBe('queued during the outage')
    await hankB.close()
    const { c: hankC } = await rtc(c, await c.token('hank'))
    closers.push(() => hankC.close())
    await new Promise((r) => setTimeout(r, 300))
    expect(hankC.drain('DirectMessage')).toHaveLength(0) // delivered once
    // The followers follow the owner again: camera state and timing are level with A.
    await waitFor(() => camera(b).model.link.state === 'connected' && camera(b).model.state.brightness === 33, 10_000, 'camera follower resynced')
    await waitFor(() => timing(c).source.state === 'live' && timing(c).store.cars.size === timing(a).store.cars.size, 10_000, 'timing follower resynced')
  })
})
