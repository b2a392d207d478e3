// The official @microsoft/signalr client against Pitwall's hub server: every transport × protocol.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HubConnectionState } from '@microsoft/signalr'
import { build, COMBOS, collect, connect, login, signalR, startCore, streamAll, type TestCore, until, sleep } from './helpers.ts'
import { addTestHub, type TestHubState } from './testhub.ts'

let t: TestCore
let token: string
let test: TestHubState
const diag = () => `${t.url}/hubs/diag`

beforeAll(async () => {
  t = await startCore()
  token = await login(t.url)
  test = addTestHub(t.core, '/hubs/test-matrix', { maxParallelInvocations: 2 }).state
})
afterAll(async () => t?.stop())

describe.each(COMBOS)('official client over $transport with $protocol', (combo) => {
  it('invokes, sends, receives, joins groups and gets errors', async () => {
    const a = await connect(diag(), combo, { token })
    const b = await connect(diag(), combo, { token })
    try {
      expect(await a.invoke('Echo', { n: 1, s: 'x', list: [1, 2, null], nested: { ok: true } })).toEqual({ n: 1, s: 'x', list: [1, 2, null], nested: { ok: true } })
      expect(await a.invoke('echo', 'case-insensitive')).toBe('case-insensitive')
      const time = (await a.invoke('Time')) as string
      expect(Math.abs(Date.parse(time) - Date.now())).toBeLessThan(60_000)
      const who = (await a.invoke('Whoami')) as Record<string, unknown>
      expect(who).toMatchObject({ user: 'admin', transport: combo.transport, protocol: combo.protocol, connectionId: a.connectionId })

      // Groups: b joins; a sends fire-and-forget (no invocation id); b receives.
      const group = `g-${combo.transport}-${combo.protocol}`
      await b.invoke('Join', group)
      const got = collect(b, 'Receive', 2)
      await a.send('SendToGroup', group, { hello: 1 })
      await a.invoke('SendToGroup', group, 'second')
      expect(await got).toEqual([{ hello: 1 }, 'second'])
      await b.invoke('Leave', group)
      const after: unknown[] = []
      b.on('Receive', (m) => after.push(m))
      await a.invoke('SendToGroup', group, 'not for b')
      // Server-side sends: all, one user, one connection.
      const hub = t.core.ctx.signalr.hub('/hubs/diag')!
      const fromServer = collect(b, 'Server', 3)
      hub.all.send('Server', 'all')
      hub.user('admin').send('Server', 'user')
      hub.client(b.connectionId!).send('Server', 'client')
      expect(await fromServer).toEqual(['all', 'user', 'client'])
      expect(after).toEqual([])

      // Errors: HubException text, unknown method, bad argument, streaming mismatch.
      await expect(a.invoke('Fail', 'boom')).rejects.toThrow("An unexpected error occurred invoking 'Fail' on the server. HubException: boom")
      await expect(a.invoke('NoSuchMethod')).rejects.toThrow("Unknown hub method 'NoSuchMethod'")
      await expect(a.invoke('Join', 42)).rejects.toThrow("Failed to invoke 'Join': argument 1: Invalid input: expected string, received number.")
      await expect(a.invoke('Counter', 3, 0)).rejects.toThrow("The client attempted to invoke the streaming 'Counter' method with a non-streaming invocation.")
      await expect(a.invoke('Echo', 1, 2)).rejects.toThrow('invocation provides 2 argument(s) but target expects 1')
      expect(a.state).toBe(HubConnectionState.Connected)
      expect(await a.invoke('Echo', 'still fine')).toBe('still fine')

      // Client results: the server asks the caller's handler and returns its answer.
      a.on('Question', (v: number) => v * 2)
      expect(await a.invoke('Ask', 'Question', 21)).toBe(42)
      await expect(a.invoke('Ask', 'NoHandler', 1)).rejects.toThrow(/Client didn't provide a result|HubException/)
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  it('streams both ways and cancels a server stream', async () => {
    const c = await connect(`${t.url}/hubs/test-matrix`, combo, { token })
    const d = await connect(diag(), combo, { token })
    try {
      expect(await streamAll(d, 'Counter', 5, 0)).toEqual([1, 2, 3, 4, 5])
      expect(await streamAll(d, 'Counter', 0, 0)).toEqual([])
      await expect(streamAll(d, 'Counter', -1, 0)).rejects.toThrow("Failed to invoke 'Counter': argument 1")
      await expect(streamAll(d, 'Echo', 1)).rejects.toThrow("The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.")

      // Client-to-server streams (Subject), with and without other arguments.
      const subject = new signalR.Subject<number>()
      const sum = d.invoke('Sum', subject)
      for (const n of [1, 2, 3, 36]) subject.next(n)
      subject.complete()
      expect(await sum).toBe(42)
      const s2 = new signalR.Subject<number>()
      const collected = c.invoke('Collect', 'label', s2)
      s2.next(7)
      s2.next(8)
      s2.complete()
      expect(await collected).toBe('label:7,8')

      // Cancel: dispose the subscription; the server's generator ends and no more items arrive.
      const startedBefore = test.tickerStarted
      const endedBefore = test.tickerEnded
      const items: number[] = []
      const sub = c.stream<number>('Ticker').subscribe({ next: (v) => items.push(v), complete: () => {}, error: () => {} })
      await until(() => items.length >= 3, 5000, 'ticker items')
      sub.dispose()
      await until(() => test.tickerEnded === endedBefore + 1, 5000, 'server stream to end')
      expect(test.tickerStarted).toBe(startedBefore + 1)
      const count = items.length
      await sleep(100)
      expect(items.length).toBeLessThanOrEqual(count + 1)
      expect(await c.invoke('Echo', 'after cancel')).toBe('after cancel')
    } finally {
      await c.stop()
      await d.stop()
    }
  })

  it('reconnects automatically (default delays) after the transport is cut', async () => {
    const c = build(diag(), combo, { token, reconnect: true })
    const events: string[] = []
    c.onreconnecting(() => events.push('reconnecting'))
    c.onreconnected(() => events.push('reconnected'))
    await c.start()
    try {
      const first = c.connectionId!
      t.core.ctx.signalr.connectionOf('/hubs/diag', first)!.cutTransport()
      // The default policy retries at once (0 ms), then after 2, 10 and 30 s.
      await until(() => events.includes('reconnected'), 8000, 'reconnected')
      expect(events).toEqual(['reconnecting', 'reconnected'])
      expect(c.connectionId).not.toBe(first)
      expect(await c.invoke('Echo', 'back')).toBe('back')
      // A server Close with allowReconnect also brings the client back.
      events.length = 0
      t.core.ctx.signalr.connectionOf('/hubs/diag', c.connectionId!)!.close('restarting', true)
      await until(() => events.includes('reconnected'), 8000, 'reconnected after Close')
      expect(await c.invoke('Echo', 'again')).toBe('again')
      // A Close without allowReconnect ends the connection for good, with the server's error.
      events.length = 0
      const closed = new Promise<Error | undefined>((r) => c.onclose(r))
      t.core.ctx.signalr.connectionOf('/hubs/diag', c.connectionId!)!.close('maintenance')
      expect((await closed)?.message).toBe('Server returned an error on close: maintenance')
      expect(events).toEqual([])
      expect(c.state).toBe(HubConnectionState.Disconnected)
    } finally {
      await c.stop()
    }
  })
})
