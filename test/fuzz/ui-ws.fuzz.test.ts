import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { ConfigError, loadConfig, parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { uiApi } from '../../src/shared/ui-api/index.ts'
import { hostileFrames, hostileJson, LONG, runs, SEED, tally } from './lib.ts'

let core: Core
let url: string

beforeAll(async () => {
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-fuzz-')), logToConsole: false, logLevel: 'silent', adminPassword: 'fuzz-admin-pw', timing: { source: 'none' } }))
  url = core.url.replace('http', 'ws') + '/ui'
})
afterAll(() => core.stop())

function open(token?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(token ? `${url}?token=${token}` : url)
    ws.once('message', () => resolve(ws)) // hello
    ws.once('error', reject)
  })
}

/** Sends a frame and waits for the next answer, or a close, or 300 ms of silence. */
function probe(ws: WebSocket, frame: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const done = (kind: string) => {
      clearTimeout(timer)
      ws.off('message', onMsg)
      ws.off('close', onClose)
      resolve(kind)
    }
    const onMsg = (d: Buffer) => {
      const m = JSON.parse(String(d))
      done(m.t === 'error' ? `error:${m.error.code}` : m.t)
    }
    const onClose = (code: number) => done(`closed:${code}`)
    const timer = setTimeout(() => done('silent'), 300)
    ws.on('message', onMsg)
    ws.on('close', onClose)
    ws.send(frame)
  })
}

const VALID = [
  '{"t":"call","id":1,"method":"status.get","params":{}}',
  '{"t":"sub","id":2,"topic":"status","params":{}}',
  '{"t":"unsub","id":2}',
  '{"t":"call","id":3,"method":"logs.recent","params":{"limit":5}}',
]

describe('fuzz: UI API over WebSocket', () => {
  it('answers every hostile frame with a documented error; the socket and its neighbours keep working', async () => {
    const t = tally('ui-ws')
    let ws = await open()
    const bystander = await open()
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileFrames(VALID), fc.record({ t: fc.constantFrom('call', 'sub', 'unsub'), id: fc.oneof(fc.nat(), fc.double()), method: fc.string(), topic: fc.string(), params: hostileJson }).map((m) => JSON.stringify(m))), async (frame) => {
        if (ws.readyState !== ws.OPEN) ws = await open()
        const kind = await probe(ws, frame)
        t.count(kind)
        // A hostile frame gets an error or, for a valid subscription, its result; never a crash or 1011.
        // Errors carry only the codes docs/api/ui.md lists, and never `internal` (a handler that threw).
        if (kind.startsWith('error:')) expect(['unknown_method', 'unknown_topic', 'invalid_params', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'rate_limited', 'unavailable', 'bad_request']).toContain(kind.slice(6))
        return kind !== 'closed:1011' && kind !== 'closed:1006'
      }),
      { seed: SEED, numRuns: runs(300) },
    )
    // Oversized frame: closed with 1009, nothing else harmed.
    t.count(await probe(ws, 'x'.repeat(70_000)))
    expect(await probe(bystander, VALID[0]!)).toBe('result')
    ws.close()
    bystander.close()
    t.save()
  })

  it('as an admin, every command and topic with hostile params: a result or a documented error, never `internal`', async () => {
    const t = tally('ui-ws-admin')
    const { token } = await core.ctx.auth.issue('admin', 'admin')
    let ws = await open(token)
    const bystander = await open()
    const field = fc.oneof(hostileJson, fc.string({ maxLength: 20 }), fc.integer({ min: -2, max: 100 }), fc.constantFrom('none', 'sim', 'generator', 'admin', 'viewer', 'a.b', '1', 'note'))
    const params = fc.oneof(hostileJson, fc.dictionary(fc.constantFrom('spec', 'number', 'car', 'limit', 'topic', 'payload', 'username', 'password', 'role', 'changes', 'keys', 'id', 'kind', 'action', 'button', 'fault', 'text', 'name', 'since', 'target', 'message'), field, { maxKeys: 4 }))
    const call = fc.record({ t: fc.constantFrom('call', 'call', 'sub'), id: fc.nat({ max: 1e6 }), method: fc.constantFrom(...Object.keys(uiApi.commands)), topic: fc.constantFrom(...Object.keys(uiApi.topics)), params })
    await fc.assert(
      fc.asyncProperty(call, async (m) => {
        if (ws.readyState !== ws.OPEN) ws = await open(token)
        // Never delete the admin this test logs in as, nor turn this core into something else entirely.
        if (m.method === 'users.delete' || m.method === 'device.setSource' || m.method === 'timing.source.set') m.method = 'status.get'
        const kind = await probe(ws, JSON.stringify(m))
        t.count(kind)
        if (kind.startsWith('error:')) expect(['unknown_method', 'unknown_topic', 'invalid_params', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'rate_limited', 'unavailable', 'bad_request']).toContain(kind.slice(6))
        expect(kind).not.toMatch(/^closed/)
      }),
      { seed: SEED, numRuns: runs(200, 5000) },
    )
    expect(await probe(bystander, VALID[0]!)).toBe('result')
    ws.close()
    bystander.close()
    t.save()
  }, LONG ? 900_000 : 60_000)

  it('loads any config file into a valid config or one ConfigError line, never a crash', () => {
    const t = tally('config')
    const dir = mkdtempSync(join(tmpdir(), 'pw-fuzz-cfg-'))
    fc.assert(
      fc.property(fc.oneof(hostileJson, fc.dictionary(fc.constantFrom('port', 'host', 'camera', 'timing', 'redis', 'allowedOrigins', 'logLevel', 'name'), hostileJson)), (value) => {
        const file = join(dir, 'c.json')
        writeFileSync(file, JSON.stringify(value) ?? 'undefined')
        try {
          loadConfig({ file, env: {} })
          t.count('valid')
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err
          expect(err.message.split('\n')).toHaveLength(1)
          t.count('ConfigError')
        }
      }),
      { seed: SEED, numRuns: runs(500) },
    )
    t.save()
  })
})
