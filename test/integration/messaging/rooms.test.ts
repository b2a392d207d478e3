import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RoomsServer, WebSocketEventData } from '../../../src/main/messaging/index.ts'
import { Client, type Msg, rtc, sleep, startCore, type TestCore } from './helpers.ts'

let t: TestCore
let rooms: RoomsServer
let tok: string

beforeAll(async () => {
  t = await startCore()
  rooms = t.messaging.rooms
  tok = await t.token('rita')
})
afterAll(() => t.stop())

async function chat(clientId: string, path = '/chat', token: string | null = tok): Promise<{ c: Client; welcome: Msg }> {
  const c = await Client.open(`${t.ws}${path}?clientId=${clientId}${token ? `&token=${token}` : ''}`)
  return { c, welcome: await c.next('welcome') }
}

describe('rooms dialect', () => {
  it('welcomes with connection_id, client_id, path and timestamp', async () => {
    const { c, welcome } = await chat('client_123')
    expect(welcome).toMatchObject({ type: 'welcome', client_id: 'client_123', path: '/chat', user_id: 'rita' })
    expect(welcome.connection_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Date.parse(welcome.timestamp)).not.toBeNaN()
    await c.close()
  })

  it('joins many rooms, gets room_message from each, leaves one; errors have error_type', async () => {
    const a = rooms.createRoom('pit-a')
    const b = rooms.createRoom('pit-b')
    const { c } = await chat('multi')
    const { c: other } = await chat('other')
    for (const id of [a, b]) {
      c.send({ type: 'join_room', room_id: id })
      expect(await c.next('room_joined')).toMatchObject({ room_id: id })
      other.send({ type: 'join_room', room_id: id })
      await other.next('room_joined')
    }
    c.send({ type: 'join_room', room_id: a })
    expect(await c.next('error')).toMatchObject({ error_type: 'already_in_room' })
    c.send({ type: 'join_room', room_id: 'room_nope' })
    expect(await c.next('error')).toMatchObject({ error_type: 'room_not_found' })
    other.send({ type: 'room_message', room_id: a, message: 'to A' })
    other.send({ type: 'room_message', room_id: b, data: 'to B' })
    expect(await c.next('room_message')).toMatchObject({ message: 'to A', room_id: a, from_client_id: 'other' })
    expect(await c.next('room_message')).toMatchObject({ message: 'to B', room_id: b, from_client_id: 'other' })
    expect(await other.next('room_message')).toMatchObject({ message: 'to A' }) // the sender gets its own (RNode behaviour)
    expect(rooms.getUserRooms(t.messaging.hub.connection([...t.messaging.hub.connections()].find((x) => x.clientId === 'multi')!.id)!.id).map((r) => r.id).sort()).toEqual([a, b].sort())
    c.send({ type: 'leave_room', room_id: a })
    expect(await c.next('room_left')).toMatchObject({ room_id: a })
    other.send({ type: 'room_message', room_id: a, message: 'A again' })
    other.send({ type: 'room_message', room_id: b, message: 'B again' })
    expect((await c.next('room_message')).message).toBe('B again')
    await sleep(50)
    expect(c.drain('room_message')).toHaveLength(0)
    // Posting to a room one is not in, and anonymous posting, are refused.
    c.send({ type: 'room_message', room_id: a, message: 'x' })
    expect(await c.next('error')).toMatchObject({ error_type: 'not_in_room' })
    const { c: anon } = await chat('anon', '/chat', null)
    anon.send({ type: 'join_room', room_id: b })
    await anon.next('room_joined')
    anon.send({ type: 'room_message', room_id: b, message: 'hi' })
    expect(await anon.next('error')).toMatchObject({ error_type: 'unauthorized' })
    await Promise.all([c.close(), other.close(), anon.close()])
  })

  it('enforces maxConnections with room_full', async () => {
    const small = rooms.createRoom('small', 'two seats', 2)
    const cs = await Promise.all(['s1', 's2', 's3'].map((id) => chat(id)))
    for (const { c } of cs.slice(0, 2)) {
      c.send({ type: 'join_room', room_id: small })
      await c.next('room_joined')
    }
    cs[2]!.c.send({ type: 'join_room', room_id: small })
    expect(await cs[2]!.c.next('error')).toMatchObject({ type: 'error', error_type: 'room_full' })
    expect(rooms.getRoomInfo(small)).toMatchObject({ name: 'small', maxConnections: 2, connectionsCount: 2 })
    await cs[0]!.c.close()
    await sleep(50)
    cs[2]!.c.send({ type: 'join_room', room_id: small })
    await cs[2]!.c.next('room_joined')
    await Promise.all(cs.slice(1).map(({ c }) => c.close()))
  })

  it('direct_message with message_ack; unknown client → client_not_found; ping → pong with latency; other types → message_ack echo', async () => {
    const { c: a } = await chat('dm-a')
    const { c: b } = await chat('dm-b')
    const raw = JSON.stringify({ type: 'direct_message', target_client_id: 'dm-b', data: 'Private message' })
    a.send(raw)
    expect(await b.next('direct_message')).toMatchObject({ message: 'Private message', from_client_id: 'dm-a' })
    expect(await a.next('message_ack')).toMatchObject({ message: raw })
    a.send({ type: 'direct_message', target_client_id: 'ghost', data: 'x' })
    expect(await a.next('error')).toMatchObject({ error_type: 'client_not_found', error: 'Client ghost not found' })
    a.send({ type: 'ping', timestamp: Date.now() - 15 })
    const pong = await a.next('pong')
    expect(pong.latency).toBeGreaterThanOrEqual(15)
    a.send('{"type":"message","data":"hello"}')
    expect((await a.next('message_ack')).message).toBe('{"type":"message","data":"hello"}')
    a.send('not json')
    expect(await a.next('error')).toMatchObject({ error_type: 'invalid_json' })
    a.send({ type: 'direct_message', target_client_id: 'dm-b', data: { nested: true } })
    expect(await a.next('error')).toMatchObject({ error_type: 'invalid_format' })
    await Promise.all([a.close(), b.close()])
  })

  it('shares the bus with /ws: a room is the topic rooms.<id>', async () => {
    const id = rooms.createRoom('bridge')
    const { c: member } = await chat('member')
    member.send({ type: 'join_room', room_id: id })
    await member.next('room_joined')
    const { c: r } = await rtc(t, tok)
    await r.request({ type: 'Subscribe', data: { topics: ['rooms.*'] }, id: 's' })
    member.send({ type: 'room_message', room_id: id, message: 'from rooms' })
    expect((await r.next('Broadcast')).data).toMatchObject({ topic: `rooms.${id}`, payload: { message: 'from rooms' } })
    await r.request({ type: 'Broadcast', data: { topic: `rooms.${id}`, payload: { message: 'from ws' } }, id: 'b' })
    await member.next((m) => m.type === 'room_message' && m.message === 'from rooms')
    expect(await member.next('room_message')).toMatchObject({ message: 'from ws', room_id: id, from_client_id: 'rita' })
    await Promise.all([member.close(), r.close()])
  })
})

