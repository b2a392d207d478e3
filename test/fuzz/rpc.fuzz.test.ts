import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { AcBinaryHubProtocol, packParameters, RpcClient, signalParams, signalParamsWire } from '../../src/main/rpc/index.ts'
import { runs, SEED, tally } from './lib.ts'

// Hostile acbinary frames into /hubs/rpc over a real WebSocket: each is either a valid message
// (answered, or legitimately silent) or closes that connection with a protocol error in a Close
// message. The server never crashes or hangs, and other clients keep working.

let core: Core
const protocol = new AcBinaryHubProtocol()
const rpc = (tag: number, params: unknown[], data: unknown = null) =>
  protocol.encode({ type: 1, target: 'OnReceiveMessage', arguments: [tag, 7, signalParamsWire(signalParams({ Status: 0, Parameters: packParameters(params) })), data] } as never)
const VALID = [rpc(90001, []), rpc(90002, ['hello']), rpc(1301, ['x']), rpc(1302, [], { kind: 'note' }), rpc(4242, []), protocol.encode({ type: 6 } as never)]

beforeAll(async () => {
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-fuzz-rpc-')), logToConsole: false, logLevel: 'silent', adminPassword: 'fuzz-admin-pw', timing: { source: 'none' } }))
})
afterAll(() => core.stop())

/** Sends one frame after the handshake; resolves with what happened. */
function probe(frame: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(core.url.replace('http', 'ws') + '/hubs/rpc')
    let handshaken = false
    let outcome: string | undefined
    const done = (o: string) => {
      if (outcome) return
      outcome = o
      clearTimeout(timer)
      ws.terminate()
      resolve(o)
    }
    const timer = setTimeout(() => done('silent'), 400)
    ws.on('open', () => ws.send('{"protocol":"acbinary","version":1}\x1e'))
    ws.on('message', (data: Buffer, isBinary) => {
      if (!handshaken) {
        handshaken = !isBinary && data.toString() === '{}\x1e'
        if (!handshaken) return done(`bad handshake answer ${data.toString()}`)
        return ws.send(frame)
      }
      let msgs
      try {
        msgs = protocol.parseMessages(new Uint8Array(data))
      } catch (err) {
        return done(`server sent garbage: ${(err as Error).message}`)
      }
      for (const m of msgs) {
        if (m.type === 7) return done(m.error?.includes('InvalidDataException') ? 'closed: protocol error' : `closed: ${m.error}`)
        if (m.type === 1 && m.target === 'OnReceiveMessage') return done(`answered ${(m.arguments[2] as { Status?: number }).Status === 1 ? 'ok' : (m.arguments[3] as { code: string }).code}`)
        if (m.type === 3) return done(m.error ? 'completion error' : 'completion')
      }
    })
    ws.on('close', () => done(handshaken ? 'closed' : 'closed before handshake'))
    ws.on('error', () => done('socket error'))
  })
}

describe('fuzz: acbinary frames into /hubs/rpc', () => {
  it('answers, stays silent for valid no-reply messages, or closes with a protocol error; never crashes', async () => {
    const t = tally('rpc-acbinary')
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((body) => {
        const f = new Uint8Array(body.length + 4)
        new DataView(f.buffer).setUint32(0, body.length, true)
        f.set(body, 4)
        return f
      }),
      fc.tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([v, edits, fix]) => {
        const b = v.slice()
        for (const [i, c] of edits) b[i % b.length] = c
        if (fix) new DataView(b.buffer).setUint32(0, b.length - 4, true)
        return b
      }),
      fc.tuple(fc.constantFrom(...VALID), fc.nat()).map(([v, cut]) => v.slice(0, 1 + (cut % (v.length - 1)))),
    )
    await fc.assert(
      fc.asyncProperty(hostile, async (frame) => {
        const o = await probe(frame)
        t.count(o.replace(/answered \w+/, (s) => s))
        expect(o).toMatch(/^(closed: protocol error|answered \w+|silent|completion( error)?)$/)
      }),
      { seed: SEED, numRuns: runs(60) },
    )
    t.save()
    expect(t.answers['closed: protocol error']).toBeGreaterThan(0)
    // The hub still serves a well-behaved client.
    const c = new RpcClient({ url: `${core.url}/hubs/rpc` })
    await c.start()
    expect(await c.echo('alive')).toBe('alive')
    await c.stop()
  }, 120_000)
})
