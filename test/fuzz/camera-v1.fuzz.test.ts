// Hostile frames into the camera API v1 (/api/v1): writes, batches, gets and login messages (password and
// token) with wrong types, mutated and truncated JSON, binary junk. Every message the server sends back
// must be one of the shapes docs/api/camera-v1.md lists, the socket stays open (except the documented
// 1009 for oversized frames), and a logged-in bystander keeps reading and writing.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CAMERA_KEY_NAMES } from '../../src/shared/camera-keys.ts'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { hostileFrames, hostileJson, LONG, runs, SEED, tally } from './lib.ts'

let core: Core
let token: string

beforeAll(async () => {
  core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-fuzz-v1-')), logToConsole: false, logLevel: 'silent', adminPassword: 'fuzz-admin-pw', timing: { source: 'none' }, device: { source: 'sim' }, camera: { rateLimit: 10_000 } }),
  )
  await core.ctx.auth.createUser({ username: 'fuzz-op', password: 'fuzz-op-password', role: 'operator' })
  token = (await core.ctx.auth.issue('fuzz-op', 'operator')).token
})
afterAll(() => core.stop())

const KEY_ERRORS = new Set(['Unknown key', 'Read-only', 'Permission denied', 'Invalid value', 'Not supported by device', 'Refused by device', 'Device timeout', 'Device unavailable'])
const MESSAGE_ERRORS = new Set(['Invalid JSON', 'Rate limit exceeded', 'Invalid value'])
const AUTH_ERRORS = /^(Authentication failed|Invalid token|Token expired|Session expired|Too many failed logins; retry in \d+ s)$/
const KEYS = new Set<string>(CAMERA_KEY_NAMES)

/** The documented kind of one server message, or 'UNDOCUMENTED …'. */
function kindOf(m: Record<string, unknown>): string {
  if ('authenticated' in m) {
    if (m.authenticated === true) return 'authenticated'
    return AUTH_ERRORS.test(String(m.error)) ? `auth-failed ${String(m.error).replace(/\d+/, 'N')}` : `UNDOCUMENTED ${JSON.stringify(m)}`
  }
  if ('error' in m) {
    const e = String(m.error)
    if ('key' in m ? KEY_ERRORS.has(e) && typeof m.message === 'string' : MESSAGE_ERRORS.has(e)) return e
    return `UNDOCUMENTED ${JSON.stringify(m).slice(0, 200)}`
  }
  const keys = Object.keys(m).filter((k) => k !== 'info')
  if (keys.every((k) => KEYS.has(k))) return 'info' in m ? 'confirmed' : 'values'
  return `UNDOCUMENTED ${JSON.stringify(m).slice(0, 200)}`
}

function open(withToken: boolean): Promise<{ ws: WebSocket; inbox: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${core.url.replace('http', 'ws')}/api/v1${withToken ? `?token=${token}` : ''}`)
    const inbox: Record<string, unknown>[] = []
    ws.on('message', (d, bin) => inbox.push(bin ? { UNDOCUMENTED: 'binary' } : (JSON.parse(String(d)) as Record<string, unknown>)))
    ws.once('open', () => resolve({ ws, inbox }))
    ws.once('error', reject)
  })
}

/** Sends `frame` then a sentinel `get`; resolves once the sentinel's answer is in (or a close, or 2 s). */
function exchange(ws: WebSocket, inbox: Record<string, unknown>[], frame: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const started = inbox.length
    const done = (end: string) => {
      clearInterval(poll)
      ws.off('close', onClose)
      resolve(end)
    }
    const onClose = (code: number) => done(`closed ${code}`)
    const poll = setInterval(() => {
      if (inbox.slice(started).some((m) => 'jpeg-quality' in m && !('info' in m) && Object.keys(m).length === 1)) done('ok')
    }, 2)
    setTimeout(() => done('timeout'), 2000)
    ws.once('close', onClose)
    ws.send(frame)
    if (ws.readyState === ws.OPEN) ws.send('{"get":["jpeg-quality"]}')
  })
}

const key = fc.oneof(fc.constantFrom(...CAMERA_KEY_NAMES, 'noise-suppression', 'get', 'info', '__proto__', 'constructor'), fc.string({ maxLength: 20 }))
const value = fc.oneof(hostileJson, fc.integer({ min: -5, max: 200 }), fc.constantFrom(true, false, 'on', 'off', 'pause', 'pause_release', 'start', 'stop', '1920x1080', 'auto', 'manual', 'side-by-side'))
const writes = fc.dictionary(key, value, { maxKeys: 6 }).map((o) => JSON.stringify(o))
const gets = fc.oneof(fc.array(key, { maxLength: 70 }), hostileJson).map((g) => JSON.stringify({ get: g }))
const logins = fc.oneof(
  fc.record({ username: fc.oneof(fc.constantFrom('admin', 'fuzz-op'), hostileJson), password: fc.oneof(fc.constantFrom('wrong-password', 'fuzz-op-password'), hostileJson) }),
  fc.record({ token: fc.oneof(fc.constantFrom('TOKEN', 'a.b.c', ''), hostileJson) }),
).map((o) => JSON.stringify(o))
const VALID = ['{"brightness":40}', '{"get":["record"]}', '{"record":"on"}', '{"contrast":60,"gain":3}', '{"username":"fuzz-op","password":"fuzz-op-password"}']

describe('fuzz: camera API v1', () => {
  it('answers every hostile frame with documented messages only; never closes but for 1009; the bystander keeps working', async () => {
    const t = tally('camera-v1')
    const fuzzer = await open(true)
    const bystander = await open(true)
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: writes }, gets, logins, hostileFrames(VALID)), async (frame) => {
        if (fuzzer.ws.readyState !== WebSocket.OPEN) Object.assign(fuzzer, await open(true))
        const from = fuzzer.inbox.length
        // The real token is known only once the core runs: logins with 'TOKEN' use it.
        const end = await exchange(fuzzer.ws, fuzzer.inbox, typeof frame === 'string' ? frame.replace('"TOKEN"', JSON.stringify(token)) : frame)
        const kinds = fuzzer.inbox.slice(from).map(kindOf)
        for (const k of kinds) t.count(k)
        if (end !== 'ok') t.count(end)
        expect(kinds.filter((k) => k.startsWith('UNDOCUMENTED'))).toEqual([])
        expect(end).toBe('ok')
        // Classified: drop them, so the heap figure measures the server, not this test's inbox.
        fuzzer.inbox.length = 0
      }),
      { seed: SEED, numRuns: runs(150, 5000) },
    )
    // An oversized frame: close 1009, as documented.
    expect(await exchange(fuzzer.ws, fuzzer.inbox, JSON.stringify({ brightness: 'x'.repeat(70_000) }))).toBe('closed 1009')
    t.count('closed 1009')
    // The bystander still reads and writes.
    const from = bystander.inbox.length
    expect(await exchange(bystander.ws, bystander.inbox, '{"brightness":41}')).toBe('ok')
    await new Promise((r) => setTimeout(r, 100))
    expect(bystander.inbox.slice(from)).toContainEqual({ brightness: 41, info: ['brightness'] })
    fuzzer.ws.terminate()
    bystander.ws.terminate()
    t.save()
  }, LONG ? 900_000 : 60_000)
})