describe('rooms callbacks', () => {
  it('cancel (message_blocked), rewrite (modifiedEvent), async order, connect rejection, only defined callbacks run', async () => {
    const calls: string[] = []
    rooms.websocket('/cb', {
      onConnect: (d) => (d.client_id === 'evil' ? { shouldCancel: true, error: 'Unauthorized client' } : undefined),
      onMessage: async (d: WebSocketEventData) => {
        calls.push('message')
        await sleep(d.data.includes('slow') ? 30 : 0)
        if (d.data.includes('spam')) return { shouldCancel: true, error: 'Spam message blocked' }
        return undefined
      },
      onRoomMessage: (d) => ({ modifiedEvent: { message: `${d.message} (checked)` } }),
      onJoinRoom: (d) => (d.room_id === locked ? { shouldCancel: true, error: 'Room is locked' } : undefined),
    })
    const locked = rooms.createRoom('locked')
    const open = rooms.createRoom('open')
    await expect(
      (async () => {
        const c = await Client.open(`${t.ws}/cb?clientId=evil&token=${tok}`)
        const e = await c.next('error')
        expect(e).toMatchObject({ error_type: 'connection_rejected', error: 'Unauthorized client' })
        return (await c.closed).code
      })(),
    ).resolves.toBe(1008)
    const { c } = await chat('good', '/cb')
    c.send({ type: 'join_room', room_id: locked })
    expect(await c.next('error')).toMatchObject({ error_type: 'message_blocked', error: 'Room is locked' })
    c.send({ type: 'join_room', room_id: open })
    await c.next('room_joined')
    c.send({ type: 'room_message', room_id: open, message: 'buy spam now' })
    expect(await c.next('error')).toMatchObject({ type: 'error', error_type: 'message_blocked', error: 'Spam message blocked' })
    // A slow callback holds later frames back: order is kept.
    c.send({ type: 'room_message', room_id: open, message: 'first slow' })
    c.send({ type: 'room_message', room_id: open, message: 'second' })
    expect((await c.next('room_message')).message).toBe('first slow (checked)')
    expect((await c.next('room_message')).message).toBe('second (checked)')
    expect(calls.length).toBeGreaterThanOrEqual(5)
    await c.close()
  })

  it('a throwing callback cancels the event and the connection lives on', async () => {
    rooms.websocket('/throws', {
      onPing: () => {
        throw new Error('boom')
      },
    })
    const { c } = await chat('t1', '/throws')
    c.send({ type: 'ping' })
    expect(await c.next('error')).toMatchObject({ error_type: 'message_blocked' })
    c.send({ type: 'other' })
    await c.next('message_ack')
    await c.close()
  })
})

