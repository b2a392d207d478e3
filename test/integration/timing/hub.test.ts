// Our RedMist-compatible hub and REST, driven by the official @microsoft/signalr client in both protocols.
import { gunzipSync } from 'node:zlib'
import { HttpTransportType, type HubConnection, HubConnectionBuilder, LogLevel } from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'
import { decode } from '@msgpack/msgpack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReplaySource } from '../../../src/main/timing/sources/rmonitor.ts'
import { CAR_FIELDS, SESSION_KEYS } from '../../../src/shared/timing.ts'
import { capturePath } from '../../helpers/shared.ts'
import { startCore, type TestCore, until } from './helpers.ts'

let a: TestCore
const conns: HubConnection[] = []

function connect(protocol: 'json' | 'messagepack', url = a.core.url): HubConnection {
  const b = new HubConnectionBuilder()
    .withUrl(`${url}/status/event-status`, { transport: HttpTransportType.WebSockets, skipNegotiation: true })
    .configureLogging(LogLevel.None)
  if (protocol === 'messagepack') b.withHubProtocol(new MessagePackHubProtocol())
  const c = b.build()
  conns.push(c)
  return c
}

function next<T>(c: HubConnection, target: string, pred: (x: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${target}`)), 5000)
    const h = (x: T) => {
      if (!pred(x)) return
      clearTimeout(t)
      c.off(target, h)
      resolve(x)
    }
    c.on(target, h)
  })
}

beforeAll(async () => {
  a = await startCore({ source: `replay:${capturePath('redmist-TestGap.txt')}@max`, record: false })
  await (a.timing.sourceObject as ReplaySource).done
})
afterAll(async () => {
  await Promise.all(conns.map((c) => c.stop()))
  await a.stop()
})

describe('StatusHub with the official client', () => {
  it('JSON: car patches in camelCase with every key (null = unchanged), session patches likewise', async () => {
    const c = connect('json')
    await c.start()
    await c.invoke('SubscribeToEventV2', 1)
    const car = [...a.timing.store.cars.values()][0]!
    const got = next<Array<Record<string, unknown>>>(c, 'ReceiveCarPatches')
    const gotS = next<Record<string, unknown>>(c, 'ReceiveSessionPatch')
    a.timing.store.applyCars([{ number: car.number, lastLapTime: '00:01:59.999', overallGap: '9.999' }])
    a.timing.store.applySession({ timeToGo: '00:42:00' })
    const [p] = await got
    expect(Object.keys(p!)).toEqual(CAR_FIELDS.map((f) => f[0]))
    expect(p).toMatchObject({ number: car.number, lastLapTime: '00:01:59.999', overallGap: '9.999', eventId: '1', overallPosition: null, bestTime: null })
    expect(typeof p!.sessionId).toBe('string')
    const s = await gotS
    expect(Object.keys(s).sort()).toEqual([...SESSION_KEYS].sort())
    expect(s).toMatchObject({ timeToGo: '00:42:00', eventId: 1, carPositions: null, currentFlag: null })
  })

  it('MessagePack: positional arrays, nil = unchanged, enums as integers', async () => {
    const c = connect('messagepack')
    await c.start()
    await c.invoke('SubscribeToEventV2WithCode', 1, null)
    const car = [...a.timing.store.cars.values()][1]!
    const got = next<unknown[][]>(c, 'ReceiveCarPatches')
    a.timing.store.applyCars([{ number: car.number, trackFlag: 2, overallPosition: 77 }])
    const [arr] = await got
    expect(arr).toHaveLength(CAR_FIELDS.length)
    expect(arr![2]).toBe(car.number)
    expect(arr![38]).toBe(2)
    expect(arr![20]).toBe(77)
    expect(arr![5]).toBeNull()
  })

  it('ReceiveReset on a timing reset; unsubscribe stops pushes', async () => {
    const c = connect('json')
    await c.start()
    await c.invoke('SubscribeToEvent', 1)
    const reset = next<undefined>(c, 'ReceiveReset', () => true)
    a.timing.store.emit('reset')
    await reset
    await c.invoke('UnsubscribeFromEventV2', 1)
    let count = 0
    c.on('ReceiveCarPatches', () => count++)
    a.timing.store.applyCars([{ number: [...a.timing.store.cars.keys()][0]!, lastLapTime: '00:02:00.000' }])
    await new Promise((r) => setTimeout(r, 200))
    expect(count).toBe(0)
  })

  it('legacy V1: gzip+base64 full Payload on subscribe, JSON partials after', async () => {
    const c = connect('json')
    await c.start()
    const full = next<string>(c, 'ReceiveMessage')
    await c.invoke('SubscribeToEvent', 1)
    const text = await full
    expect(text.startsWith('H4sI')).toBe(true)
    const payload = JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString())
    expect(payload).toMatchObject({ e: 1, es: { eid: '1' } })
    expect(payload.cps.length).toBe(a.timing.store.cars.size)
    expect(Object.keys(payload.cps[0])).toContain('ovp')
    const partial = next<string>(c, 'ReceiveMessage', (m) => !m.startsWith('H4sI'))
    const n = [...a.timing.store.cars.keys()][2]!
    a.timing.store.applyCars([{ number: n, lastLapTime: '00:01:11.111' }])
    const p = JSON.parse(await partial)
    expect(p.cpu).toEqual([expect.objectContaining({ n, ltm: '00:01:11.111' })])
  })

  it('legacy V1: a gzip+base64 full Payload every 5 s, and gzip in-car updates', async () => {
    const c = connect('json')
    await c.start()
    await c.invoke('SubscribeToEvent', 1)
    const car = [...a.timing.store.cars.values()].find((x) => x.classPosition === 2)!
    await c.invoke('SubscribeToInCarDriverEvent', 1, car.number, null)
    const inCar = next<string>(c, 'ReceiveInCarUpdate')
    a.timing.store.applyCars([{ number: car.number, lastLapCompleted: car.lastLapCompleted + 5 }])
    const p = JSON.parse(gunzipSync(Buffer.from(await inCar, 'base64')).toString())
    expect(p).toMatchObject({ n: car.number, p: '2' })
    const t0 = Date.now()
    const periodic = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no periodic full payload')), 7000)
      c.on('ReceiveMessage', (m: string) => {
        if (m.startsWith('H4sI')) {
          clearTimeout(t)
          resolve(m)
        }
      })
    })
    expect(Date.now() - t0).toBeLessThan(7000)
    expect(JSON.parse(gunzipSync(Buffer.from(periodic, 'base64')).toString()).cps.length).toBe(a.timing.store.cars.size)
  }, 15_000)

  it('control log: ReceiveControlLog for the event and the car, penalties folded into the car', async () => {
    const c = connect('messagepack')
    await c.start()
    const car = [...a.timing.store.cars.values()].find((x) => x.overallPosition === 3)!
    await c.invoke('SubscribeToControlLogs', 1, null)
    await c.invoke('SubscribeToCarControlLogs', 1, car.number, null)
    const all = next<unknown[]>(c, 'ReceiveControlLog', (l) => l[0] === '')
    const mine = next<unknown[]>(c, 'ReceiveControlLog', (l) => l[0] === car.number)
    a.timing.controlLog.add({ corner: 'T5', car1: car.number, isCar1Highlighted: true, car2: '', isCar2Highlighted: false, note: 'Avoidable contact', status: 'Penalty', penaltyAction: '1 Lap', otherNotes: '' })
    const [cn, entries] = await all
    expect(cn).toBe('')
    expect((entries as unknown[][])[0]![3]).toBe(car.number)
    expect((await mine)[0]).toBe(car.number)
    expect(a.timing.store.cars.get(car.number)!.penalityLaps).toBe(1)
  })

  it('in-car V2: ReceiveInCarUpdateV2 with [ahead in class, ahead other class, own, behind]', async () => {
    const c = connect('json')
    await c.start()
    const car = [...a.timing.store.cars.values()].find((x) => x.classPosition === 2)!
    await c.invoke('SubscribeToInCarDriverEventV2', 1, car.number, null)
    const got = next<Record<string, unknown>>(c, 'ReceiveInCarUpdateV2')
    a.timing.store.applyCars([{ number: car.number, lastLapCompleted: car.lastLapCompleted + 1 }])
    const p = await got
    expect(p).toMatchObject({ n: car.number, p: '2' })
    const cars = p.c as Array<Record<string, unknown> | null>
    expect(cars).toHaveLength(4)
    expect(cars[2]).toMatchObject({ n: car.number })
    expect(cars[0]).not.toBeNull()
  })

  it('rejects bad arguments with a hub error, not a crash', async () => {
    const c = connect('json')
    await c.start()
    await expect(c.invoke('SubscribeToEventV2', 'x')).rejects.toThrow(/argument 1/)
    await expect(c.invoke('SubscribeToEventV2')).rejects.toThrow()
    await c.invoke('SubscribeToEventV2', 1)
    for (let i = 0; i < 70; i++) {
      const r = c.invoke('SubscribeToCarControlLogs', 1, `c${i}`, null)
      if (i < 63) await r
      else await expect(r).rejects.toThrow(/Too many subscriptions/)
    }
  })
})

describe('REST /status/v2/Events', () => {
  const get = (action: string, query: string, headers: Record<string, string> = {}) => fetch(`${a.core.url}/status/v2/Events/${action}?${query}`, { headers })

  it('serves the full state as JSON (short car keys) and MessagePack (arrays)', async () => {
    const j = (await (await get('GetCurrentSessionStateJson', 'eventId=1')).json()) as Record<string, unknown>
    expect(Object.keys(j).sort()).toEqual([...SESSION_KEYS].sort())
    const cars = j.carPositions as Array<Record<string, unknown>>
    expect(cars.length).toBe(a.timing.store.cars.size)
    expect(Object.keys(cars[0]!)).toEqual(CAR_FIELDS.map((f) => f[1]))
    const r = await get('GetCurrentSessionState', 'eventId=1', { Accept: 'application/x-msgpack' })
    expect(r.headers.get('content-type')).toContain('application/x-msgpack')
    const m = decode(new Uint8Array(await r.arrayBuffer())) as unknown[]
    expect(m).toHaveLength(SESSION_KEYS.length)
    expect((m[14] as unknown[][])[0]).toHaveLength(CAR_FIELDS.length)
  })

  it('LoadLiveEvents, LoadEvent, LoadSessions, LoadCarLaps, LoadSessionLaps, LoadFlags, LoadControlLog, LoadCarControlLogs, LoadInCarPayload', async () => {
    const live = (await (await get('LoadLiveEvents', '')).json()) as Array<Record<string, unknown>>
    expect(live).toEqual([expect.objectContaining({ eid: 1 })])
    expect(await (await get('LoadEvent', 'eventId=1')).json()).toMatchObject({ e: 1, t: 'Circut Of The Americas', di: '3.426 mi' })
    const sessions = (await (await get('LoadSessions', 'eventId=1')).json()) as Array<{ sid: number }>
    const sid = a.timing.store.session.sessionId
    expect(sessions.map((s) => s.sid)).toContain(sid)
    const leader = [...a.timing.store.cars.values()].find((c) => c.overallPosition === 1)!
    const laps = (await (await get('LoadCarLaps', `eventId=1&sessionId=${sid}&carNumber=${leader.number}`)).json()) as Array<Record<string, unknown>>
    expect(laps.length).toBeGreaterThan(0)
    expect(laps.at(-1)).toMatchObject({ n: leader.number })
    expect(((await (await get('LoadSessionLaps', `eventId=1&sessionId=${sid}`)).json()) as unknown[]).length).toBeGreaterThan(laps.length)
    const flags = (await (await get('LoadFlags', `eventId=1&sessionId=${sid}`)).json()) as Array<{ f: number }>
    expect(flags.length).toBeGreaterThan(0)
    expect(Array.isArray(await (await get('LoadControlLog', 'eventId=1')).json())).toBe(true)
    expect(await (await get('LoadCarControlLogs', `eventId=1&car=${leader.number}`)).json()).toMatchObject({ cn: leader.number })
    expect(await (await get('LoadInCarPayload', `eventId=1&car=${leader.number}`)).json()).toMatchObject({ n: leader.number, o: '1' })
  })

  it('answers bad queries precisely', async () => {
    expect((await get('LoadEvent', '')).status).toBe(400)
    expect((await get('LoadEvent', 'eventId=abc')).status).toBe(400)
    expect((await get('LoadEvent', 'eventId=2')).status).toBe(404)
    expect((await get('LoadInCarPayload', 'eventId=1&car=nope')).status).toBe(404)
  })
})

describe('private events', () => {
  it('needs the access code on the hub and REST', async () => {
    const p = await startCore({ source: 'none', accessCode: 's3cret' })
    try {
      const c = connect('json', p.core.url)
      await c.start()
      await expect(c.invoke('SubscribeToEventV2', 1)).rejects.toThrow('Access code required or invalid for this event.')
      await expect(c.invoke('SubscribeToEventV2WithCode', 1, 'wrong')).rejects.toThrow('Access code required')
      await c.invoke('SubscribeToEventV2WithCode', 1, 's3cret')
      const url = `${p.core.url}/status/v2/Events/GetCurrentSessionStateJson?eventId=1`
      expect((await fetch(url)).status).toBe(403)
      expect((await fetch(url, { headers: { 'X-Event-Access-Code': 's3cret' } })).status).toBe(200)
      await c.stop()
    } finally {
      await p.stop()
    }
  })
})

export { until }
