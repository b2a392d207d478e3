import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, waitFor } from '../../helpers/redis.ts'
import { Client, type Msg, rtc, type TestCore } from '../messaging/helpers.ts'
import { instance } from './cluster.ts'

// Three Pitwall instances on one real redis-server, clients spread across them.

const redis = new RedisServer()
let a: TestCore
let b: TestCore
let c: TestCore
const extra: TestCore[] = []

beforeAll(async () => {
  await redis.start()
  ;[a, b, c] = await Promise.all([instance(redis.url, 'A'), instance(redis.url, 'B'), instance(redis.url, 'C')])
  await waitFor(() => [a, b, c].every((x) => x.core.ctx.backplane!.up), 10_000, 'backplanes up')
})
afterAll(async () => {
  for (const x of [a, b, c, ...extra]) await x?.stop().catch(() => undefined)
  await redis.kill()
})

async function subscribed(t: TestCore, user: string, topics: string[]): Promise<Client> {
  const { c: cl } = await rtc(t, await t.token(user))
  const ack = await cl.request({ type: 'Subscribe', data: { topics }, id: 'sub' })
  expect(ack.type).toBe('Ack')
  return cl
}

describe('messaging across three instances', () => {
  it('topic publishes reach subscribers on every instance, in order', async () => {
    const onB = await subscribed(b, 'bob', ['race.#'])
    const onC = await subscribed(c, 'carol', ['race.*'])
    const { c: pub } = await rtc(a, await a.token('alice'))
    for (let i = 0; i < 30; i++) pub.send({ type: 'Broadcast', data: { topic: 'race.chat', payload: i }, id: `p${i}` })
    for (const sub of [onB, onC]) {
      const got: number[] = []
      while (got.length < 30) got.push((await sub.next('Broadcast', 5000)).data.payload)
      expect(got).toEqual([...Array(30).keys()])
    }
    await Promise.all([pub.close(), onB.close(), onC.close()])
  })

  it('rooms are shared: a message posted in a room on B reaches its members on A and C', async () => {
    // The default room has one id everywhere; a room created on C appears on A and B.
    const general = a.messaging.rooms.getAllRooms().find((r) => r.name === 'general')!
    expect(b.messaging.rooms.getRoomInfo(general.id)).not.toBeNull()
    const created = c.messaging.rooms.createRoom('strategy')
    await waitFor(() => !!a.messaging.rooms.getRoomInfo(created) && !!b.messaging.rooms.getRoomInfo(created), 5000, 'room on A and B')
    const tok = (t: TestCore, u: string) => t.token(u)
    const chat = async (t: TestCore, id: string) => {
      const cl = await Client.open(`${t.ws}/chat?clientId=${id}&token=${await tok(t, id)}`)
      await cl.next('welcome')
      return cl
    }
    const [ma, mb, mc] = await Promise.all([chat(a, 'rosa'), chat(b, 'rick'), chat(c, 'ruth')])
    for (const m of [ma, mb, mc]) {
      m.send({ type: 'join_room', room_id: created })
      await m.next((x) => x.type === 'room_joined' || x.type === 'join_room' || x.type === 'joined_room', 3000).catch(() => undefined)
    }
    mb.send({ type: 'room_message', room_id: created, message: 'box this lap' })
    for (const m of [ma, mc]) expect(await m.next((x: Msg) => x.type === 'room_message' && x.message === 'box this lap', 5000)).toMatchObject({ room_id: created, from_client_id: 'rick' })
    await Promise.all([ma.close(), mb.close(), mc.close()])
  })

  it('a direct message reaches every connection of the user, wherever they are; the Ack lists them all', async () => {
    const t = await b.token('dana')
    const { c: d1, welcome: w1 } = await rtc(b, t)
    const { c: d2, welcome: w2 } = await rtc(c, await c.token('dana'))
    const { c: d3, welcome: w3 } = await rtc(a, await a.token('dana'))
    const ids = [w1, w2, w3].map((w) => w.data.details?.connection_id ?? w.data.connection_id)
    await waitFor(() => a.messaging.hub.presence.instancesOf('dana').length === 2, 5000, 'dana known on A from B and C')
    const { c: sender } = await rtc(a, await a.token('alice'))
    const ack = await sender.request({ type: 'DirectMessage', data: { target_user: 'dana', payload: { message: 'pit now' } }, id: 'dm1' }, 5000)
    expect(ack.type).toBe('Ack')
    expect([...ack.data.delivered_to].sort()).toEqual([...ids].sort())
    for (const d of [d1, d2, d3]) expect((await d.next('DirectMessage', 5000)).data).toMatchObject({ from_user: 'alice', payload: { message: 'pit now' } })
    await Promise.all([d1.close(), d2.close(), d3.close(), sender.close()])
  })

  it('presence is true across instances: online once, offline only when the last connection anywhere closes', async () => {
    const watchA = await subscribed(a, 'watcher', ['presence.#'])
    const watchC = await subscribed(c, 'watcher2', ['presence.#'])
    const evan = await b.token('evan')
    const { c: e1 } = await rtc(b, evan)
    for (const w of [watchA, watchC]) expect((await w.next((m) => m.type === 'Presence' && m.data.user_id === 'evan', 5000)).data.status).toBe('online')
    const { c: e2 } = await rtc(c, await c.token('evan'))
    await waitFor(() => a.messaging.hub.presence.get('evan').metadata.connections === 2, 5000, 'two connections seen on A')
    await e1.close()
    await waitFor(() => a.messaging.hub.presence.get('evan').metadata.connections === 1, 5000, 'one connection left')
    expect(a.messaging.hub.presence.isOnline('evan')).toBe(true)
    expect(watchA.received.filter((m) => !Buffer.isBuffer(m) && m.type === 'Presence' && m.data.user_id === 'evan')).toHaveLength(0)
    await e2.close()
    for (const w of [watchA, watchC]) expect((await w.next((m) => m.type === 'Presence' && m.data.user_id === 'evan', 5000)).data.status).toBe('offline')
    await Promise.all([watchA.close(), watchC.close()])
  })

  it("an instance that leaves the backplane takes its users' presence with it", async () => {
    const d = await instance(redis.url, 'D')
    extra.push(d)
    await waitFor(() => d.core.ctx.backplane!.up, 5000, 'D up')
    const { c: f } = await rtc(d, await d.token('fred'))
    await waitFor(() => a.messaging.hub.presence.isOnline('fred') && c.messaging.hub.presence.isOnline('fred'), 5000, 'fred online on A and C')
    // D vanishes from the backplane (its connections are never closed cleanly, as in a crash).
    await d.core.ctx.backplane!.stop()
    await waitFor(() => !a.messaging.hub.presence.isOnline('fred') && !c.messaging.hub.presence.isOnline('fred'), 12_000, 'fred offline on A and C')
    f.ws.terminate()
  })

  it('history is shared: one stream per topic with offsets from every instance, read anywhere', async () => {
    const pa = (await rtc(a, await a.token('alice'))).c
    const pb = (await rtc(b, await b.token('bob'))).c
    const acks: Msg[] = []
    for (let i = 0; i < 5; i++) {
      acks.push(await pa.request({ type: 'Broadcast', data: { topic: 'hist.shared', payload: `a${i}` }, id: `a${i}` }))
      acks.push(await pb.request({ type: 'Broadcast', data: { topic: 'hist.shared', payload: `b${i}` }, id: `b${i}` }))
    }
    expect(acks.map((x) => x.data.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(new Set(acks.map((x) => x.data.epoch)).size).toBe(1)
    const reader = (await rtc(c, await c.token('carol'))).c
    const h = await reader.request({ type: 'History', data: { topic: 'hist.shared', limit: 100 }, id: 'h' })
    expect(h.data.publications.map((p: Msg) => p.payload)).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4'])
    // Recovery from an offset learned on A, asked on C.
    const since = await reader.request({ type: 'History', data: { topic: 'hist.shared', since: { offset: 8, epoch: acks[0]!.data.epoch } }, id: 'h2' })
    expect(since.data).toMatchObject({ recovered: true })
    expect(since.data.publications.map((p: Msg) => p.payload)).toEqual(['a4', 'b4'])
    await Promise.all([pa.close(), pb.close(), reader.close()])
  })

  it('the offline queue is shared: queued on A, delivered once on C, nothing again on B, nothing duplicated by a restart', async () => {
    for (const x of [a, b, c]) await x.token('gina')
    const { c: sender } = await rtc(a, await a.token('alice'))
    for (let i = 0; i < 3; i++) {
      const r = await sender.request({ type: 'DirectMessage', data: { target_user: 'gina', payload: { n: i } }, id: `q${i}` }, 5000)
      expect(r).toMatchObject({ type: 'Error', data: { code: 404, details: { queued: true } } })
    }
    // B restarts meanwhile (same data dir): nothing is queued twice.
    const bDir = b.dataDir
    await b.stop(true)
    b = await instance(redis.url, 'B', {}, bDir)
    await waitFor(() => b.core.ctx.backplane!.up, 5000, 'B back')
    const { c: g1 } = await rtc(c, await c.token('gina'))
    const got: number[] = []
    while (got.length < 3) got.push((await g1.next('DirectMessage', 5000)).data.payload.n)
    expect(got).toEqual([0, 1, 2])
    const { c: g2 } = await rtc(b, await b.token('gina'))
    await new Promise((r) => setTimeout(r, 300))
    expect(g2.drain('DirectMessage')).toHaveLength(0)
    expect(g1.drain('DirectMessage')).toHaveLength(0)
    await Promise.all([sender.close(), g1.close(), g2.close()])
  })
})
