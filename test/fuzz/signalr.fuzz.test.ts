// Hostile SignalR frames into /hubs/diag over WebSockets, JSON and MessagePack: every input gets a hub
// answer (Completion, StreamItem, Close with error) or silence, never an abnormal close, and a bystander
// connection keeps working.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode, encode } from '@msgpack/msgpack'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { frameVarInt, splitVarIntFrames } from '../../src/main/signalr/index.ts'
import { hostileFrames, hostileJson, LONG, runs, SEED, tally } from './lib.ts'

const RS = '\x1e'
let core: Core
let url: string

beforeAll(async () => {
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-fuzz-sr-')), logToConsole: false, logLevel: 'silent', adminPassword: 'fuzz-admin-pw', timing: { source: 'none' } }))
  url = core.url.replace('http', 'ws') + '/hubs/diag'
})
afterAll(() => core.stop())

type Protocol = 'json' | 'messagepack'

async function open(protocol: Protocol): Promise<WebSocket> {
  const ws = new WebSocket(url)
  await new Promise((r, j) => ws.once('open', r).once('error', j))
  const answered = new Promise((r) => ws.once('message', r))
  ws.send(JSON.stringify({ protocol, version: 1 }) + RS)
  await answered
  return ws
}

/** Type of each hub message in a frame (7 = Close, with its error's presence). */
function kinds(protocol: Protocol, data: Buffer): string[] {
  if (protocol === 'json') {
    return data
      .toString('utf8')
      .split(RS)
      .filter(Boolean)
      .map((s) => {
        const m = JSON.parse(s) as { type: number; error?: string }
        return m.type === 3 ? (m.error ? 'completion:error' : 'completion:ok') : m.type === 7 ? (m.error ? 'close:error' : 'close') : `type:${m.type}`
      })
  }
  return splitVarIntFrames(data).map((f) => {
    const m = decode(f) as unknown[]
    return m[0] === 3 ? (m[3] === 1 ? 'completion:error' : 'completion:ok') : m[0] === 7 ? (m[1] ? 'close:error' : 'close') : `type:${m[0]}`
  })
}

/** Sends a frame and reports the first answer, a close, or 300 ms of silence. */
function probe(ws: WebSocket, protocol: Protocol, frame: string | Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    let closeMsg = ''
    const done = (kind: string) => {
      clearTimeout(timer)
      ws.off('message', onMsg)
      ws.off('close', onClose)
      resolve(kind)
    }
    const onMsg = (d: Buffer) => {
      const k = kinds(protocol, d).filter((x) => x !== 'type:6')
      if (k.some((x) => x.startsWith('close'))) closeMsg = k.find((x) => x.startsWith('close'))!
      else if (k.length) done(k[0]!)
    }
    const onClose = (code: number) => done(`${closeMsg || 'no-close-message'}+closed:${code}`)
    const timer = setTimeout(() => done('silent'), 300)
    ws.on('message', onMsg)
    ws.on('close', onClose)
    ws.send(frame, { binary: typeof frame !== 'string' })
  })
}

const targets = fc.oneof(fc.constantFrom('Echo', 'Time', 'Counter', 'Join', 'Leave', 'SendToGroup', 'Whoami', 'Fail', 'Sum', 'Ask', 'echo'), fc.string({ maxLength: 20 }))
const ids = fc.oneof(fc.string({ maxLength: 8 }), hostileJson)
const hubMessage = fc.record(
  { type: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer(), hostileJson), invocationId: ids, target: targets, arguments: fc.oneof(fc.array(hostileJson, { maxLength: 4 }), hostileJson), streamIds: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), hostileJson), item: hostileJson, sequenceId: hostileJson, error: hostileJson, result: hostileJson },
  { requiredKeys: ['type'] },
)
const VALID_JSON = [
  '{"type":1,"invocationId":"1","target":"Echo","arguments":[1]}\x1e',
  '{"type":4,"invocationId":"2","target":"Counter","arguments":[2,0]}\x1e',
  '{"type":1,"target":"Join","arguments":["g"]}\x1e',
  '{"type":6}\x1e',
]

const jsonFrames = fc.oneof(hostileFrames(VALID_JSON), hubMessage.map((m) => JSON.stringify(m) + RS))
const msgpackFrames = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.array(hostileJson, { maxLength: 7 }).map((a) => frameVarInt(encode(a, { maxDepth: 1000 }))),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom({}, { a: 'b' }, 5), ids, targets, fc.array(hostileJson, { maxLength: 3 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 })).map((a) => frameVarInt(encode(a, { maxDepth: 1000 }))),
  fc.tuple(fc.constantFrom(frameVarInt(encode([1, {}, '1', 'Echo', [1], []]))), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([v, i, c]) => {
    const b = Uint8Array.from(v)
    b[i % b.length] = c
    return b
  }),
  fc.tuple(fc.constantFrom(frameVarInt(encode([1, {}, '1', 'Echo', ['abcdef'], []]))), fc.nat()).map(([v, cut]) => v.subarray(0, cut % v.length)),
)

describe.each(['json', 'messagepack'] as const)('fuzz: SignalR hub frames (%s)', (protocol) => {
  it('answers or closes with a Close error; never an abnormal close; the bystander keeps working', async () => {
    const t = tally(`signalr-${protocol}`)
    const bystander = await open(protocol)
    // Like a real client, the bystander pings so the 30 s client timeout does not end it during long runs.
    const ping = protocol === 'json' ? '{"type":6}' + RS : frameVarInt(encode([6]))
    const keepAlive = setInterval(() => bystander.send(ping, { binary: protocol !== 'json' }), 5000)
    const echo = protocol === 'json' ? VALID_JSON[0]! : frameVarInt(encode([1, {}, '1', 'Echo', [1], []]))
    await fc.assert(
      fc.asyncProperty(protocol === 'json' ? jsonFrames : msgpackFrames, async (frame) => {
        const ws = await open(protocol)
        const kind = await probe(ws, protocol, frame)
        ws.terminate()
        t.count(kind)
        // A close is a Close message + normal close (or a normal close after the client's own Close);
        // 1006 (no close frame) or 1011 (server error) never.
        return !kind.includes('closed:1006') && !kind.includes('closed:1011')
      }),
      { seed: SEED, numRuns: runs(100, 2000) },
    )
    clearInterval(keepAlive)
    expect(await probe(bystander, protocol, echo)).toBe('completion:ok')
    bystander.terminate()
    t.save()
  }, LONG ? 900_000 : 60_000)
})
