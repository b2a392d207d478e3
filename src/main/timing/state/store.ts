import { EventEmitter } from 'node:events'
import {
  type CarPosition,
  type CarPositionPatch,
  emptyCar,
  emptySession,
  type LapRecord,
  parseTimeMs,
  type SessionState,
  type SessionStatePatch,
} from '../../../shared/timing.ts'

export interface TimingStoreEvents {
  /** Session-level patch (never carries carPositions). */
  session: [patch: SessionStatePatch]
  /** Car patches of one batch. */
  cars: [patches: CarPositionPatch[]]
  /** Everything was cleared (timing-system reset or a source switch): clients re-fetch the full state. */
  reset: []
}

/** Past sessions (LoadSessions / LoadFlags), newest last. */
export interface SessionInfo {
  sessionId: number
  name: string
  startTime: string
  endTime: string | null
  isPracticeQualifying: boolean
  flagDurations: SessionState['flagDurations']
}

const MAX_LAPS_PER_CAR = 5000
const MAX_CARS = 500
const MAX_SESSIONS = 100

/**
 * The one timing store: the current SessionState of one event plus lap history, fed by exactly one
 * source through V2 patches (null/absent = unchanged). Everyone else (UI API, RedMist hub, messaging)
 * reads it and follows its events.
 */
export class TimingStore extends EventEmitter<TimingStoreEvents> {
  session: SessionState
  readonly cars = new Map<string, CarPosition>()
  readonly laps = new Map<string, LapRecord[]>()
  readonly sessions = new Map<number, SessionInfo>()
  /** Patches applied since start (metrics, benches). */
  patchCount = 0
  /** Car patches for cars we hold no slot for once MAX_CARS is reached (dropped, counted). */
  droppedCars = 0

  constructor(eventId: number) {
    super()
    this.setMaxListeners(100)
    this.session = emptySession(eventId)
  }

  get eventId(): number {
    return this.session.eventId
  }

  applySession(patch: SessionStatePatch): void {
    const s = this.session as unknown as Record<string, unknown>
    let changed = false
    for (const k in patch) {
      if (k === 'carPositions') continue
      const v = (patch as Record<string, unknown>)[k]
      if (v === null || v === undefined) continue
      s[k] = v
      changed = true
    }
    if (!changed) return
    this.patchCount++
    this.#trackSession()
    this.emit('session', patch)
  }

  applyCars(patches: CarPositionPatch[]): void {
    if (patches.length === 0) return
    const applied: CarPositionPatch[] = []
    for (const p of patches) {
      if (typeof p?.number !== 'string' || p.number.length === 0) continue
      let car = this.cars.get(p.number)
      if (!car) {
        if (this.cars.size >= MAX_CARS) {
          this.droppedCars++
          continue
        }
        car = emptyCar(p.number)
        this.cars.set(p.number, car)
      }
      const prevLap = car.lastLapCompleted
      const c = car as unknown as Record<string, unknown>
      for (const k in p) {
        const v = (p as Record<string, unknown>)[k]
        if (v !== null && v !== undefined) c[k] = v
      }
      if (car.lastLapCompleted > prevLap) this.#lap(car)
      else if (car.lastLapCompleted < prevLap) this.#truncateLaps(car)
      applied.push(p)
    }
    this.patchCount += applied.length
    if (applied.length) this.emit('cars', applied)
  }

  /** Clears every car (a timing reset): the session header stays, cars come back with their next patches. */
  reset(keepLaps = false): void {
    this.cars.clear()
    if (!keepLaps) this.laps.clear()
    this.session.eventEntries = []
    this.emit('reset')
  }

  /** Starts over for a new source: empty session and board (clients get a reset, then the new header). */
  clear(eventId: number, eventName = ''): void {
    this.cars.clear()
    this.laps.clear()
    this.sessions.clear()
    this.session = { ...emptySession(eventId), eventName }
    this.emit('reset')
    const { carPositions: _cars, ...rest } = this.session
    this.emit('session', rest)
  }