describe('rooms HTTP API', () => {
  it('lists, creates (login needed), joins, messages, leaves; client info and rooms; 404s', async () => {
    const base = t.http
    const list = (await (await fetch(`${base}/websocket/rooms`)).json()) as { rooms: Array<{ name: string }>; count: number }
    expect(list).toMatchObject({ success: true, count: list.rooms.length })
    expect(list.rooms.some((r: { name: string }) => r.name === 'general')).toBe(true)
    const anon = await fetch(`${base}/websocket/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x' }) })
    expect(anon.status).toBe(401)
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${tok}` }
    const created = (await (await fetch(`${base}/websocket/rooms`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'http-room', description: 'made over HTTP', maxConnections: 5 }) })).json()) as { roomId: string }
    expect(created).toMatchObject({ success: true, roomId: expect.stringMatching(/^room_[0-9a-f]{32}$/) })
    const roomId = created.roomId
    expect((await fetch(`${base}/websocket/rooms`, { method: 'POST', headers: auth, body: JSON.stringify({}) })).status).toBe(400)
    const { c, welcome } = await chat('http-client')
    const connectionId = welcome.connection_id
    const join = await fetch(`${base}/websocket/rooms/${roomId}/join`, { method: 'POST', headers: auth, body: JSON.stringify({ connectionId }) })
    expect(await join.json()).toMatchObject({ success: true })
    expect(await c.next('room_joined')).toMatchObject({ room_id: roomId })
    expect(await (await fetch(`${base}/websocket/rooms/${roomId}`)).json()).toMatchObject({ success: true, room: { name: 'http-room', description: 'made over HTTP', connections: [connectionId], connectionsCount: 1 } })
    expect(await (await fetch(`${base}/websocket/clients/${connectionId}`)).json()).toMatchObject({ success: true, client: { id: connectionId, clientId: 'http-client', path: '/chat', roomId, rooms: [roomId] } })
    expect(await (await fetch(`${base}/websocket/clients/${connectionId}/rooms`)).json()).toMatchObject({ success: true, count: 1 })
    await fetch(`${base}/websocket/rooms/${roomId}/message`, { method: 'POST', headers: auth, body: JSON.stringify({ message: 'Hello everyone!' }) })
    const rm = await c.next('room_message')
    expect(rm).toMatchObject({ message: 'Hello everyone!', room_id: roomId })
    expect((await fetch(`${base}/websocket/rooms/${roomId}/leave`, { method: 'POST', headers: auth, body: JSON.stringify({ connectionId }) })).status).toBe(200)
    expect(await c.next('room_left')).toMatchObject({ room_id: roomId })
    expect((await fetch(`${base}/websocket/rooms/room_missing`)).status).toBe(404)
    expect((await fetch(`${base}/websocket/clients/nope`)).status).toBe(404)
    expect((await fetch(`${base}/websocket/rooms/${roomId}/join`, { method: 'POST', headers: auth, body: JSON.stringify({}) })).status).toBe(400)
    expect(rooms.sendRoomMessage('room_missing', 'x')).toBe(false)
    expect(rooms.getRoomInfo('room_missing')).toBeNull()
    expect(rooms.getClientInfo('nope')).toBeNull()
    await c.close()
  })
})
