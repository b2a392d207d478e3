import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { buildBinary } from '../../src/main/messaging/index.ts'
import { startCore, type TestCore } from '../integration/messaging/helpers.ts'
import { hostileFrames, hostileJson, runs, SEED, tally } from './lib.ts'

// Hostile frames against both messaging dialects: every one gets a documented answer (or silence
// where the protocol has none), the connection survives, and the server keeps serving.

let t: TestCore
let token: string

beforeAll(async () => {
  t = await startCore({ messaging: { rateLimit: 100_000, rateBurst: 100_000 } })
  token = await t.token('fuzzer')
})
afterAll(() => t.stop())

function open(path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.ws}${path}${path.includes('?') ? '&' : '?'}token=${token}`)
    ws.once('message', () => resolve(ws)) // welcome
    ws.once('error', reject)
  })
}

/** Sends a frame and classifies the next answer (or a close, or 200 ms of silence). */
function probe(ws: WebSocket, frame: string | Buffer, kindOf: (m: Record<string, any>) => string): Promise<string> {
  return new Promise((resolve) => {
    const done = (kind: string) => {
      clearTimeout(timer)
      ws.off('message', onMsg)
      ws.off('close', onClose)
      resolve(kind)
    }
    const onMsg = (d: Buffer, isBinary: boolean) => done(isBinary ? 'binary' : kindOf(JSON.parse(String(d))))
    const onClose = (code: number) => done(`closed ${code}`)
    const timer = setTimeout(() => done('silence'), 200)
    ws.on('message', onMsg)
    ws.once('close', onClose)
    ws.send(frame)
  })
}

const RTC_VALID = [
  '{"type":"Subscribe","data":{"topics":["a.*","b.#"]},"id":"1"}',
  '{"type":"Broadcast","data":{"topic":"fuzz.t","payload":{"x":1}},"id":"2"}',
  '{"type":"DirectMessage","data":{"target_user":"fuzzer","payload":"hi"},"id":"3"}',
  '{"type":"History","data":{"topic":"fuzz.t","since":{"offset":0,"epoch":"x"}}}',
  '{"type":"Ping","data":{"timestamp":1}}',
]
const ROOMS_VALID = ['{"type":"join_room","room_id":"room_x"}', '{"type":"room_message","room_id":"room_x","message":"m"}', '{"type":"direct_message","target_client_id":"c","data":"d"}', '{"type":"ping"}']

describe('messaging fuzz', () => {
  it('/ws answers every hostile frame and stays up', async () => {
    const ws = await open('/ws')
    const bystander = await open('/ws')
    const stats = tally('messaging /ws')
    const typed = hostileJson.chain((data) => fc.constantFrom('Subscribe', 'Unsubscribe', 'Broadcast', 'DirectMessage', 'History', 'Ping', 'X-Foo', 'Ack').map((type) => JSON.stringify({ type, data, id: 'f' })))
    const binary = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 100 }), fc.integer({ min: -3, max: 3 })).map(([type, addr, body, skew]) => {
      const f = type >= 1 && type <= 4 && addr.length > 0 && Buffer.byteLength(addr) < 256 ? buildBinary(type, addr, body) : Buffer.concat([Buffer.from([type, 0, 0, 0, 0]), Buffer.from(body)])
      if (skew) f.writeUInt32BE(Math.max(0, f.length - 5 + skew), 1)
      return f
    })
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileFrames(RTC_VALID), typed, binary), async (frame) => {
        const kind = await probe(ws, frame, (m) => (m.type === 'Error' ? `Error ${m.data.code}` : m.type))
        stats.count(kind)
        expect(kind).not.toMatch(/^closed|Error 500/)
        // Only the error codes docs/api/messaging.md lists (Errors table).
        if (kind.startsWith('Error')) expect(['Error 400', 'Error 401', 'Error 403', 'Error 404', 'Error 429', 'Error 503']).toContain(kind)
      }),
      { seed: SEED, numRuns: runs(150) },
    )
    stats.save()
    expect(await probe(ws, '{"type":"Ping","data":{"timestamp":9}}', (m) => m.type)).toBe('Pong')
    // Another connection, idle during the fuzzing, still works.
    expect(await probe(bystander, '{"type":"Ping","data":{"timestamp":9}}', (m) => m.type)).toBe('Pong')
    ws.close()
    bystander.close()
  })

  it('/chat answers every hostile frame and stays up', async () => {
    const ws = await open('/chat?clientId=fuzz')
    const bystander = await open('/chat?clientId=bystander')
    const stats = tally('messaging /chat')
    const typed = hostileJson.chain((data) => fc.constantFrom('join_room', 'leave_room', 'room_message', 'direct_message', 'ping', 'pong').map((type) => JSON.stringify({ type, room_id: data, target_client_id: data, message: data, data })))
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileFrames(ROOMS_VALID), typed), async (frame) => {
        const kind = await probe(ws, frame, (m) => (m.type === 'error' ? `error ${m.error_type}` : m.type))
        stats.count(kind)
        expect(kind).not.toMatch(/^closed|server_error/)
        // Only the error_type values docs/api/messaging.md lists for the rooms dialect.
        const documented = ['invalid_json', 'invalid_format', 'room_not_found', 'room_full', 'already_in_room', 'not_in_room', 'client_not_found', 'message_blocked', 'unauthorized', 'rate_limited', 'message_too_large', 'unsupported', 'connection_rejected']
        if (kind.startsWith('error ')) expect(documented).toContain(kind.slice(6))
      }),
      { seed: SEED, numRuns: runs(150) },
    )
    stats.save()
    expect(await probe(ws, '{"type":"ping"}', (m) => m.type)).toBe('pong')
    expect(await probe(bystander, '{"type":"ping"}', (m) => m.type)).toBe('pong')
    ws.close()
    bystander.close()
  })
})
