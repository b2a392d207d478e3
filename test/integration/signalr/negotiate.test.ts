// Negotiate (versions 0 and 1), skipNegotiation, per-hub transports, connection ids and authorisation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build, connect, login, RawPeer, RS, startCore, type TestCore } from './helpers.ts'
import { addTestHub } from './testhub.ts'

let t: TestCore
let admin: string
let viewer: string

beforeAll(async () => {
  t = await startCore()
  admin = await login(t.url)
  const res = await fetch(`${t.url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ username: 'watcher', password: 'watcher-pw-1', role: 'viewer' }),
  })
  expect(res.status).toBe(201)
  viewer = await login(t.url, 'watcher', 'watcher-pw-1')
  addTestHub(t.core, '/hubs/ws-only', { transports: ['WebSockets'] })
  addTestHub(t.core, '/hubs/writers', { permission: 'System_rw' })
})
afterAll(async () => t?.stop())

const negotiate = async (path: string, query = '', headers: Record<string, string> = {}) => {
  const res = await fetch(`${t.url}${path}/negotiate${query}`, { method: 'POST', headers })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('negotiate', () => {
  it('version 1 answers a connectionToken distinct from the connectionId and every transport', async () => {
    const { status, body } = await negotiate('/hubs/diag', '?negotiateVersion=1')
    expect(status).toBe(200)
    expect(body.negotiateVersion).toBe(1)
    expect(typeof body.connectionId).toBe('string')
    expect(typeof body.connectionToken).toBe('string')
    expect(body.connectionToken).not.toBe(body.connectionId)
    expect(body.useStatefulReconnect).toBeUndefined()
    expect(body.availableTransports).toEqual([
      { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
      { transport: 'ServerSentEvents', transferFormats: ['Text'] },
      { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
    ])
    // Asking for a newer version than we speak gets our highest.
    expect((await negotiate('/hubs/diag', '?negotiateVersion=7')).body.negotiateVersion).toBe(1)
    expect((await negotiate('/hubs/diag', '?negotiateVersion=1&useStatefulReconnect=true')).body.useStatefulReconnect).toBe(true)
  })

  it('version 0 has no token: the connectionId is the transport id', async () => {
    const { body } = await negotiate('/hubs/diag')
    expect(body.negotiateVersion).toBe(0)
    expect(body.connectionToken).toBeUndefined()
    const peer = new RawPeer(`${t.url}/hubs/diag?id=${body.connectionId}`)
    await peer.handshake()
    peer.send(JSON.stringify({ type: 1, invocationId: '1', target: 'Echo', arguments: ['v0'] }) + RS)
    await new Promise((r) => setTimeout(r, 100))
    expect(peer.messages).toEqual([{}, { type: 3, invocationId: '1', result: 'v0' }])
    peer.close()
  })

  it('refuses non-POST negotiate, unknown and missing ids, and a second transport', async () => {
    expect((await fetch(`${t.url}/hubs/diag/negotiate`)).status).toBe(405)
    expect((await fetch(`${t.url}/hubs/diag?id=nope`)).status).toBe(404)
    expect((await fetch(`${t.url}/hubs/diag`)).status).toBe(400)
    await expect(new RawPeer(`${t.url}/hubs/diag?id=nope`).open()).rejects.toThrow('HTTP 404')
    const { body } = await negotiate('/hubs/diag', '?negotiateVersion=1')
    const first = new RawPeer(`${t.url}/hubs/diag?id=${body.connectionToken}`)
    await first.open()
    await expect(new RawPeer(`${t.url}/hubs/diag?id=${body.connectionToken}`).open()).rejects.toThrow('HTTP 409')
    // The public connectionId is not a transport key.
    await expect(new RawPeer(`${t.url}/hubs/diag?id=${body.connectionId}`).open()).rejects.toThrow('HTTP 404')
    // A WebSocket connection cannot be posted to or polled.
    expect((await fetch(`${t.url}/hubs/diag?id=${body.connectionToken}`, { method: 'POST', body: 'x' })).status).toBe(405)
    first.close()
  })

  it('skipNegotiation WebSockets works with both protocols (and without stateful reconnect)', async () => {
    for (const protocol of ['json', 'messagepack'] as const) {
      const c = await connect(`${t.url}/hubs/diag`, { transport: 'WebSockets', protocol }, { skipNegotiation: true, stateful: true })
      expect(await c.invoke('Echo', protocol)).toBe(protocol)
      const who = (await c.invoke('Whoami')) as { connectionId: string }
      expect(t.core.ctx.signalr.connectionOf('/hubs/diag', who.connectionId)!.statefulReconnect).toBe(false)
      await c.stop()
    }
  })

  it('a WebSockets-only hub offers and accepts only WebSockets', async () => {
    const { body } = await negotiate('/hubs/ws-only', '?negotiateVersion=1')
    expect(body.availableTransports).toEqual([{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }])
    const sse = await fetch(`${t.url}/hubs/ws-only?id=${body.connectionToken}`, { headers: { accept: 'text/event-stream' } })
    expect(sse.status).toBe(404)
    await expect(connect(`${t.url}/hubs/ws-only`, { transport: 'ServerSentEvents', protocol: 'json' })).rejects.toThrow()
    await expect(connect(`${t.url}/hubs/ws-only`, { transport: 'LongPolling', protocol: 'json' })).rejects.toThrow()
    const c = await connect(`${t.url}/hubs/ws-only`, { transport: 'WebSockets', protocol: 'messagepack' })
    expect(await c.invoke('Echo', 1)).toBe(1)
    await c.stop()
  })
})

describe('authorisation', () => {
  it('takes the user from a Bearer header or the access_token query', async () => {
    const a = new RawPeer(`${t.url}/hubs/diag`, { authorization: `Bearer ${admin}` })
    const b = new RawPeer(`${t.url}/hubs/diag?access_token=${encodeURIComponent(viewer)}`)
    for (const p of [a, b]) {
      await p.handshake()
      p.send(JSON.stringify({ type: 1, invocationId: '1', target: 'Whoami', arguments: [] }) + RS)
    }
    await new Promise((r) => setTimeout(r, 100))
    expect((a.messages[1]!.result as Record<string, unknown>).user).toBe('admin')
    expect((b.messages[1]!.result as Record<string, unknown>).user).toBe('watcher')
    a.close()
    b.close()
    await expect(new RawPeer(`${t.url}/hubs/diag?access_token=not-a-jwt`).open()).rejects.toThrow('HTTP 401')
    expect((await negotiate('/hubs/diag', '', { authorization: 'Bearer not-a-jwt' })).status).toBe(401)
  })

  it('enforces the hub permission at negotiate and connect', async () => {
    expect((await negotiate('/hubs/writers')).status).toBe(401)
    expect((await negotiate('/hubs/writers', '', { authorization: `Bearer ${viewer}` })).status).toBe(403)
    await expect(new RawPeer(`${t.url}/hubs/writers`).open()).rejects.toThrow('HTTP 401')
    await expect(connect(`${t.url}/hubs/writers`, { transport: 'WebSockets', protocol: 'json' })).rejects.toThrow(/401/)
    await expect(connect(`${t.url}/hubs/writers`, { transport: 'LongPolling', protocol: 'json' }, { token: viewer })).rejects.toThrow(/403/)
    const c = await connect(`${t.url}/hubs/writers`, { transport: 'LongPolling', protocol: 'json' }, { token: admin })
    expect(await c.invoke('Write')).toBe('written')
    await c.stop()
  })

  it('refuses a transport request from another user than the one who negotiated', async () => {
    const { body } = await negotiate('/hubs/diag', '?negotiateVersion=1', { authorization: `Bearer ${admin}` })
    await expect(new RawPeer(`${t.url}/hubs/diag?id=${body.connectionToken}&access_token=${encodeURIComponent(viewer)}`).open()).rejects.toThrow('HTTP 403')
    await expect(new RawPeer(`${t.url}/hubs/diag?id=${body.connectionToken}`).open()).rejects.toThrow('HTTP 403')
    const poll = await fetch(`${t.url}/hubs/diag?id=${body.connectionToken}`, { headers: { authorization: `Bearer ${viewer}` } })
    expect(poll.status).toBe(403)
  })

  it('closes a connection when its login session ends (logout)', async () => {
    const token = await login(t.url)
    const c = build(`${t.url}/hubs/diag`, { transport: 'WebSockets', protocol: 'json' }, { token })
    const closed = new Promise<Error | undefined>((r) => c.onclose(r))
    await c.start()
    expect(await c.invoke('Echo', 1)).toBe(1)
    const out = await fetch(`${t.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    expect(out.status).toBe(200)
    expect((await closed)?.message).toMatch(/The login session has ended/)
  })

  it('runs connection lifetime hooks with the close error', async () => {
    const { hub, state } = addTestHub(t.core, '/hubs/lifetime')
    const seen: string[] = []
    const off = hub.onConnected((c) => seen.push(`+${c.userId}`))
    hub.onDisconnected((c, e) => seen.push(`-${c.userId}:${e ?? ''}`))
    const c = await connect(`${t.url}/hubs/lifetime`, { transport: 'WebSockets', protocol: 'json' }, { token: admin })
    const who = (await c.invoke('Echo', 'x')) && hub.connectionCount
    expect(who).toBe(1)
    expect(state.connected).toHaveLength(1)
    off()
    hub.connection(state.connected[0]!)!.close('bye')
    await new Promise((r) => setTimeout(r, 100))
    expect(state.disconnected).toEqual([{ id: state.connected[0], error: 'bye' }])
    expect(seen).toEqual(['+admin', '-admin:bye'])
    expect(hub.connectionCount).toBe(0)
  })

  it('checks per-method permissions and answers with a Completion error', async () => {
    const anon = await connect(`${t.url}/hubs/diag`, { transport: 'WebSockets', protocol: 'json' })
    await expect(anon.invoke('SendToGroup', 'g', 'x')).rejects.toThrow("Failed to invoke 'SendToGroup' because user is unauthorized")
    expect(await anon.invoke('Echo', 'still connected')).toBe('still connected')
    await anon.stop()
    const v = build(`${t.url}/hubs/diag`, { transport: 'ServerSentEvents', protocol: 'json' }, { token: viewer })
    await v.start()
    await expect(v.invoke('SendToGroup', 'g', 'x')).rejects.toThrow('unauthorized')
    await v.stop()
  })
})
