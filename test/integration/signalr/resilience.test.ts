// Bad input and limits: garbage and truncated frames, handshake errors, timeouts, message size,
// invocation limits. A misbehaving connection is closed with an error; every other one carries on.
import { encode } from '@msgpack/msgpack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { frameVarInt } from '../../../src/main/signalr/index.ts'
import { build, connect, RawPeer, RS, sleep, startCore, type TestCore, until } from './helpers.ts'
import { addTestHub, type TestHubState } from './testhub.ts'

let t: TestCore
let limited: TestHubState

beforeAll(async () => {
  t = await startCore()
  addTestHub(t.core, '/hubs/fast', { keepAliveMs: 200, clientTimeoutMs: 1000, handshakeTimeoutMs: 500 })
  limited = addTestHub(t.core, '/hubs/limited', { maxMessageBytes: 1024, maxParallelInvocations: 1, maxQueuedInvocations: 5, streamBufferCapacity: 10 }).state
})
afterAll(async () => t?.stop())

const closeMessage = (p: RawPeer) => p.messages.find((m) => m.type === 7)

/** A healthy official-client connection that must survive everything the raw peers do. */
async function bystander() {
  const c = await connect(`${t.url}/hubs/diag`, { transport: 'WebSockets', protocol: 'json' })
  expect(await c.invoke('Echo', 'before')).toBe('before')
  return c
}

describe('garbage and truncated frames', () => {
  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ['not JSON', 'garbage' + RS, /InvalidDataException: Message is not valid JSON\./],
    ['truncated JSON (no record separator)', '{"type":1,"target":"Echo","arguments":[1]', /Message is incomplete\./],
    ['a JSON array', '[1,2]' + RS, /Message must be a JSON object\./],
    ['a wrong field type', '{"type":1,"target":5,"arguments":[]}' + RS, /Expected 'target' to be of type string\./],
    ['an unknown message type', '{"type":99}' + RS, /Unknown message type '99'\./],
    ['arguments not an array', '{"type":1,"target":"Echo","arguments":{}}' + RS, /Expected 'arguments' to be an array\./],
    ['invalid UTF-8', new Uint8Array([0xff, 0xfe, 0x1e]), /not valid UTF-8/],
  ]
  it.each(cases)('JSON: %s closes only that connection, with the error', async (_name, payload, error) => {
    const other = await bystander()
    const peer = new RawPeer(`${t.url}/hubs/diag`)
    await peer.handshake('json')
    peer.send(payload)
    await peer.waitClosed()
    expect(closeMessage(peer)?.error).toMatch(error)
    expect(await other.invoke('Echo', 'after')).toBe('after')
    await other.stop()
  })

  const mp: Array<[string, Uint8Array, RegExp]> = [
    ['a truncated frame (length beyond the data)', new Uint8Array([0x05, 0x93, 0x01]), /Message is incomplete\./],
    ['an unterminated length prefix', new Uint8Array([0x80]), /cannot read the length prefix/],
    ['bytes that are not MessagePack', new Uint8Array([0x01, 0xc1]), /not valid MessagePack/],
    ['an empty array', frameVarInt(encode([])), /non-empty array/],
    ['an Invocation without a target', frameVarInt(encode([1, {}, '1'])), /Invalid payload for Invocation/],
    ['bad headers', frameVarInt(encode([1, 5, '1', 'Echo', [1], []])), /Invalid headers/],
  ]
  it.each(mp)('MessagePack: %s closes only that connection, with the error', async (_name, payload, error) => {
    const other = await bystander()
    const peer = new RawPeer(`${t.url}/hubs/diag`)
    await peer.handshake('messagepack')
    peer.send(payload)
    await peer.waitClosed()
    // The Close message is MessagePack too: [7, error].
    const last = peer.frames.at(-1)!.data
    const text = last.toString('latin1')
    expect(text).toMatch(error)
    expect(await other.invoke('Echo', 'after')).toBe('after')
    await other.stop()
  })

  it('garbage over long polling and SSE closes that connection and is reported to the official client', async () => {
    for (const transport of ['LongPolling', 'ServerSentEvents'] as const) {
      const c = build(`${t.url}/hubs/diag`, { transport, protocol: 'json' })
      const closed = new Promise<Error | undefined>((r) => c.onclose(r))
      await c.start()
      const who = (await c.invoke('Whoami')) as { connectionId: string }
      const conn = t.core.ctx.signalr.connectionOf('/hubs/diag', who.connectionId)!
      conn.receive(Buffer.from('{"type":1,"target":' + RS))
      const err = await closed
      expect(err?.message).toMatch(/Server returned an error on close: Connection closed with an error\. InvalidDataException: Message is not valid JSON\./)
    }
  })
})

