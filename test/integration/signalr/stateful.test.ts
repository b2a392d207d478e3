// Stateful reconnect (Ack/Sequence + replay buffer): a WebSocket cut mid-stream and resumed by the
// official client loses nothing and duplicates nothing, in both directions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build, login, RawPeer, RS, sleep, startCore, type TestCore, until } from './helpers.ts'
import { addTestHub, type TestHubState } from './testhub.ts'

let t: TestCore
let token: string
let state: TestHubState
const PATH = '/hubs/test-stateful'

beforeAll(async () => {
  t = await startCore()
  token = await login(t.url)
  state = addTestHub(t.core, PATH, { maxParallelInvocations: 4 }).state
})
afterAll(async () => t?.stop())

describe.each(['json', 'messagepack'] as const)('stateful reconnect with %s', (protocol) => {
  it('resumes a cut WebSocket without losing or duplicating messages', async () => {
    const c = build(`${t.url}${PATH}`, { transport: 'WebSockets', protocol }, { token, stateful: true })
    const events: string[] = []
    c.onreconnecting(() => events.push('reconnecting'))
    c.onclose(() => events.push('closed'))
    await c.start()
    try {
      const id = c.connectionId!
      const conn = t.core.ctx.signalr.connectionOf(PATH, id)!
      expect(conn.statefulReconnect).toBe(true)
      state.received.length = 0

      const N = 300
      const items: number[] = []
      const done = new Promise<void>((resolve, reject) => c.stream<number>('Numbers', N, 2).subscribe({ next: (v) => items.push(v), complete: resolve, error: reject }))
      await until(() => items.length >= 40, 10_000, 'first items')

      // Cut the network under the stream, then keep invoking while the client is reconnecting.
      conn.cutTransport()
      const calls = Array.from({ length: 20 }, (_, i) => c.invoke('Count', i + 1))
      await done
      const results = await Promise.all(calls)

      expect(items).toEqual(Array.from({ length: N }, (_, i) => i + 1))
      expect(results).toHaveLength(20)
      expect([...state.received].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      expect(c.connectionId).toBe(id)
      expect(events).toEqual([])
      expect(t.core.ctx.signalr.connectionOf(PATH, id)).toBe(conn)

      // A second cut on the same connection works the same way.
      const more: number[] = []
      const done2 = new Promise<void>((resolve, reject) => c.stream<number>('Numbers', 50, 1).subscribe({ next: (v) => more.push(v), complete: resolve, error: reject }))
      await until(() => more.length >= 10, 10_000, 'items')
      conn.cutTransport()
      await done2
      expect(more).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
      expect(await c.invoke('Echo', 'ok')).toBe('ok')
    } finally {
      await c.stop()
    }
  })
})

it('a server stream is paced by the client\'s acks instead of overflowing a small replay buffer', async () => {
  const path = '/hubs/test-stateful-small'
  addTestHub(t.core, path, { statefulBufferBytes: 32 * 1024 })
  const c = build(`${t.url}${path}`, { transport: 'WebSockets', protocol: 'json' }, { token, stateful: true })
  await c.start()
  try {
    const items: number[] = []
    // ~40 bytes per item: 1200 items are more than the whole buffer, so the stream must wait for Acks.
    await new Promise<void>((resolve, reject) => c.stream<number>('Burst', 1200).subscribe({ next: (v) => items.push(v), complete: resolve, error: reject }))
    expect(items).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1))
  } finally {
    await c.stop()
  }
})

it('a stateful connection whose client never comes back is closed after the reconnect window', async () => {
  const path = '/hubs/test-stateful-window'
  const { state: s } = addTestHub(t.core, path, { reconnectWindowMs: 1000 })
  const neg = (await (await fetch(`${t.url}${path}/negotiate?negotiateVersion=1&useStatefulReconnect=true`, { method: 'POST' })).json()) as Record<string, string>
  expect(neg.useStatefulReconnect).toBe(true)
  const peer = new RawPeer(`${t.url}${path}?id=${neg.connectionToken}`)
  await peer.handshake('json', 2)
  expect(peer.text).toBe('{}' + RS)
  const conn = t.core.ctx.signalr.connectionOf(path, neg.connectionId!)!
  expect(conn.statefulReconnect).toBe(true)
  peer.close()
  await sleep(100)
  // Still there, waiting for the client...
  expect(t.core.ctx.signalr.connectionOf(path, neg.connectionId!)).toBe(conn)
  await until(() => s.disconnected.some((d) => d.id === neg.connectionId), 5000, 'onDisconnected after the window')
  expect(t.core.ctx.signalr.connectionOf(path, neg.connectionId!)).toBeUndefined()
  // ...and its token no longer resumes anything.
  const late = new RawPeer(`${t.url}${path}?id=${neg.connectionToken}`)
  await expect(late.open()).rejects.toThrow('HTTP 404')
})

it('handshake version 1 turns stateful reconnect off even when negotiate offered it', async () => {
  const path = '/hubs/test-stateful-v1'
  addTestHub(t.core, path)
  const neg = (await (await fetch(`${t.url}${path}/negotiate?negotiateVersion=1&useStatefulReconnect=true`, { method: 'POST' })).json()) as Record<string, string>
  const peer = new RawPeer(`${t.url}${path}?id=${neg.connectionToken}`)
  await peer.handshake('json', 1)
  expect(t.core.ctx.signalr.connectionOf(path, neg.connectionId!)!.statefulReconnect).toBe(false)
  peer.close()
})