  /**
   * Brings the store to a full state (RedMist REST resync, V1 full payload) and emits only the
   * differences as patches; a reset first when cars disappeared (patches cannot remove a car).
   */
  replace(state: SessionState): void {
    const { carPositions, ...rest } = state
    const incoming = new Map<string, CarPosition>()
    for (const car of carPositions ?? []) {
      if (!car || typeof car.number !== 'string' || !car.number) continue
      if (incoming.size >= MAX_CARS) break
      incoming.set(car.number, { ...emptyCar(car.number), ...car })
    }
    let removed = false
    for (const n of this.cars.keys()) if (!incoming.has(n)) removed = true
    if (removed) this.reset()
    const sp: Record<string, unknown> = {}
    let any = false
    const cur = this.session as unknown as Record<string, unknown>
    for (const [k, v] of Object.entries(rest)) {
      if (v === null || v === undefined) continue
      const old = cur[k]
      if (old === v || (typeof v === 'object' && JSON.stringify(old) === JSON.stringify(v))) continue
      sp[k] = v
      any = true
    }
    if (any) this.applySession(sp as SessionStatePatch)
    const patches: CarPositionPatch[] = []
    for (const [n, car] of incoming) {
      const old = this.cars.get(n)
      if (!old) {
        patches.push(car)
        continue
      }
      let p: Record<string, unknown> | null = null
      for (const k in car) {
        const v = (car as unknown as Record<string, unknown>)[k]
        const o = (old as unknown as Record<string, unknown>)[k]
        if (v === o || v === null || v === undefined) continue
        if (typeof v === 'object' && JSON.stringify(v) === JSON.stringify(o)) continue
        ;(p ??= { number: n })[k] = v
      }
      if (p) patches.push(p as CarPositionPatch)
    }
    this.applyCars(patches)
  }

  /** The full state, RedMist's GetCurrentSessionState shape. */
  snapshot(): SessionState {
    return { ...this.session, carPositions: [...this.cars.values()].map((c) => ({ ...c })) }
  }

  carLaps(number: string): LapRecord[] {
    return this.laps.get(number) ?? []
  }

  #lap(car: CarPosition): void {
    if (car.lastLapCompleted <= 0) return
    let list = this.laps.get(car.number)
    if (!list) this.laps.set(car.number, (list = []))
    const last = list[list.length - 1]
    if (last && last.lap >= car.lastLapCompleted) return
    list.push({
      lap: car.lastLapCompleted,
      lapTime: car.lastLapTime,
      lapTimeMs: parseTimeMs(car.lastLapTime) || 0,
      overallPosition: car.overallPosition,
      classPosition: car.classPosition,
      totalTime: car.totalTime,
      flag: car.trackFlag,
      pitted: car.lapIncludedPit || car.lastLapPitted === car.lastLapCompleted,
    })
    if (list.length > MAX_LAPS_PER_CAR) list.shift()
  }

  #truncateLaps(car: CarPosition): void {
    const list = this.laps.get(car.number)
    if (!list) return
    while (list.length && list[list.length - 1]!.lap > car.lastLapCompleted) list.pop()
  }

  #trackSession(): void {
    const s = this.session
    if (!s.sessionId && !s.sessionName) return
    let info = this.sessions.get(s.sessionId)
    if (!info) {
      for (const other of this.sessions.values()) if (other.endTime === null) other.endTime = s.lastUpdated ?? new Date().toISOString()
      info = { sessionId: s.sessionId, name: s.sessionName, startTime: s.sessionStartTime, endTime: null, isPracticeQualifying: s.isPracticeQualifying, flagDurations: [] }
      this.sessions.set(s.sessionId, info)
      if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!)
    }
    info.name = s.sessionName
    info.isPracticeQualifying = s.isPracticeQualifying
    info.flagDurations = s.flagDurations
    info.endTime = s.sessionEndTime
  }
}
