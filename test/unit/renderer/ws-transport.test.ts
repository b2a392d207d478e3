import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import type { ConnectionState, UiClientMessage } from '../../../src/shared/ui-api/index.ts'
import { UiApiError } from '../../../src/shared/ui-api/index.ts'
import { WsTransport } from '../../../src/renderer/src/transport/ws.ts'

// The renderer's WebSocket transport (Node 24's global WebSocket, as in a browser) against a ws server
// speaking the /ui wire format, which drops connections on demand.

interface Peer {
  url: string
  sockets: WebSocket[]
  received: UiClientMessage[]
  connections: number
  /** When false, upgrades are refused (server "down" or token bad). */
  accept: boolean
  wss: WebSocketServer
}

const servers: WebSocketServer[] = []
const transports: WsTransport[] = []

async function peer(onMessage?: (ws: WebSocket, m: UiClientMessage) => void): Promise<Peer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: () => p.accept })
  servers.push(wss)
  await new Promise((r) => wss.once('listening', r))
  const p: Peer = { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ui`, sockets: [], received: [], connections: 0, accept: true, wss }
  wss.on('connection', (ws, req) => {
    p.connections++
    p.sockets.push(ws)
    ws.send(JSON.stringify({ t: 'hello', user: { username: new URL(req.url!, 'http://x').searchParams.get('token'), role: 'admin' }, server: { name: 'test', version: '0' } }))
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as UiClientMessage
      p.received.push(m)
      if (onMessage) onMessage(ws, m)
      else if (m.t === 'call') ws.send(JSON.stringify({ t: 'result', id: m.id, result: { echo: m.method } }))
      else if (m.t === 'sub') ws.send(JSON.stringify({ t: 'result', id: m.id, result: null }))
    })
  })
  return p
}

function transport(opts: ConstructorParameters<typeof WsTransport>[0]): WsTransport {
  const t = new WsTransport({ minDelayMs: 20, maxDelayMs: 100, ...opts })
  transports.push(t)
  return t
}

function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const start = Date.now()
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve()
      if (Date.now() - start > ms) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 5)
    }
    tick()
  })
}

afterEach(async () => {
  for (const t of transports.splice(0)) t.close()
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate()
    await new Promise((r) => s.close(r))
  }
})

describe('WsTransport', () => {
  it('sends the token, calls and gets results; calls made before the connection opens wait for it', async () => {
    const p = await peer()
    const t = transport({ url: p.url, token: 'tok en' })
    const r = t.call('status.get', {}) // queued: not open yet
    expect(await r).toEqual({ echo: 'status.get' })
    expect(t.state).toBe('open')
    expect(t.user?.username).toBe('tok en')
  })

  it('turns an error message into a UiApiError with the code', async () => {
    const p = await peer((ws, m) => ws.send(JSON.stringify({ t: 'error', id: m.id, error: { code: 'forbidden', message: 'Permission denied (needs User_r)' } })))
    const t = transport({ url: p.url })
    const err = await t.call('users.list', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UiApiError)
    expect((err as UiApiError).code).toBe('forbidden')
    expect((err as UiApiError).message).toBe('Permission denied (needs User_r)')
  })

  it('reconnects with backoff after the socket drops and re-subscribes every live subscription', async () => {
    const p = await peer()
    const t = transport({ url: p.url })
    const states: ConnectionState[] = []
    t.onState((s) => states.push(s))
    const events: unknown[] = []
    t.subscribe('logs', {}, (e) => events.push(e))
    const off = t.subscribe('status', {}, () => undefined)
    await until(() => p.received.filter((m) => m.t === 'sub').length === 2, 'two subs')
    off()
    await until(() => p.received.some((m) => m.t === 'unsub'), 'unsub')
    const logsId = (p.received.find((m) => m.t === 'sub' && m.topic === 'logs') as { id: number }).id

    p.received.length = 0
    p.sockets[0]!.terminate()
    await until(() => p.connections === 2 && t.state === 'open', 'reconnect')
    await until(() => p.received.length === 1, 're-subscribe')
    // Only the live subscription comes back, with its id, so events route to the same handler.
    expect(p.received).toEqual([{ t: 'sub', id: logsId, topic: 'logs', params: {} }])
    p.sockets[1]!.send(JSON.stringify({ t: 'event', id: logsId, data: { msg: 'after reconnect' } }))
    await until(() => events.length === 1, 'event')
    expect(events).toEqual([{ msg: 'after reconnect' }])
    expect(states).toEqual(['open', 'connecting', 'open'])
  })

  it('fails a call whose answer was lost with the socket, as unavailable', async () => {
    const p = await peer((ws) => ws.terminate()) // never answers: drops instead
    const t = transport({ url: p.url })
    const err = (await t.call('status.get', {}).catch((e: unknown) => e)) as UiApiError
    expect(err.code).toBe('unavailable')
  })

  it('keeps retrying while the server refuses, and connects when it comes back', async () => {
    const p = await peer()
    p.accept = false
    const t = transport({ url: p.url })
    await new Promise((r) => setTimeout(r, 150))
    expect(t.state).toBe('connecting')
    p.accept = true
    await until(() => t.state === 'open', 'open after the server accepts')
  })

  it('asks the probe after a refused connection and stops at unauthenticated when the token is bad', async () => {
    const p = await peer()
    p.accept = false
    let probes = 0
    const t = transport({ url: p.url, token: 'expired', probe: async () => (++probes, 'unauthenticated') })
    const pending = t.call('status.get', {}).catch((e: unknown) => e)
    await until(() => t.state === 'unauthenticated', 'unauthenticated')
    expect(((await pending) as UiApiError).code).toBe('unauthenticated')
    const before = p.connections
    await new Promise((r) => setTimeout(r, 150))
    expect(probes).toBe(1)
    expect(p.connections).toBe(before)
  })

  it('goes unauthenticated when the server closes with 4001 (session expired) and does not reconnect', async () => {
    const p = await peer()
    const t = transport({ url: p.url, token: 't' })
    await until(() => t.state === 'open', 'open')
    p.sockets[0]!.close(4001, 'Session expired')
    await until(() => t.state === 'unauthenticated', 'unauthenticated')
    await new Promise((r) => setTimeout(r, 150))
    expect(p.connections).toBe(1)
  })

  it('bounds the calls waiting for a connection', async () => {
    const p = await peer()
    p.accept = false
    const t = transport({ url: p.url, maxQueued: 2, callTimeoutMs: 60_000 })
    const waiting = [t.call('status.get', {}), t.call('status.get', {})]
    const err = (await t.call('status.get', {}).catch((e: unknown) => e)) as UiApiError
    expect(err.code).toBe('unavailable')
    p.accept = true
    expect(await Promise.all(waiting)).toEqual([{ echo: 'status.get' }, { echo: 'status.get' }])
  })

  it('close() fails pending calls and stops reconnecting', async () => {
    const p = await peer()
    p.accept = false
    const t = transport({ url: p.url })
    const pending = t.call('status.get', {})
    t.close()
    expect(((await pending.catch((e: unknown) => e)) as UiApiError).code).toBe('unavailable')
    expect(t.state).toBe('closed')
  })
})
