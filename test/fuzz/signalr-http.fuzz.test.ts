// Hostile HTTP into the SignalR transports of every hub: negotiate (methods, queries, bodies, headers),
// long polling (GET/POST/DELETE with hostile bodies and ids) and Server-Sent Events (POST bodies to an
// open stream). Every answer is a status the docs list (docs/api/signalr.md), never a 500 or a hang,
// and a bystander on the official client over long polling keeps working.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { hostileFrames, hostileJson, LONG, runs, SEED, tally } from './lib.ts'

let core: Core
let token: string
beforeAll(async () => {
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-fuzz-srh-')), logToConsole: false, logLevel: 'silent', adminPassword: 'fuzz-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }))
  token = (await core.ctx.auth.login('admin', 'fuzz-admin-pw', '127.0.0.5')).token
})
afterAll(() => core.stop())

const RS = '\x1e'
const HUBS = ['/hubs/diag', '/hubs/rpc', '/status/event-status']
// Every status docs/api/signalr.md names for these routes.
const NEGOTIATE_OK = new Set([200, 401, 403, 405, 503])
const CONNECTION_OK = new Set([200, 202, 204, 400, 404, 409, 413])

async function status(url: string, init: RequestInit, ms = 3000): Promise<number | 'timeout' | 'reset'> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(ms) })
    // Bodies are read to the end (a held poll is cut by the timeout, which is a valid answer too).
    await r.arrayBuffer().catch(() => undefined)
    return r.status
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? 'timeout' : 'reset'
  }
}

const handshakes = fc.oneof(
  fc.constantFrom('{"protocol":"json","version":1}\x1e', '{"protocol":"messagepack","version":1}\x1e', '{"protocol":"acbinary","version":1}\x1e', '{"protocol":"json","version":9}\x1e', '{}\x1e', '\x1e'),
  hostileJson.map((v) => JSON.stringify(v) + RS),
)
const VALID_JSON = ['{"type":1,"invocationId":"1","target":"Echo","arguments":[1]}\x1e', '{"type":6}\x1e', '{"type":7}\x1e', '{"type":4,"invocationId":"2","target":"Counter","arguments":[2,0]}\x1e']
const bodies = fc.oneof(hostileFrames(VALID_JSON), fc.constant('x'.repeat(40_000)), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)))
const headerSets = fc.record(
  { authorization: fc.constantFrom('Bearer ' + 'TOKEN', 'Bearer x.y.z', 'Basic Zm9v', ''), 'content-type': fc.constantFrom('text/plain', 'application/octet-stream', 'application/json', 'multipart/form-data'), accept: fc.constantFrom('*/*', 'text/event-stream') },
  { requiredKeys: [] },
)
const withToken = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.replace('TOKEN', token)]))

const scenario = fc.oneof(
  // negotiate with anything
  fc.record({ kind: fc.constant('negotiate' as const), hub: fc.constantFrom(...HUBS), method: fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'OPTIONS'), query: fc.oneof(fc.constantFrom('', '?negotiateVersion=1', '?negotiateVersion=-1', '?negotiateVersion=1e309', '?negotiateVersion=1&useStatefulReconnect=true', '?negotiateVersion=abc'), fc.string({ maxLength: 40 }).map((s) => '?' + encodeURIComponent(s))), headers: headerSets, body: fc.option(bodies, { nil: undefined }) }),
  // a real connection, then hostile bodies over long polling or SSE
  fc.record({ kind: fc.constant('connection' as const), hub: fc.constantFrom(...HUBS), sse: fc.boolean(), handshake: handshakes, posts: fc.array(bodies, { minLength: 1, maxLength: 3 }), end: fc.constantFrom('DELETE', 'GET', 'none') }),
  // an id that is not (or no longer) a connection
  fc.record({ kind: fc.constant('badId' as const), hub: fc.constantFrom(...HUBS), method: fc.constantFrom('GET', 'POST', 'DELETE'), id: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('')), body: bodies }),
)

describe('fuzz: SignalR negotiate, long polling and SSE', () => {
  it('every request gets a documented status; no 500, no hang; the bystander keeps working', async () => {
    const t = tally('signalr-http')
    const bystander = new HubConnectionBuilder()
      .withUrl(`${core.url}/hubs/diag`, { transport: HttpTransportType.LongPolling, accessTokenFactory: () => token })
      .configureLogging(LogLevel.None)
      .build()
    await bystander.start()
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const base = `${core.url}${s.hub}`
        if (s.kind === 'negotiate') {
          const st = await status(`${base}/negotiate${s.query}`, { method: s.method, headers: withToken(s.headers), body: s.method === 'GET' || s.method === 'OPTIONS' ? undefined : s.body })
          t.count(`negotiate ${st}`)
          // OPTIONS without an Origin is answered like a preflight (204).
          expect(NEGOTIATE_OK.has(st as number) || (s.method === 'OPTIONS' && st === 204)).toBe(true)
          return
        }
        if (s.kind === 'badId') {
          const st = await status(`${base}?id=${encodeURIComponent(s.id)}`, { method: s.method, body: s.method === 'POST' ? s.body : undefined, headers: { authorization: `Bearer ${token}` } })
          t.count(`bad-id ${s.method} ${st}`)
          expect(s.id === '' ? st === 400 : st === 404).toBe(true)
          return
        }
        const auth = { authorization: `Bearer ${token}` }
        const neg = await fetch(`${base}/negotiate?negotiateVersion=1`, { method: 'POST', headers: auth })
        const { connectionToken } = (await neg.json()) as { connectionToken: string }
        const url = `${base}?id=${encodeURIComponent(connectionToken)}`
        let stream: Response | undefined
        if (s.sse) {
          // Open the event stream (or learn that this hub has no SSE: 404).
          try {
            stream = await fetch(url, { headers: { ...auth, accept: 'text/event-stream' }, signal: AbortSignal.timeout(3000) })
            t.count(`sse-open ${stream.status}`)
            expect(CONNECTION_OK.has(stream.status)).toBe(true)
          } catch {
            t.count('sse-open timeout')
            expect.unreachable('SSE open hung')
          }
        } else {
          const first = await status(url, { headers: auth })
          t.count(`lp-open ${first}`)
          expect(CONNECTION_OK.has(first as number)).toBe(true)
        }
        const mode = s.sse ? 'sse' : 'lp'
        for (const body of [s.handshake, ...s.posts]) {
          const st = await status(url, { method: 'POST', headers: auth, body })
          t.count(`${mode}-post ${st}`)
          expect(CONNECTION_OK.has(st as number)).toBe(true)
        }
        if (!s.sse && s.end === 'GET') {
          const st = await status(url, { headers: auth }, 300)
          t.count(`lp-poll ${st}`)
          expect(st === 'timeout' || CONNECTION_OK.has(st as number)).toBe(true)
        }
        const del = await status(url, { method: 'DELETE', headers: auth })
        t.count(`${mode}-delete ${del}`)
        expect(CONNECTION_OK.has(del as number)).toBe(true)
        await stream?.body?.cancel().catch(() => undefined)
      }),
      { seed: SEED, numRuns: runs(60, 2000) },
    )
    expect(await bystander.invoke('Echo', 'still here')).toBe('still here')
    await bystander.stop()
    // Closed long-polling connections hand out their Close message for 10 s, then go: measure after that.
    if (LONG) await new Promise((r) => setTimeout(r, 11_000))
    t.save()
  }, LONG ? 900_000 : 60_000)
})