it('a hub bug while binding arguments closes only that connection', async () => {
  const other = await bystander()
  const c = build(`${t.url}/hubs/fast`, { transport: 'WebSockets', protocol: 'json' })
  c.keepAliveIntervalInMilliseconds = 100
  const closed = new Promise<Error | undefined>((r) => c.onclose(r))
  await c.start()
  c.invoke('Buggy', 'x').catch(() => {})
  expect((await closed)?.message).toBe('Server returned an error on close: Connection closed with an error.')
  expect(await other.invoke('Echo', 'after')).toBe('after')
  await other.stop()
})

describe('handshake', () => {
  it('answers unknown protocols, unsupported versions and bad requests per spec, then closes', async () => {
    const cases: Array<[string, string]> = [
      [JSON.stringify({ protocol: 'foo', version: 1 }) + RS, "Requested protocol 'foo' is not available."],
      [JSON.stringify({ protocol: 'json', version: 99 }) + RS, "The server does not support version 99 of the 'json' protocol."],
      ['nonsense' + RS, 'Handshake request is not valid JSON.'],
      [JSON.stringify({ version: 1 }) + RS, "Handshake request is missing the 'protocol' string."],
    ]
    for (const [request, error] of cases) {
      const peer = new RawPeer(`${t.url}/hubs/diag`)
      await peer.open()
      peer.send(request)
      await peer.waitClosed()
      expect(peer.text).toBe(JSON.stringify({ error }) + RS)
    }
  })

  it('refuses MessagePack over Server-Sent Events (a text-only transport)', async () => {
    const neg = (await (await fetch(`${t.url}/hubs/diag/negotiate?negotiateVersion=1`, { method: 'POST' })).json()) as { connectionToken: string }
    const ac = new AbortController()
    const res = await fetch(`${t.url}/hubs/diag?id=${neg.connectionToken}`, { headers: { accept: 'text/event-stream' }, signal: ac.signal })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const post = await fetch(`${t.url}/hubs/diag?id=${neg.connectionToken}`, { method: 'POST', body: JSON.stringify({ protocol: 'messagepack', version: 1 }) + RS })
    expect(post.status).toBe(200)
    const body = await res.text()
    expect(body).toContain(`data: {"error":"Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."}`)
  })

  it('closes a connection that does not complete the handshake in time', async () => {
    const peer = new RawPeer(`${t.url}/hubs/fast`)
    await peer.open()
    peer.send('{"protocol":"json",') // never finished
    await peer.waitClosed(3000)
    expect(peer.frames).toEqual([])
  })

  it('accepts hub messages right behind the handshake in the same frame', async () => {
    const peer = new RawPeer(`${t.url}/hubs/diag`)
    await peer.open()
    peer.send(JSON.stringify({ protocol: 'json', version: 1 }) + RS + JSON.stringify({ type: 1, invocationId: '7', target: 'Echo', arguments: ['x'] }) + RS)
    await until(() => peer.messages.length >= 2)
    expect(peer.messages).toEqual([{}, { type: 3, invocationId: '7', result: 'x' }])
    peer.close()
  })
})

