import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { endpoints, RedMistClient } from '../../../src/main/timing/redmist/client.ts'
import { carFrom, carPatchFrom, carToArray, carToJson, sessionPatchFrom, sessionToArray, sessionToJson } from '../../../src/main/timing/redmist/wire.ts'
import { parseSourceSpec } from '../../../src/main/timing/sources/spec.ts'
import { emptyCar, emptySession, type SessionState } from '../../../src/shared/timing.ts'

function client() {
  const out = { full: [] as SessionState[], session: [] as unknown[], cars: [] as unknown[][], resets: 0, warnings: [] as string[] }
  const c = new RedMistClient({ url: 'http://127.0.0.1:1/status/event-status', eventId: 5, protocol: 'json', resyncMs: 5000 }, {
    full: (s) => out.full.push(s),
    session: (p) => out.session.push(p),
    cars: (ps) => out.cars.push(ps),
    reset: () => out.resets++,
    controlLog: () => undefined,
    state: () => undefined,
    raw: () => undefined,
    warn: (m) => out.warnings.push(m),
  })
  return { c, out }
}

const v1Full = {
  e: 5,
  n: 'Race',
  es: { eid: '5', f: 1, ltg: 9999, ttg: '01:00:00', tt: '12:00:00', rt: '00:10:00', pq: false },
  ee: [{ no: '7', nm: 'A B', t: 'T', c: 'GT' }],
  eeu: [],
  cps: [{ n: '7', ovp: 1, ltm: '00:01:40.000', llp: 5 }],
  cpu: [],
  fd: [{ f: 1, s: '2025-01-01T12:00:00.000Z', e: null }],
  r: false,
}

describe('RedMist client: legacy V1 ReceiveMessage', () => {
  it('reads a gzip+base64 full payload, JSON partials, the t:"patch" form and {r:true}', () => {
    const { c, out } = client()
    c.legacy(gzipSync(JSON.stringify(v1Full)).toString('base64'))
    expect(out.full).toHaveLength(1)
    expect(out.full[0]).toMatchObject({ eventId: 5, eventName: 'Race', currentFlag: 1, timeToGo: '01:00:00', eventEntries: [{ number: '7', class: 'GT' }] })
    expect(out.full[0]!.carPositions[0]).toMatchObject({ number: '7', overallPosition: 1, lastLapCompleted: 5 })
    c.legacy(JSON.stringify({ e: 5, es: { f: 2 }, cpu: [{ n: '7', llp: 6 }], cps: [] }))
    expect(out.session.at(-1)).toMatchObject({ currentFlag: 2 })
    expect(out.cars.at(-1)).toEqual([expect.objectContaining({ number: '7', lastLapCompleted: 6 })])
    c.legacy(JSON.stringify({ t: 'patch', patches: [{ op: 'replace', path: '/cps/0/ovp', value: 2 }, { op: 'replace', path: '/__proto__/x', value: 1 }] }))
    expect(out.full.at(-1)!.carPositions[0]!.overallPosition).toBe(2)
    c.legacy(JSON.stringify({ e: 5, r: true }))
    expect(out.resets).toBe(1)
  })

  it('drops malformed messages with a reason', () => {
    const { c } = client()
    expect(() => c.legacy('H4sIgarbage')).toThrow()
    expect(() => c.legacy('{not json')).toThrow()
    expect(() => c.legacy(42)).toThrow()
  })
})

describe('wire round trips', () => {
  it('a car survives JSON (short keys) and MessagePack (arrays)', () => {
    const car = { ...emptyCar('99x'), overallPosition: 3, class: 'GT', lastLapTime: '00:01:32.456', pitEntryTime: '2025-01-01T12:00:00.000Z', isInPit: true, trackFlag: 2 as const }
    expect(carFrom(carToJson(car))).toEqual(car)
    expect(carFrom(carToArray(car))).toEqual(car)
    // As a patch, nulls mean "unchanged" and are dropped.
    expect(carPatchFrom(carToJson(car))).not.toHaveProperty('pitStopCount')
  })
  it('a session survives both encodings', () => {
    const s = { ...emptySession(4), sessionId: 3, sessionName: 'Q', eventEntries: [{ number: '1', name: 'n', team: 't', class: 'c' }], flagDurations: [{ flag: 1 as const, startTime: '2025-01-01T12:00:00.000Z', endTime: null }], carPositions: [emptyCar('1')] }
    for (const enc of [sessionToJson(s), sessionToArray(s)]) {
      const r = sessionPatchFrom(enc)!
      expect(r.patch).toMatchObject({ sessionId: 3, sessionName: 'Q', eventEntries: s.eventEntries, flagDurations: s.flagDurations })
      expect(r.cars).toEqual([emptyCar('1')])
    }
  })
  it('rejects wrongly typed values from a peer', () => {
    expect(carPatchFrom({ n: '1', ovp: 'x', bt: { evil: 1 }, ltm: 5 })).toEqual({ number: '1', lastLapTime: '5' })
    expect(carPatchFrom({ ovp: 1 })).toBeNull()
    expect(carPatchFrom('x')).toBeNull()
  })
})

describe('source specs and endpoints', () => {
  it('parses every documented form', () => {
    expect(parseSourceSpec('generator')).toEqual({ kind: 'generator' })
    expect(parseSourceSpec('rmonitor:10.0.0.5:50000')).toEqual({ kind: 'rmonitor', host: '10.0.0.5', port: 50000 })
    expect(parseSourceSpec('rmonitor:timing.local')).toEqual({ kind: 'rmonitor', host: 'timing.local', port: 50000 })
    expect(parseSourceSpec('replay:/x/y.txt@max')).toEqual({ kind: 'replay', file: '/x/y.txt', speed: 'max' })
    expect(parseSourceSpec('replay:/x/y.txt@5')).toEqual({ kind: 'replay', file: '/x/y.txt', speed: 5 })
    expect(parseSourceSpec('redmist:https://api.redmist.racing/status/event-status#123')).toEqual({ kind: 'redmist', url: 'https://api.redmist.racing/status/event-status', eventId: 123 })
    expect(parseSourceSpec('none')).toEqual({ kind: 'none' })
    for (const bad of ['rmonitor:', 'rmonitor:h:99999', 'replay:f@0', 'redmist:http://x', 'redmist:nope#1', 'telepathy']) expect(() => parseSourceSpec(bad)).toThrow()
  })
  it('finds hub and REST from a hub URL or a base URL', () => {
    expect(endpoints('https://api.redmist.racing/status/event-status')).toEqual({ hub: 'https://api.redmist.racing/status/event-status', rest: 'https://api.redmist.racing/status/v2/Events' })
    expect(endpoints('http://10.0.0.2:8080')).toEqual({ hub: 'http://10.0.0.2:8080/status/event-status', rest: 'http://10.0.0.2:8080/status/v2/Events' })
  })
})
