// The RedMist-compatible side of the timing room under hostile input, with a generated race running:
// REST /status/v2/Events/* with hostile query values and headers (documented 200/400/403/404, bodies that
// parse), and every StatusHub method invoked with wrong argument types over JSON and MessagePack (a
// precise hub error or a result, never "unexpected error", never a dropped connection). A subscribed
// bystander keeps receiving patches.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode } from '@msgpack/msgpack'
import { HttpTransportType, type HubConnection, HubConnectionBuilder, HubConnectionState, LogLevel } from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { hostileJson, LONG, runs, SEED, tally } from './lib.ts'

let core: Core
beforeAll(async () => {
  // Default timing source: the generated race, so state and patches exist while the fuzzer runs.
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-fuzz-rm-')), logToConsole: false, logLevel: 'silent', adminPassword: 'fuzz-admin-pw', device: { source: 'sim' } }))
})
afterAll(() => core.stop())

const ACTIONS = ['LoadLiveEvents', 'LoadLiveAndRecentEvents', 'LoadArchivedEvents', 'LoadEvent', 'LoadSessions', 'GetCurrentSessionStateJson', 'GetCurrentSessionState', 'GetCurrentLegacySessionPayload', 'LoadCarLaps', 'LoadSessionLaps', 'LoadControlLog', 'LoadCarControlLogs', 'LoadInCarPayload', 'LoadFlags']
const METHODS = ['SubscribeToEventV2', 'SubscribeToEventV2WithCode', 'SubscribeToEvent', 'UnsubscribeFromEventV2', 'UnsubscribeFromEvent', 'SubscribeToControlLogs', 'UnsubscribeFromControlLogs', 'SubscribeToCarControlLogs', 'UnsubscribeFromCarControlLogs', 'SubscribeToInCarDriverEvent', 'UnsubscribeFromInCarDriverEvent', 'SubscribeToInCarDriverEventV2', 'UnsubscribeFromInCarDriverEventV2']

const queryValue = fc.oneof(fc.constantFrom('1', '0', '-1', '2', 'abc', '', '1.5', '1e3', '99999999999999999999', '%00', '1 OR 1=1', '../1'), fc.string({ maxLength: 20 }), fc.integer().map(String))
const restRequest = fc.record({
  action: fc.oneof(fc.constantFrom(...ACTIONS), fc.string({ maxLength: 20 })),
  params: fc.dictionary(fc.constantFrom('eventId', 'sessionId', 'carNumber', 'car', 'x'), queryValue, { maxKeys: 4 }),
  msgpack: fc.boolean(),
  code: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
})

function hub(protocol: 'json' | 'messagepack'): HubConnection {
  const b = new HubConnectionBuilder().withUrl(`${core.url}/status/event-status`, { transport: HttpTransportType.WebSockets, skipNegotiation: true }).configureLogging(LogLevel.None)
  if (protocol === 'messagepack') b.withHubProtocol(new MessagePackHubProtocol())
  return b.build()
}

describe('fuzz: RedMist REST and StatusHub', () => {
  it('REST: every hostile query gets 200 with a parsable body, or 400/404 with an error', async () => {
    const t = tally('redmist-rest')
    await fc.assert(
      fc.asyncProperty(restRequest, async (r) => {
        const qs = new URLSearchParams(r.params).toString()
        const headers: Record<string, string> = {}
        if (r.msgpack) headers.accept = 'application/x-msgpack'
        if (r.code !== undefined) headers['x-event-access-code'] = r.code.replace(/[^\x20-\x7e]/g, '')
        const res = await fetch(`${core.url}/status/v2/Events/${encodeURIComponent(r.action)}?${qs}`, { headers, signal: AbortSignal.timeout(5000) })
        const body = Buffer.from(await res.arrayBuffer())
        t.count(String(res.status))
        expect([200, 400, 403, 404]).toContain(res.status)
        if (res.status === 200) {
          if ((res.headers.get('content-type') ?? '').includes('msgpack')) expect(() => decode(body)).not.toThrow()
          else expect(() => JSON.parse(body.toString())).not.toThrow()
        } else expect(JSON.parse(body.toString())).toMatchObject({ error: expect.any(String) })
      }),
      { seed: SEED, numRuns: runs(150, 5000) },
    )
    t.save()
  }, LONG ? 900_000 : 60_000)

  it.each(['json', 'messagepack'] as const)('StatusHub (%s): wrong argument types get a precise hub error; the connection and a subscribed bystander live on', async (protocol) => {
    const t = tally(`redmist-hub-${protocol}`)
    const bystander = hub(protocol)
    let patches = 0
    bystander.on('ReceiveCarPatches', () => patches++)
    bystander.on('ReceiveSessionPatch', () => patches++)
    await bystander.start()
    await bystander.invoke('SubscribeToEventV2', 1)
    const fuzzer = hub(protocol)
    await fuzzer.start()
    const call = fc.record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...METHODS) }, fc.string({ maxLength: 20 })),
      args: fc.array(fc.oneof(hostileJson, fc.integer(), fc.constantFrom(1, '1', null, 'car', -1, 2 ** 31)), { maxLength: 4 }),
    })
    await fc.assert(
      fc.asyncProperty(call, async ({ method, args }) => {
        if (fuzzer.state !== HubConnectionState.Connected) {
          t.count('DISCONNECTED')
          await fuzzer.start()
        }
        let kind: string
        try {
          await fuzzer.invoke(method, ...args)
          kind = 'ok'
        } catch (err) {
          const msg = (err as Error).message
          kind = /unexpected error/i.test(msg) ? `UNEXPECTED ${msg}` : msg.replace(/^An error occurred.*?HubException: /, '').replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 60)
        }
        t.count(kind)
        expect(kind).not.toMatch(/^UNEXPECTED/)
        expect(fuzzer.state).toBe(HubConnectionState.Connected)
      }),
      { seed: SEED, numRuns: runs(100, 3000) },
    )
    // The bystander still gets patches from the running race.
    const before = patches
    const end = Date.now() + 8000
    while (patches === before && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    expect(patches).toBeGreaterThan(before)
    await fuzzer.stop()
    await bystander.stop()
    t.save()
  }, LONG ? 900_000 : 60_000)
})
