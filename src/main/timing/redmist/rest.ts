// RedMist REST endpoints the official client uses (research/redmist.md §1.9), under /status/v2/Events.
// JSON or MessagePack by Accept (GetCurrentSessionState is MessagePack only, as on the real server);
// X-Event-Access-Code for a private event.
import { encode } from '@msgpack/msgpack'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { type CarPosition, emptyCar } from '../../../shared/timing.ts'
import type { CoreContext } from '../../core/engine.ts'
import type { TimingEngine } from '../engine.ts'
import { ACCESS_ERROR } from './hub.ts'
import { carControlLogsToArray, carControlLogsToJson, carToArray, carToJson, controlLogEntryToArray, controlLogEntryToJson, inCarToArray, inCarToJson, sessionToArray, sessionToJson, toV1Payload } from './wire.ts'

export const REST_PREFIX = '/status/v2/Events'
const MSGPACK = 'application/x-msgpack'

type Req = FastifyRequest<{ Querystring: Record<string, string | undefined> }>

export function mountRedMistRest(ctx: CoreContext, engine: TimingEngine): void {
  const app = ctx.lan.http
  const store = engine.store

  /** Reads and checks the query; null after replying with the error. */
  async function guard(req: Req, reply: FastifyReply, need: Array<'eventId' | 'sessionId' | 'carNumber' | 'car'>): Promise<Record<string, string> | null> {
    try {
      const p = await ctx.lan.principalOf(req)
      if (p.username === null && !ctx.config.anonymousRead) {
        reply.code(401).send({ error: 'Authentication required' })
        return null
      }
    } catch {
      reply.code(401).send({ error: 'Invalid token' })
      return null
    }
    const q: Record<string, string> = {}
    for (const k of need) {
      const v = req.query[k] ?? req.query[k.toLowerCase()]
      if (v === undefined || v === '' || v.length > 64) {
        reply.code(400).send({ error: `query parameter '${k}' is required` })
        return null
      }
      if ((k === 'eventId' || k === 'sessionId') && !/^\d{1,10}$/.test(v)) {
        reply.code(400).send({ error: `query parameter '${k}' must be an integer` })
        return null
      }
      q[k] = v
    }
    if (q.eventId !== undefined && Number(q.eventId) !== store.eventId) {
      reply.code(404).send({ error: `event ${q.eventId} not found` })
      return null
    }
    const code = ctx.config.timing.accessCode
    if (code && req.headers['x-event-access-code'] !== code) {
      reply.code(403).send({ error: ACCESS_ERROR })
      return null
    }
    return q
  }

  const wantsMsgpack = (req: FastifyRequest) => String(req.headers.accept ?? '').includes(MSGPACK)
  const send = (req: FastifyRequest, reply: FastifyReply, json: () => unknown, mp: () => unknown) => {
    if (wantsMsgpack(req)) return reply.type(MSGPACK).send(Buffer.from(encode(mp())))
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(json()))
  }
  const get = (action: string, need: Array<'eventId' | 'sessionId' | 'carNumber' | 'car'>, fn: (req: Req, reply: FastifyReply, q: Record<string, string>) => unknown) => {
    app.get(`${REST_PREFIX}/${action}`, async (req: Req, reply) => {
      const q = await guard(req, reply, need)
      if (!q) return reply
      return fn(req, reply, q)
    })
  }

  const event = () => {
    const s = store.session
    const sessions = [...store.sessions.values()].map(sessionJson)
    const track = engine.sourceObject?.track?.()
    return { e: s.eventId, n: s.eventName || ctx.config.name, d: s.sessionStartTime.slice(0, 10), u: '', s: sessions, on: ctx.config.name, ow: '', l: null, sc: null, t: track?.name ?? '', cc: '', di: track?.lengthMiles ? `${track.lengthMiles} mi` : '', b: null, hc: engine.controlLog.entries.length > 0, il: s.isLive, isSimulation: s.isSimulation, isArchived: false, organizationId: 0, priv: !!ctx.config.timing.accessCode, hn: false }
  }
  const sessionJson = (x: { sessionId: number; name: string; startTime: string; endTime: string | null; isPracticeQualifying: boolean }) => ({
    sid: x.sessionId,
    eid: store.eventId,
    n: x.name,
    st: x.startTime,
    et: x.endTime,
    tz: store.session.localTimeZoneOffset,
    lu: store.session.lastUpdated,
    il: x.sessionId === store.session.sessionId && store.session.isLive,
    pq: x.isPracticeQualifying,
  })
  const summary = () => {
    const s = store.session
    return { eid: s.eventId, oid: 0, on: ctx.config.name, en: s.eventName || ctx.config.name, ed: s.sessionStartTime.slice(0, 10), l: s.isLive, t: engine.sourceObject?.track?.().name ?? '', s: null, sim: s.isSimulation, arch: false, hasResults: false, priv: !!ctx.config.timing.accessCode, hn: false }
  }
  /** One CarPosition per completed lap (LoadCarLaps). */
  const lapCars = (number: string): CarPosition[] => {
    const base = store.cars.get(number) ?? emptyCar(number)
    return store.carLaps(number).map((l) => ({ ...base, lastLapCompleted: l.lap, lastLapTime: l.lapTime, overallPosition: l.overallPosition, classPosition: l.classPosition, totalTime: l.totalTime, trackFlag: l.flag, lapIncludedPit: l.pitted }))
  }

  // Listing endpoints need no event id; the local event is the only live one.
  for (const action of ['LoadLiveEvents', 'LoadLiveAndRecentEvents']) {
    app.get(`${REST_PREFIX}/${action}`, async (req: Req, reply) => {
      const q = await guard(req, reply, [])
      if (!q) return reply
      const list = store.session.isLive || store.cars.size ? [summary()] : []
      return send(req, reply, () => list, () => list)
    })
  }
  get('LoadArchivedEvents', [], (req, reply) => send(req, reply, () => [], () => []))
  get('LoadEvent', ['eventId'], (req, reply) => send(req, reply, event, event))
  get('LoadSessions', ['eventId'], (req, reply) => send(req, reply, () => event().s, () => event().s))
  get('GetCurrentSessionStateJson', ['eventId'], (_req, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(sessionToJson(store.snapshot()))))
  get('GetCurrentSessionState', ['eventId'], (_req, reply) => reply.type(MSGPACK).send(Buffer.from(encode(sessionToArray(store.snapshot())))))
  get('GetCurrentLegacySessionPayload', ['eventId'], (req, reply) => {
    const p = () => toV1Payload(store.snapshot(), { eventName: store.session.eventName, full: true })
    return send(req, reply, p, p)
  })
  get('LoadCarLaps', ['eventId', 'sessionId', 'carNumber'], (req, reply, q) => {
    const laps = Number(q.sessionId) === store.session.sessionId ? lapCars(q.carNumber!) : []
    return send(req, reply, () => laps.map(carToJson), () => laps.map((c) => carToArray(c)))
  })
  get('LoadSessionLaps', ['eventId', 'sessionId'], (req, reply, q) => {
    const laps = Number(q.sessionId) === store.session.sessionId ? [...store.laps.keys()].flatMap(lapCars) : []
    return send(req, reply, () => laps.map(carToJson), () => laps.map((c) => carToArray(c)))
  })
  get('LoadControlLog', ['eventId'], (req, reply) => {
    const entries = engine.controlLog.entries
    return send(req, reply, () => entries.map(controlLogEntryToJson), () => entries.map(controlLogEntryToArray))
  })
  get('LoadCarControlLogs', ['eventId', 'car'], (req, reply, q) => {
    const l = { carNumber: q.car!, entries: engine.controlLog.forCar(q.car!) }
    return send(req, reply, () => carControlLogsToJson(l), () => carControlLogsToArray(l))
  })
  get('LoadInCarPayload', ['eventId', 'car'], (req, reply, q) => {
    const p = engine.inCar(q.car!)
    if (!p) return reply.code(404).send({ error: `car ${q.car} has no position` })
    return send(req, reply, () => inCarToJson(p), () => inCarToArray(p))
  })
  get('LoadFlags', ['eventId', 'sessionId'], (req, reply, q) => {
    const sid = Number(q.sessionId)
    const flags = sid === store.session.sessionId ? store.session.flagDurations : (store.sessions.get(sid)?.flagDurations ?? [])
    const json = () => flags.map((f) => ({ f: f.flag, s: f.startTime, e: f.endTime }))
    return send(req, reply, json, () => flags.map((f) => [f.flag, new Date(f.startTime), f.endTime ? new Date(f.endTime) : null]))
  })
}