describe('keepalive and timeouts', () => {
  it('pings an idle client and keeps it while it pings back', async () => {
    const peer = new RawPeer(`${t.url}/hubs/fast`)
    await peer.handshake()
    const timer = setInterval(() => peer.send(JSON.stringify({ type: 6 }) + RS), 100)
    await sleep(1600) // past the 1000 ms client timeout
    clearInterval(timer)
    expect(peer.closed).toBeUndefined()
    expect(peer.messages.filter((m) => m.type === 6).length).toBeGreaterThanOrEqual(3)
    peer.close()
  })

  it('drops a client that goes silent, with a Close error', async () => {
    const peer = new RawPeer(`${t.url}/hubs/fast`)
    await peer.handshake()
    await peer.waitClosed(3000)
    expect(closeMessage(peer)?.error).toBe('Client timeout: nothing received for 1000 ms.')
  })

  it('the official client stays connected across many keepalive intervals', async () => {
    const c = build(`${t.url}/hubs/fast`, { transport: 'WebSockets', protocol: 'messagepack' })
    // The client pings every 15 s by default: shorten it below the hub's 1000 ms timeout.
    c.keepAliveIntervalInMilliseconds = 100
    c.serverTimeoutInMilliseconds = 2000
    await c.start()
    await sleep(2200)
    expect(await c.invoke('Echo', 'alive')).toBe('alive')
    await c.stop()
  })
})

describe('limits', () => {
  it('closes a connection that sends a message over the size limit', async () => {
    for (const transport of ['WebSockets', 'LongPolling'] as const) {
      const c = build(`${t.url}/hubs/limited`, { transport, protocol: 'json' })
      const closed = new Promise<Error | undefined>((r) => c.onclose(r))
      await c.start()
      expect(await c.invoke('Echo', 'x'.repeat(900))).toHaveLength(900)
      c.invoke('Echo', 'x'.repeat(2000)).catch(() => {})
      const err = await closed
      expect(err?.message ?? '').toMatch(/exceeds the maximum message size of 1024 bytes|413/)
    }
  })

  it('runs at most maxParallelInvocations at once, in order', async () => {
    const c = await connect(`${t.url}/hubs/limited`, { transport: 'WebSockets', protocol: 'json' })
    limited.maxActive = 0
    const results = await Promise.all([c.invoke('Slow', 50), c.invoke('Slow', 50), c.invoke('Slow', 50)])
    expect(results).toEqual([1, 1, 1])
    expect(limited.maxActive).toBe(1)
    await c.stop()
    const d = await connect(`${t.url}/hubs/diag`, { transport: 'WebSockets', protocol: 'json' })
    // The diag hub allows 4: Ask waits on the client while other calls still run.
    d.on('Slowly', async (v: number) => {
      await sleep(100)
      return v
    })
    const [asked, echoed] = await Promise.all([d.invoke('Ask', 'Slowly', 5), d.invoke('Echo', 'meanwhile')])
    expect([asked, echoed]).toEqual([5, 'meanwhile'])
    await d.stop()
  })

  it('closes a client that floods invocations beyond the queue', async () => {
    const peer = new RawPeer(`${t.url}/hubs/limited`)
    await peer.handshake()
    for (let i = 0; i < 20; i++) peer.send(JSON.stringify({ type: 1, invocationId: String(i), target: 'Slow', arguments: [20] }) + RS)
    await peer.waitClosed()
    expect(closeMessage(peer)?.error).toBe('Too many pending invocations (more than 5 waiting).')
  })

  it('closes a client stream that outruns its consumer', async () => {
    const peer = new RawPeer(`${t.url}/hubs/limited`)
    await peer.handshake()
    // Slow blocks the only invocation slot, so Collect (queued) never reads its stream.
    let batch = JSON.stringify({ type: 1, invocationId: 'a', target: 'Slow', arguments: [2000] }) + RS
    batch += JSON.stringify({ type: 1, invocationId: 'b', target: 'Collect', arguments: ['x'], streamIds: ['s1'] }) + RS
    for (let i = 0; i < 11; i++) batch += JSON.stringify({ type: 2, invocationId: 's1', item: i }) + RS
    peer.send(batch)
    await peer.waitClosed()
    expect(closeMessage(peer)?.error).toBe("Client stream 's1' sent more than 10 items the method has not consumed.")
  })

  it('rejects a client stream item of the wrong type with a Completion error', async () => {
    const c = await connect(`${t.url}/hubs/limited`, { transport: 'WebSockets', protocol: 'json' })
    const { Subject } = await import('@microsoft/signalr')
    const s = new Subject<unknown>()
    const p = c.invoke('Collect', 'x', s)
    s.next('not a number')
    s.complete()
    await expect(p).rejects.toThrow(/HubException: Stream item rejected/)
    expect(await c.invoke('Echo', 'ok')).toBe('ok')
    await c.stop()
  })
})
