import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBinary } from '../../../src/main/messaging/index.ts'
import { Client, rtc, sleep, startCore, type TestCore, tokenExpiringIn, until } from './helpers.ts'

let t: TestCore
let alice: string
let bob: string
let viewer: string

beforeAll(async () => {
  t = await startCore()
  alice = await t.token('alice')
  bob = await t.token('bob')
  viewer = await t.token('vera', 'viewer')
})
afterAll(() => t.stop())

describe('connection and auth', () => {
  it('welcomes with connection_id, protocol_version and features', async () => {
    const { c, welcome } = await rtc(t, alice)
    expect(welcome.data.status).toBe('connected')
    expect(welcome.data.details.connection_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(welcome.data.details.protocol_version).toBe('1.0')
    expect(welcome.data.details.features).toEqual(expect.arrayContaining(['broadcast', 'direct_message', 'presence', 'history']))
    expect(welcome.data.details.user_id).toBe('alice')
    expect(typeof welcome.data.details.server_time).toBe('number')
    await c.close()
  })

  it('accepts the token as Bearer header and as an access_token.<JWT> subprotocol (echoed)', async () => {
    const h = await Client.open(`${t.ws}/ws`, { headers: { Authorization: `Bearer ${alice}` } })
    expect((await h.next('Status')).data.details.user_id).toBe('alice')
    await h.close()
    const p = await Client.open(`${t.ws}/ws`, { protocols: [`access_token.${bob}`] })
    expect(p.ws.protocol).toBe(`access_token.${bob}`)
    expect((await p.next('Status')).data.details.user_id).toBe('bob')
    await p.close()
  })

  it('refuses bad and expired tokens with 401 before the upgrade', async () => {
    await expect(Client.open(`${t.ws}/ws?token=not-a-jwt`)).rejects.toMatchObject({ status: 401 })
    await expect(Client.open(`${t.ws}/ws`, { protocols: ['access_token.abc.def.ghi'] })).rejects.toMatchObject({ status: 401 })
    const expired = await tokenExpiringIn(t, 'alice', -10)
    await expect(Client.open(`${t.ws}/ws?token=${expired}`)).rejects.toMatchObject({ status: 401 })
  })

  it('lets anonymous clients read but not write', async () => {
    const { c, welcome } = await rtc(t)
    expect(welcome.data.details.user_id).toBeNull()
    expect((await c.request({ type: 'Subscribe', data: { topics: ['chat.anon'] }, id: 's1' })).type).toBe('Ack')
    const e = await c.request({ type: 'Broadcast', data: { topic: 'chat.anon', payload: 1 }, id: 'b1' })
    expect(e.data).toMatchObject({ code: 401, details: { message_id: 'b1' } })
    await c.close()
  })

  it('refuses writes from a viewer with 403 and publishing to reserved topics with 403', async () => {
    const { c } = await rtc(t, viewer)
    expect((await c.request({ type: 'Broadcast', data: { topic: 'chat.v', payload: 1 }, id: 'v1' })).data.code).toBe(403)
    await c.close()
    const { c: a } = await rtc(t, alice)
    const e = await a.request({ type: 'Broadcast', data: { topic: 'timing.flags', payload: 'green' }, id: 'r1' })
    expect(e.data).toMatchObject({ code: 403, details: { message_id: 'r1', topic: 'timing.flags' } })
    await a.close()
  })

  it('sends AuthStatus token_expiring ahead of expiry, then closes 4001', async () => {
    const t2 = await startCore({ messaging: { tokenWarningSec: 2 } })
    const now = Math.floor(Date.now() / 1000)
    const tok = await tokenExpiringIn(t2, 'eve', 3)
    const { c } = await rtc(t2, tok)
    const warn = await c.next('AuthStatus', 4000)
    expect(warn.data).toMatchObject({ status: 'token_expiring', refresh_required: true })
    expect(warn.data.expires_at).toBeGreaterThanOrEqual((now + 3) * 1000)
    expect(warn.data.expires_at).toBeLessThanOrEqual((now + 4) * 1000)
    expect((await c.closed).code).toBe(4001)
    await t2.stop()
  })
})

describe('message types', () => {
  it('answers Ping with Pong echoing the timestamp', async () => {
    const { c } = await rtc(t, alice)
    c.send({ type: 'Ping', data: { timestamp: 1234567890 } })
    expect(await c.next('Pong')).toMatchObject({ data: { timestamp: 1234567890 } })
    await c.close()
  })

  it('Subscribe/Unsubscribe reply with Status (topics, active_subscriptions) and Ack when an id is given', async () => {
    const { c } = await rtc(t, alice)
    c.send({ type: 'Subscribe', data: { topics: ['notifications', 'chat.general', 'updates.*'] }, id: 'sub1' })
    const st = await c.next('Status')
    expect(st.data).toEqual({ status: 'subscribed', details: { topics: ['notifications', 'chat.general', 'updates.*'], active_subscriptions: 3 } })
    expect(await c.next('Ack')).toMatchObject({ data: { message_id: 'sub1', status: 'subscribed', active_subscriptions: 3 } })
    c.send({ type: 'Unsubscribe', data: { topics: ['chat.general'] } })
    expect((await c.next('Status')).data).toEqual({ status: 'unsubscribed', details: { topics: ['chat.general'], active_subscriptions: 2 } })
    await c.close()
  })

  it('rejects invalid filters with 400 and applies none of the batch', async () => {
    const { c } = await rtc(t, alice)
    for (const bad of ['a..b', 'a.#.b', 'sport*', '', 'a b', 'x.y#']) {
      const e = await c.request({ type: 'Subscribe', data: { topics: ['ok.topic', bad] }, id: `bad-${bad}` })
      expect(e.type).toBe('Error')
      expect(e.data.code).toBe(400)
    }
    const st = await c.request({ type: 'Subscribe', data: { topics: ['only.this'] }, id: 'good' })
    expect(st.data.active_subscriptions).toBe(1)
    expect((await c.request({ type: 'Unsubscribe', data: { topics: ['a.#.b'] }, id: 'u' })).data.code).toBe(400)
    await c.close()
  })

  it('Broadcast: Ack echoes message_id with recipients; every matching subscriber gets it once; the sender does not', async () => {
    const { c: pub } = await rtc(t, alice)
    const { c: s1 } = await rtc(t, bob)
    const { c: s2 } = await rtc(t, bob)
    const { c: other } = await rtc(t, bob)
    await s1.request({ type: 'Subscribe', data: { topics: ['chat.general', 'chat.*', '#', 'chat.#'] }, id: 'x' }) // overlapping
    await s2.request({ type: 'Subscribe', data: { topics: ['chat.general'] }, id: 'y' })
    await other.request({ type: 'Subscribe', data: { topics: ['chat.other', 'chat.general.deep'] }, id: 'z' })
    await pub.request({ type: 'Subscribe', data: { topics: ['chat.general'] }, id: 'p' })
    const ack = await pub.request({ type: 'Broadcast', data: { topic: 'chat.general', payload: { message: 'Hello everyone!', sender: 'alice' } }, id: 'msg_123456' })
    expect(ack).toMatchObject({ type: 'Ack', data: { message_id: 'msg_123456', status: 'delivered', recipients: 2 } })
    for (const s of [s1, s2]) {
      const b = await s.next('Broadcast')
      expect(b.data).toMatchObject({ topic: 'chat.general', payload: { message: 'Hello everyone!' }, metadata: { from_user: 'alice', priority: 'normal' } })
      expect(b.data.metadata.message_id).toBeTruthy()
      expect(typeof b.data.metadata.sent_at).toBe('number')
    }
    await sleep(100)
    expect(s1.drain('Broadcast')).toHaveLength(0) // once, despite four matching filters
    expect(other.drain('Broadcast')).toHaveLength(0)
    expect(pub.drain('Broadcast')).toHaveLength(0)
    // No id: delivered, no Ack.
    pub.send({ type: 'Broadcast', data: { topic: 'chat.general', payload: 2 } })
    await s2.next('Broadcast')
    await sleep(50)
    expect(pub.drain('Ack')).toHaveLength(0)
    await Promise.all([pub, s1, s2, other].map((c) => c.close()))
  })

  it('keeps order per publisher', async () => {
    const { c: pub } = await rtc(t, alice)
    const { c: sub } = await rtc(t, bob)
    await sub.request({ type: 'Subscribe', data: { topics: ['order.#'] }, id: 's' })
    for (let i = 0; i < 150; i++) pub.send({ type: 'Broadcast', data: { topic: `order.t${i % 3}`, payload: i } })
    const got: number[] = []
    while (got.length < 150) got.push((await sub.next('Broadcast')).data.payload)
    expect(got).toEqual([...Array(150).keys()])
    await Promise.all([pub.close(), sub.close()])
  })

  it('DirectMessage: Ack with delivered_to (every connection of the user); offline → 404 queued:true; unknown → 404 queued:false', async () => {
    const { c: a } = await rtc(t, alice)
    const { c: b1, welcome: w1 } = await rtc(t, bob)
    const { c: b2, welcome: w2 } = await rtc(t, bob)
    const ack = await a.request({ type: 'DirectMessage', data: { target_user: 'bob', payload: { message: 'Private message', attachments: [] } }, id: 'dm_789012' })
    expect(ack.type).toBe('Ack')
    expect(ack.data.message_id).toBe('dm_789012')
    expect(ack.data.status).toBe('delivered')
    expect(ack.data.delivered_to.sort()).toEqual([w1.data.details.connection_id, w2.data.details.connection_id].sort())
    for (const b of [b1, b2]) expect((await b.next('DirectMessage')).data).toMatchObject({ from_user: 'alice', payload: { message: 'Private message' } })
    await t.token('carol')
    const q = await a.request({ type: 'DirectMessage', data: { target_user: 'carol', payload: { message: 'later' } }, id: 'dm_2' })
    expect(q.data).toEqual({ code: 404, message: 'User carol not found or not connected', details: { message_id: 'dm_2', queued: true } })
    const u = await a.request({ type: 'DirectMessage', data: { target_user: 'nobody', payload: 'x' }, id: 'dm_3' })
    expect(u.data).toMatchObject({ code: 404, details: { queued: false, message_id: 'dm_3' } })
    const { c: carol } = await rtc(t, await t.token('carol'))
    expect((await carol.next('DirectMessage')).data).toMatchObject({ from_user: 'alice', payload: { message: 'later' }, metadata: { message_id: expect.any(String) } })
    await Promise.all([a, b1, b2, carol].map((c) => c.close()))
  })

  it('Notification reaches connections', async () => {
    const { c } = await rtc(t, alice)
    expect(t.messaging.hub.notify({ level: 'info', title: 'Maintenance Notice', message: 'in 1 hour', actions: [{ label: 'Learn More', url: 'https://status.example.com' }] }, 'alice')).toBeGreaterThan(0)
    expect((await c.next('Notification')).data).toEqual({ level: 'info', title: 'Maintenance Notice', message: 'in 1 hour', actions: [{ label: 'Learn More', url: 'https://status.example.com' }] })
    await c.close()
  })

  it('routes X- types to registered handlers; 400 when none; unknown types and bad JSON → 400', async () => {
    t.messaging.hub.registerType('X-Echo', ({ data, user }) => ({ echoed: data, user }))
    const { c } = await rtc(t, alice)
    expect(await c.request({ type: 'X-Echo', data: { action: 'special_operation' }, id: 'x1' })).toMatchObject({ type: 'X-Echo', data: { echoed: { action: 'special_operation' }, user: 'alice' } })
    expect((await c.request({ type: 'X-Nope', data: {}, id: 'x2' })).data).toMatchObject({ code: 400, details: { message_id: 'x2' } })
    expect((await c.request({ type: 'Frobnicate', data: {}, id: 'x3' })).data.code).toBe(400)
    const pres = await c.request({ type: 'X-Presence', data: {}, id: 'x4' })
    expect(pres.data.users.some((u: { user_id: string }) => u.user_id === 'alice')).toBe(true)
    c.send('{not json')
    expect((await c.next('Error')).data).toMatchObject({ code: 400, message: 'Invalid JSON' })
    c.send({ type: 'Broadcast', data: { topic: 'a.b' }, id: 'nopayload' })
    expect((await c.next('Error')).data).toMatchObject({ code: 400, details: { message_id: 'nopayload' } })
    c.send({ type: 'Broadcast', data: { topic: 'a.*', payload: 1 }, id: 'wild' })
    expect((await c.next('Error')).data.code).toBe(400)
    c.send({ type: 'Broadcast', data: { topic: 'a.b', payload: 1 }, metadata: { encryption: 'aes256' }, id: 'enc' })
    expect((await c.next('Error')).data.code).toBe(400)
    c.send({ type: 42 })
    expect((await c.next('Error')).data.code).toBe(400)
    // still connected and working
    c.send({ type: 'Ping', data: { timestamp: 5 } })
    expect((await c.next('Pong')).data.timestamp).toBe(5)
    await c.close()
  })

  it('carries metadata priority in deliveries; metadata ttl limits how long history keeps a message', async () => {
    const { c: a } = await rtc(t, alice)
    const { c: b } = await rtc(t, bob)
    await b.request({ type: 'Subscribe', data: { topics: ['meta.t'] }, id: 's' })
    await a.request({ type: 'Broadcast', data: { topic: 'meta.t', payload: 'short' }, metadata: { priority: 'high', ttl: 1 }, id: 'm1' })
    await a.request({ type: 'Broadcast', data: { topic: 'meta.t', payload: 'long' }, id: 'm2' })
    expect((await b.next('Broadcast')).data.metadata.priority).toBe('high')
    const h1 = await b.request({ type: 'History', data: { topic: 'meta.t' }, id: 'h1' })
    expect(h1.data.publications.map((p: { payload: string }) => p.payload)).toEqual(['short', 'long'])
    await sleep(1100)
    const h2 = await b.request({ type: 'History', data: { topic: 'meta.t' }, id: 'h2' })
    expect(h2.data.publications.map((p: { payload: string }) => p.payload)).toEqual(['long'])
    expect(t.messaging.hub.history.purgeExpired()).toBeGreaterThanOrEqual(1) // and the row is gone
    await Promise.all([a.close(), b.close()])
  })
})

describe('presence', () => {
  it('online on the first connection, offline with last_seen after the last', async () => {
    const { c: watcher } = await rtc(t, alice)
    await watcher.request({ type: 'Subscribe', data: { topics: ['presence.*'] }, id: 'w' })
    watcher.drain('Presence')
    const dave = await t.token('dave')
    const { c: d1 } = await rtc(t, dave)
    expect((await watcher.next('Presence')).data).toMatchObject({ user_id: 'dave', status: 'online' })
    const { c: d2 } = await rtc(t, dave)
    await d1.close()
    await sleep(100)
    expect(watcher.drain('Presence')).toHaveLength(0) // still online through d2
    const before = Date.now()
    await d2.close()
    const off = await watcher.next('Presence')
    expect(off.data).toMatchObject({ user_id: 'dave', status: 'offline' })
    expect(off.data.last_seen).toBeGreaterThanOrEqual(before)
    // A new subscriber gets the current presence of those online.
    const { c: late } = await rtc(t, bob)
    late.send({ type: 'Subscribe', data: { topics: ['presence.#'] } })
    const snap = await late.next((m) => m.type === 'Presence' && m.data.user_id === 'alice')
    expect(snap.data.status).toBe('online')
    await Promise.all([watcher.close(), late.close()])
  })
})

describe('history and recovery', () => {
  it('History returns stored publications with offset and epoch', async () => {
    const { c } = await rtc(t, alice)
    for (let i = 1; i <= 5; i++) await c.request({ type: 'Broadcast', data: { topic: 'hist.a', payload: i }, id: `h${i}` })
    const h = await c.request({ type: 'History', data: { topic: 'hist.a', limit: 3 }, id: 'q' })
    expect(h.type).toBe('History')
    expect(h.data.offset).toBe(5)
    expect(h.data.epoch).toMatch(/^[0-9a-f]{8}$/)
    expect(h.data.publications.map((p: { offset: number; payload: number }) => [p.offset, p.payload])).toEqual([[3, 3], [4, 4], [5, 5]])
    const since = await c.request({ type: 'History', data: { topic: 'hist.a', since: { offset: 4, epoch: h.data.epoch } }, id: 'q2' })
    expect(since.data.recovered).toBe(true)
    expect(since.data.publications.map((p: { offset: number }) => p.offset)).toEqual([5])
    const wrong = await c.request({ type: 'History', data: { topic: 'hist.a', since: { offset: 4, epoch: 'deadbeef' } }, id: 'q3' })
    expect(wrong.data.recovered).toBe(false)
    await c.close()
  })

  it('a topic never published to has epoch "" and offset 0, and {0, ""} recovers from its start; reads create nothing', async () => {
    const { c } = await rtc(t, alice)
    const before = (t.core.ctx.store.prepare('SELECT COUNT(*) AS n FROM msg_streams').get() as { n: number }).n
    const empty = await c.request({ type: 'History', data: { topic: 'fresh.topic' }, id: 'e' })
    expect(empty.data).toMatchObject({ topic: 'fresh.topic', epoch: '', offset: 0, publications: [] })
    expect((t.core.ctx.store.prepare('SELECT COUNT(*) AS n FROM msg_streams').get() as { n: number }).n).toBe(before)
    await c.request({ type: 'Broadcast', data: { topic: 'fresh.topic', payload: 'first' }, id: 'p1' })
    await c.request({ type: 'Broadcast', data: { topic: 'fresh.topic', payload: 'second' }, id: 'p2' })
    const { c: late } = await rtc(t, bob)
    late.send({ type: 'Subscribe', data: { topics: ['fresh.topic'], recover: { 'fresh.topic': { offset: 0, epoch: '' } } } })
    expect((await late.next('Status')).data.details.recovered).toEqual({ 'fresh.topic': true })
    expect([(await late.next('Broadcast')).data.payload, (await late.next('Broadcast')).data.payload]).toEqual(['first', 'second'])
    await Promise.all([c.close(), late.close()])
  })

  it('a reconnecting client gets exactly what it missed: no gap, no duplicate, while publishing goes on', async () => {
    const { c: pub } = await rtc(t, alice)
    let { c: sub } = await rtc(t, bob)
    await sub.request({ type: 'Subscribe', data: { topics: ['race.chat'] }, id: 's' })
    let n = 0
    const send = () => pub.send({ type: 'Broadcast', data: { topic: 'race.chat', payload: ++n } })
    for (let i = 0; i < 5; i++) send()
    const seen: number[] = []
    let last = { offset: 0, epoch: '' }
    while (seen.length < 5) {
      const b = await sub.next('Broadcast')
      seen.push(b.data.payload)
      last = { offset: b.data.metadata.offset, epoch: b.data.metadata.epoch }
    }
    await sub.close()
    for (let i = 0; i < 7; i++) send() // missed while away
    ;({ c: sub } = await rtc(t, bob))
    const pump = setInterval(send, 2) // and more while reconnecting
    sub.send({ type: 'Subscribe', data: { topics: ['race.*'], recover: { 'race.chat': last } }, id: 'r' })
    const st = await sub.next('Status')
    expect(st.data.details.recovered).toEqual({ 'race.chat': true })
    await sleep(100)
    clearInterval(pump)
    const total = n
    while (seen.length < total) seen.push((await sub.next('Broadcast')).data.payload)
    await sleep(50)
    expect(sub.drain('Broadcast')).toHaveLength(0)
    expect(seen).toEqual([...Array(total).keys()].map((i) => i + 1))
    await Promise.all([pub.close(), sub.close()])
  })
})

describe('binary frames', () => {
  it('broadcast, file transfer (size + sha256), stream data and direct message; length mismatch → 400', async () => {
    const { c: a } = await rtc(t, alice)
    const { c: b } = await rtc(t, bob)
    await b.request({ type: 'Subscribe', data: { topics: ['bin.#'] }, id: 's' })
    const body = Buffer.from('hello binary world')
    const frame = buildBinary(0x01, 'bin.x', body)
    a.send(frame)
    expect((await a.next('Status')).data).toEqual({ status: 'binary_received', details: { size: body.length, type: 'broadcast', topic: 'bin.x', recipients: 1 } })
    expect(Buffer.compare(await b.nextBinary(), frame)).toBe(0)
    const file = Buffer.alloc(1024, 7)
    a.send(buildBinary(0x03, 'bin.files', file))
    expect((await a.next('Status')).data.details).toEqual({ size: 1024, type: 'file_transfer', topic: 'bin.files', recipients: 1, checksum: `sha256:${createHash('sha256').update(file).digest('hex')}` })
    await b.nextBinary()
    a.send(buildBinary(0x04, 'bin.stream', Buffer.from([1, 2, 3])))
    expect((await a.next('Status')).data.details).toMatchObject({ type: 'stream_data', size: 3 })
    await b.nextBinary()
    a.send(buildBinary(0x02, 'bob', Buffer.from('psst')))
    expect((await a.next('Status')).data.details).toMatchObject({ type: 'direct_message', size: 4, target_user: 'bob' })
    const dm = await b.nextBinary()
    expect(dm[0]).toBe(0x02)
    expect(dm.subarray(6, 6 + dm[5]!).toString()).toBe('alice')
    expect(dm.subarray(6 + dm[5]!).toString()).toBe('psst')
    const bad = Buffer.from(frame)
    bad.writeUInt32BE(999, 1)
    a.send(bad)
    expect((await a.next('Error')).data).toMatchObject({ code: 400, details: { declared: 999, actual: frame.length - 5 } })
    a.send(Buffer.from([0x09, 0, 0, 0, 0]))
    expect((await a.next('Error')).data.code).toBe(400)
    await Promise.all([a.close(), b.close()])
  })
})

describe('limits', () => {
  it('64 KiB frames: larger → 400, the connection lives on', async () => {
    const { c } = await rtc(t, alice)
    c.send(JSON.stringify({ type: 'Broadcast', data: { topic: 'big.x', payload: 'x'.repeat(70_000) }, id: 'big' }))
    expect((await c.next('Error')).data).toMatchObject({ code: 400, details: { max: 65536 } })
    c.send({ type: 'Ping', data: { timestamp: 1 } })
    await c.next('Pong')
    await c.close()
  })

  it('100 msg/s with bursts of 200 → 429 with a retry hint; nothing else is lost', async () => {
    const { c } = await rtc(t, alice)
    for (let i = 0; i < 260; i++) c.send({ type: 'Ping', data: { timestamp: i }, id: `p${i}` })
    await until(() => c.received.filter((m: any) => m.type === 'Pong' || m.type === 'Error').length >= 260)
    const errors = c.drain('Error')
    const pongs = c.drain('Pong')
    expect(pongs.length).toBeGreaterThanOrEqual(200)
    expect(errors.length).toBeGreaterThan(0)
    expect(pongs.length + errors.length).toBe(260)
    expect(errors[0]!.data).toMatchObject({ code: 429, details: { retry_after_ms: expect.any(Number) } })
    expect(errors[0]!.data.details.message_id).toMatch(/^p\d+$/)
    await c.close()
  })

  it('connection cap → 503; heartbeat Ping; idle cut-off 4008', async () => {
    const t2 = await startCore({ messaging: { maxConnections: 2, heartbeatMs: 100, idleTimeoutMs: 400 } })
    const tok = await t2.token('zed')
    const { c: c1 } = await rtc(t2, tok)
    const { c: c2 } = await rtc(t2, tok)
    await expect(Client.open(`${t2.ws}/ws?token=${tok}`)).rejects.toMatchObject({ status: 503 })
    expect((await c1.next('Ping', 1000)).data.timestamp).toEqual(expect.any(Number))
    // c1 answers pings, c2 stays silent: only c2 is cut off.
    const keep = setInterval(() => c1.send({ type: 'Pong', data: {} }), 100)
    expect((await c2.closed).code).toBe(4008)
    await sleep(300)
    expect(c1.ws.readyState).toBe(c1.ws.OPEN)
    clearInterval(keep)
    await c1.close()
    await t2.stop()
  })

  it('cuts off a slow reader without slowing the others', async () => {
    const t2 = await startCore({ messaging: { maxBufferedBytes: 64 * 1024, rateLimit: 100_000, rateBurst: 100_000 } })
    const tok = await t2.token('sam')
    const { c: slow, welcome } = await rtc(t2, tok)
    const slowId = welcome.data.details.connection_id
    const { c: fast } = await rtc(t2, tok)
    const { c: pub } = await rtc(t2, await t2.token('pat'))
    for (const s of [slow, fast]) await s.request({ type: 'Subscribe', data: { topics: ['flood'] }, id: 's' })
    ;(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const payload = 'y'.repeat(8000)
    let sent = 0
    let fastGot = 0
    fast.ws.on('message', () => fastGot++)
    const hub = t2.messaging.hub
    for (let round = 0; round < 300 && hub.connection(slowId); round++) {
      for (let i = 0; i < 20; i++, sent++) pub.send({ type: 'Broadcast', data: { topic: 'flood', payload } })
      await sleep(20)
    }
    expect(hub.connection(slowId)).toBeUndefined() // cut off (the paused client cannot even read the close)
    await until(() => fastGot + fast.received.length >= sent, 5000)
    await Promise.all([fast.close(), pub.close()])
    await t2.stop()
  })
})
