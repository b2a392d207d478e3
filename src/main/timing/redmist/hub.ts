// The RedMist-compatible StatusHub on our SignalR server (research/redmist.md §1.2–1.3, §1.6–1.7):
// V2 pushes (ReceiveSessionPatch, ReceiveCarPatches, ReceiveReset, ReceiveControlLog,
// ReceiveInCarUpdateV2) in the real server's encoding per protocol, and the legacy V1 ReceiveMessage
// stream (gzip+base64 full Payload on subscribe and every 5 s, JSON partials in between).
import { gzipSync } from 'node:zlib'
import { z } from 'zod'
import type { CarControlLogs, CarPosition, CarPositionPatch, ControlLogEntry, SessionStatePatch } from '../../../shared/timing.ts'
import type { CoreContext } from '../../core/engine.ts'
import { defineHub, type HubContext, HubError, method } from '../../signalr/index.ts'
import type { TimingEngine } from '../engine.ts'
import { carControlLogsToArray, carControlLogsToJson, carPatchToJson, carToArray, inCarToArray, inCarToJson, sessionPatchToJson, sessionToArray, toV1Payload } from './wire.ts'

export const STATUS_HUB_PATH = '/status/event-status'
const PROTOCOLS = ['json', 'messagepack'] as const

const eventIdArg = z.number().int().min(0).max(2 ** 31 - 1)
const codeArg = z.string().max(256).nullish()
const carArg = z.string().min(1).max(16)

/** Group names of the real server (Consts.cs); `:json`/`:messagepack` suffixes carry the per-protocol encoding. */
export const groups = {
  v2: (e: number) => `evt${e}-sub`,
  v1: (e: number) => `${e}`,
  controlLog: (e: number) => `${e}-cl`,
  carControlLog: (e: number, car: string) => `${e}-${car}`,
  inCar: (e: number, car: string) => `in-car-evt-${e}-car-${car}`,
  inCarV2: (e: number, car: string) => `in-car-evt-${e}-car-${car}v2`,
}

/** Groups one connection may join. */
export const MAX_SUBSCRIPTIONS = 64

export const ACCESS_ERROR = 'Access code required or invalid for this event.'

export interface StatusHubOptions {
  /** Consolidation window of patches (RedMist: 20 ms). */
  debounceMs?: number
  /** V1 full-payload period (RedMist V1: 5 s). */
  v1FullMs?: number
}

export class StatusHub {
  readonly hub: HubContext
  readonly #engine: TimingEngine
  readonly #debounceMs: number
  #pendingSession: Record<string, unknown> | null = null
  #pendingCars = new Map<string, Record<string, unknown>>()
  #pendingV1Cars = new Set<string>()
  #pendingV1Entries = false
  #timer: NodeJS.Timeout | null = null
  #v1Timer: NodeJS.Timeout
  /** group → subscribed connection ids (for in-car and V1 bookkeeping). */
  #members = new Map<string, Set<string>>()
  #lastInCar = new Map<string, string>()
  #lastCarLogs = new Map<string, string>()
  #offs: Array<() => void> = []
  sentSessionPatches = 0
  sentCarPatches = 0

  constructor(ctx: CoreContext, engine: TimingEngine, opts: StatusHubOptions = {}) {
    this.#engine = engine
    this.#debounceMs = opts.debounceMs ?? 20
    const join = (connId: string, proto: string | undefined, name: string) => {
      // Bounded: a client cannot grow the group tables without limit (car numbers are free text).
      let mine = 0
      for (const set of this.#members.values()) if (set.has(connId)) mine++
      if (mine >= MAX_SUBSCRIPTIONS && !this.#members.get(name)?.has(connId)) throw new HubError(`Too many subscriptions on one connection (max ${MAX_SUBSCRIPTIONS}).`)
      this.hub.addToGroup(connId, name)
      this.hub.addToGroup(connId, `${name}:${proto === 'messagepack' ? 'messagepack' : 'json'}`)
      let set = this.#members.get(name)
      if (!set) this.#members.set(name, (set = new Set()))
      set.add(connId)
    }
    const leave = (connId: string, name: string) => {
      this.hub.removeFromGroup(connId, name)
      for (const p of PROTOCOLS) this.hub.removeFromGroup(connId, `${name}:${p}`)
      const set = this.#members.get(name)
      set?.delete(connId)
      if (set && set.size === 0) this.#members.delete(name)
    }
    const check = (eventId: number, code: string | null | undefined) => {
      const required = ctx.config.timing.accessCode
      if (required && eventId === engine.store.eventId && code !== required) throw new HubError(ACCESS_ERROR)
    }
    const subscribeV2 = (connId: string, proto: string | undefined, eventId: number, code: string | null | undefined) => {
      check(eventId, code)
      join(connId, proto, groups.v2(eventId))
    }
    this.hub = ctx.signalr.addHub(
      STATUS_HUB_PATH,
      defineHub({
        methods: {
          SubscribeToEventV2: method([eventIdArg], (c, e) => subscribeV2(c.connection.connectionId, c.connection.protocol, e, null)),
          SubscribeToEventV2WithCode: method([eventIdArg, codeArg], (c, e, code) => subscribeV2(c.connection.connectionId, c.connection.protocol, e, code)),
          // The real server made this an alias of V2; clients written against the V1 spec also get ReceiveMessage.
          SubscribeToEvent: method([eventIdArg, codeArg], (c, e, code) => {
            subscribeV2(c.connection.connectionId, c.connection.protocol, e, code)
            if (ctx.config.timing.legacyV1) {
              join(c.connection.connectionId, c.connection.protocol, groups.v1(e))
              if (e === engine.store.eventId) this.hub.client(c.connection.connectionId).send('ReceiveMessage', this.#v1Full())
            }
          }),
          UnsubscribeFromEventV2: method([eventIdArg], (c, e) => leave(c.connection.connectionId, groups.v2(e))),
          UnsubscribeFromEvent: method([eventIdArg], (c, e) => {
            leave(c.connection.connectionId, groups.v2(e))
            leave(c.connection.connectionId, groups.v1(e))
          }),
          SubscribeToControlLogs: method([eventIdArg, codeArg], (c, e, code) => {
            check(e, code)
            join(c.connection.connectionId, c.connection.protocol, groups.controlLog(e))
          }),
          UnsubscribeFromControlLogs: method([eventIdArg], (c, e) => leave(c.connection.connectionId, groups.controlLog(e))),
          SubscribeToCarControlLogs: method([eventIdArg, carArg, codeArg], (c, e, car, code) => {
            check(e, code)
            join(c.connection.connectionId, c.connection.protocol, groups.carControlLog(e, car))
          }),
          UnsubscribeFromCarControlLogs: method([eventIdArg, carArg], (c, e, car) => leave(c.connection.connectionId, groups.carControlLog(e, car))),
          SubscribeToInCarDriverEvent: method([eventIdArg, carArg, codeArg], (c, e, car, code) => {
            check(e, code)
            join(c.connection.connectionId, c.connection.protocol, groups.inCar(e, car))
          }),
          UnsubscribeFromInCarDriverEvent: method([eventIdArg, carArg], (c, e, car) => leave(c.connection.connectionId, groups.inCar(e, car))),
          SubscribeToInCarDriverEventV2: method([eventIdArg, carArg, codeArg], (c, e, car, code) => {
            check(e, code)
            join(c.connection.connectionId, c.connection.protocol, groups.inCarV2(e, car))
          }),
          UnsubscribeFromInCarDriverEventV2: method([eventIdArg, carArg], (c, e, car) => leave(c.connection.connectionId, groups.inCarV2(e, car))),
        },
        onDisconnected: (conn) => {
          for (const [name, set] of this.#members) {
            if (set.delete(conn.connectionId) && set.size === 0) this.#members.delete(name)
          }
        },
      }),
      // As the real server: WebSockets only, 1 MiB messages, 3 parallel invocations.
      { transports: ['WebSockets'], permission: 'Timing_r', maxMessageBytes: 1024 * 1024, maxParallelInvocations: 3 },
    )
    const store = engine.store
    const onSession = (p: SessionStatePatch) => this.#queueSession(p)
    const onCars = (ps: CarPositionPatch[]) => this.#queueCars(ps)
    const onReset = () => this.#reset()
    store.on('session', onSession)
    store.on('cars', onCars)
    store.on('reset', onReset)
    this.#offs.push(() => store.off('session', onSession), () => store.off('cars', onCars), () => store.off('reset', onReset))
    this.#offs.push(engine.onControlLog((log) => this.#controlLog(log)))
    this.#v1Timer = setInterval(() => this.#v1Periodic(), opts.v1FullMs ?? 5000)
    this.#v1Timer.unref?.()
  }

  close(): void {
    for (const off of this.#offs) off()
    if (this.#timer) clearTimeout(this.#timer)
    clearInterval(this.#v1Timer)
  }

  #eventId(): number {
    return this.#engine.store.eventId
  }

  #queueSession(p: SessionStatePatch): void {
    this.#pendingSession = Object.assign(this.#pendingSession ?? {}, p)
    if (p.eventEntries) this.#pendingV1Entries = true
    this.#schedule()
  }

  #queueCars(ps: CarPositionPatch[]): void {
    for (const p of ps) {
      const cur = this.#pendingCars.get(p.number)
      if (cur) Object.assign(cur, p)
      else this.#pendingCars.set(p.number, { ...p })
      this.#pendingV1Cars.add(p.number)
    }
    this.#schedule()
  }

  #schedule(): void {
    if (!this.#timer) this.#timer = setTimeout(() => this.flush(), this.#debounceMs)
  }

  /** Sends the consolidated patches now (RedMist's UpdateConsolidator). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const e = this.#eventId()
    const sid = this.#engine.store.session.sessionId
    const g = groups.v2(e)
    const sp = this.#pendingSession as SessionStatePatch | null
    this.#pendingSession = null
    const flagChanged = sp?.currentFlag !== undefined && sp.currentFlag !== null
    if (sp) {
      this.hub.group(`${g}:json`).send('ReceiveSessionPatch', sessionPatchToJson(sp, e, sid))
      this.hub.group(`${g}:messagepack`).send('ReceiveSessionPatch', sessionToArray({ ...sp, eventId: e, sessionId: sid }, true))
      this.sentSessionPatches++
    }
    if (this.#pendingCars.size) {
      const es = String(e)
      const ss = String(sid)
      const list: CarPositionPatch[] = []
      // Patches whose only field is the number carry nothing (RedMist drops them too).
      for (const p of this.#pendingCars.values()) {
        for (const k in p) {
          if (k !== 'number') {
            list.push(p as CarPositionPatch)
            break
          }
        }
      }
      this.#pendingCars.clear()
      if (list.length) {
        this.hub.group(`${g}:json`).send('ReceiveCarPatches', list.map((p) => carPatchToJson(p, es, ss)))
        this.hub.group(`${g}:messagepack`).send('ReceiveCarPatches', list.map((p) => carToArray({ ...p, eventId: es, sessionId: ss }, true)))
        this.sentCarPatches += list.length
        this.#inCar(list, flagChanged)
      }
    } else if (flagChanged) this.#inCar([], true)
    this.#v1Partial()
  }

  #reset(): void {
    // Whatever was pending described the old state.
    this.#pendingSession = null
    this.#pendingCars.clear()
    this.#pendingV1Cars.clear()
    this.#lastInCar.clear()
    const e = this.#eventId()
    this.hub.group(groups.v2(e)).send('ReceiveReset')
    if (this.#members.has(groups.v1(e))) this.hub.group(groups.v1(e)).send('ReceiveMessage', JSON.stringify({ e, r: true }))
  }

  // ---- control log ----

  #controlLog(log: CarControlLogs): void {
    const e = this.#eventId()
    const g = groups.controlLog(e)
    this.hub.group(`${g}:json`).send('ReceiveControlLog', carControlLogsToJson(log))
    this.hub.group(`${g}:messagepack`).send('ReceiveControlLog', carControlLogsToArray(log))
    // Per car: only cars with subscribers whose entries changed (and only their memory is kept).
    const prefix = `${e}-`
    const seen = this.#lastCarLogs
    this.#lastCarLogs = new Map()
    for (const name of this.#members.keys()) {
      if (!name.startsWith(prefix) || name === g) continue
      const car = name.slice(prefix.length)
      const entries: ControlLogEntry[] = log.entries.filter((x) => x.car1 === car || x.car2 === car)
      const key = JSON.stringify(entries)
      this.#lastCarLogs.set(car, key)
      if (seen.get(car) === key) continue
      const carLog = { carNumber: car, entries }
      this.hub.group(`${name}:json`).send('ReceiveControlLog', carControlLogsToJson(carLog))
      this.hub.group(`${name}:messagepack`).send('ReceiveControlLog', carControlLogsToArray(carLog))
    }
  }

  // ---- in-car ----

  #inCar(changed: CarPositionPatch[], flagChanged: boolean): void {
    const e = this.#eventId()
    const lapDone = changed.some((p) => p.lastLapCompleted != null || p.overallPosition != null)
    if (!lapDone && !flagChanged) return
    const prefix = `in-car-evt-${e}-car-`
    for (const name of this.#lastInCar.keys()) if (!this.#members.has(name)) this.#lastInCar.delete(name)
    for (const name of this.#members.keys()) {
      if (!name.startsWith(prefix)) continue
      const v2 = name.endsWith('v2')
      const car = name.slice(prefix.length, v2 ? -2 : undefined)
      const payload = this.#engine.inCar(car)
      if (!payload) continue
      const json = inCarToJson(payload)
      const key = `${v2}:${JSON.stringify(json)}`
      if (this.#lastInCar.get(name) === key) continue
      this.#lastInCar.set(name, key)
      if (v2) {
        this.hub.group(`${name}:json`).send('ReceiveInCarUpdateV2', json)
        this.hub.group(`${name}:messagepack`).send('ReceiveInCarUpdateV2', inCarToArray(payload))
      } else this.hub.group(name).send('ReceiveInCarUpdate', gzipBase64(JSON.stringify(json)))
    }
  }

  // ---- legacy V1 ----

  #v1Full(): string {
    const store = this.#engine.store
    return gzipBase64(JSON.stringify(toV1Payload(store.snapshot(), { eventName: store.session.eventName, full: true })))
  }

  #v1Partial(): void {
    const e = this.#eventId()
    const name = groups.v1(e)
    if (!this.#members.has(name) || (this.#pendingV1Cars.size === 0 && !this.#pendingV1Entries)) {
      this.#pendingV1Cars.clear()
      this.#pendingV1Entries = false
      return
    }
    const store = this.#engine.store
    const cars: CarPosition[] = []
    for (const n of this.#pendingV1Cars) {
      const c = store.cars.get(n)
      if (c) cars.push(c)
    }
    const entries = this.#pendingV1Entries ? store.session.eventEntries : []
    this.#pendingV1Cars.clear()
    this.#pendingV1Entries = false
    this.hub.group(name).send('ReceiveMessage', JSON.stringify(toV1Payload({ ...store.session, carPositions: [] }, { eventName: store.session.eventName, full: false, changedCars: cars, changedEntries: entries })))
  }

  #v1Periodic(): void {
    const name = groups.v1(this.#eventId())
    const members = this.#members.get(name)
    if (!members?.size) return
    const full = this.#v1Full()
    // Staggered per connection like the V1 server (5000 ms / N, clamped to 2–50 ms).
    const step = Math.min(50, Math.max(2, 5000 / members.size))
    let i = 0
    for (const id of members) {
      const t = setTimeout(() => this.hub.client(id).send('ReceiveMessage', full), i++ * step)
      t.unref?.()
    }
  }
}

export function gzipBase64(text: string): string {
  return gzipSync(Buffer.from(text, 'utf8')).toString('base64')
}
