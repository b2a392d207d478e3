// RedMist wire shapes (research/redmist.md §2.9): full CarPosition objects use short JSON keys, patches
// and SessionState use camelCase long names with every key written (null = unchanged), enums are
// integers, and MessagePack carries [MessagePackObject] types as positional arrays (nil = unchanged).
// Both directions live here: the hub/REST server encodes, the RedMist client decodes.
import {
  CAR_FIELDS,
  type CarControlLogs,
  type CarPosition,
  type CarPositionPatch,
  CAR_STATUS_FIELDS,
  CONTROL_LOG_FIELDS,
  type ControlLogEntry,
  emptyCar,
  emptySession,
  type EventEntry,
  type FlagDuration,
  type InCarPayload,
  SESSION_KEYS,
  type SessionState,
  type SessionStatePatch,
} from '../../../shared/timing.ts'

type Obj = Record<string, unknown>

const SHORT_TO_LONG = new Map(CAR_FIELDS.map(([l, s]) => [s, l]))

// ---- nested types ----

const entryToJson = (e: EventEntry) => ({ no: e.number, nm: e.name, t: e.team, c: e.class })
const entryToArray = (e: EventEntry) => [e.number, e.name, e.team, e.class]
const flagToJson = (f: FlagDuration) => ({ f: f.flag, s: f.startTime, e: f.endTime })
const flagToArray = (f: FlagDuration) => [f.flag, toDate(f.startTime), f.endTime === null ? null : toDate(f.endTime)]

function toDate(iso: string | null | undefined): Date | null {
  if (!iso) return null
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? null : d
}
const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : null)
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : d)
const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : d)

function entryFrom(v: unknown): EventEntry | null {
  if (Array.isArray(v)) return { number: str(v[0]), name: str(v[1]), team: str(v[2]), class: str(v[3]) }
  if (v && typeof v === 'object') {
    const o = v as Obj
    return { number: str(o.no ?? o.number), name: str(o.nm ?? o.name), team: str(o.t ?? o.team), class: str(o.c ?? o.class) }
  }
  return null
}
function flagFrom(v: unknown): FlagDuration | null {
  if (Array.isArray(v)) return { flag: num(v[0]) as FlagDuration['flag'], startTime: iso(v[1]) ?? new Date(0).toISOString(), endTime: iso(v[2]) }
  if (v && typeof v === 'object') {
    const o = v as Obj
    return { flag: num(o.f ?? o.flag) as FlagDuration['flag'], startTime: iso(o.s ?? o.startTime) ?? new Date(0).toISOString(), endTime: iso(o.e ?? o.endTime) }
  }
  return null
}

// ---- CarPosition ----

/** A full car in JSON: short keys, all of them. */
export function carToJson(car: CarPosition): Obj {
  const o: Obj = {}
  for (const [long, short] of CAR_FIELDS) o[short] = car[long] ?? null
  return o
}

/** A car patch in JSON: camelCase long names, every key written, null = unchanged. */
export function carPatchToJson(p: CarPositionPatch, eventId?: string, sessionId?: string): Obj {
  const o: Obj = {}
  for (const [long] of CAR_FIELDS) {
    const v = (p as Obj)[long]
    o[long] = v === undefined ? null : v
  }
  if (eventId !== undefined) o.eventId = eventId
  if (sessionId !== undefined) o.sessionId = sessionId
  return o
}

const CAR_DATE_FIELDS = new Set<string>(['pitEntryTime'])

export function carToArray(car: CarPosition | CarPositionPatch, patch = false): unknown[] {
  const a = new Array<unknown>(CAR_FIELDS.length)
  for (let i = 0; i < CAR_FIELDS.length; i++) {
    const k = CAR_FIELDS[i]![0]
    let v = (car as Obj)[k]
    if (v === undefined) v = null
    if (v !== null && CAR_DATE_FIELDS.has(k)) v = toDate(v as string)
    a[i] = v
  }
  if (patch) a[2] = (car as CarPositionPatch).number
  return a
}

/** Any car shape a RedMist server may send (short-key JSON, long-key JSON, msgpack array) → a patch. */
export function carPatchFrom(v: unknown): CarPositionPatch | null {
  const out: Obj = {}
  if (Array.isArray(v)) {
    for (let i = 0; i < CAR_FIELDS.length && i < v.length; i++) {
      const x = v[i]
      if (x !== null && x !== undefined) out[CAR_FIELDS[i]![0]] = x instanceof Date ? x.toISOString() : x
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Obj)) {
      if (x === null || x === undefined) continue
      const long = SHORT_TO_LONG.get(k) ?? (CAR_FIELDS.some((f) => f[0] === k) ? k : undefined)
      if (long) out[long] = x
    }
  } else return null
  const n = out.number
  if (typeof n === 'number') out.number = String(n)
  else if (typeof n !== 'string' || !n || n.length > 16) return null
  return sanitizeCar(out) as CarPositionPatch
}

/** Keeps only values of the right type, so a bad peer cannot put an object where the board expects a string. */
function sanitizeCar(o: Obj): Obj {
  const template = emptyCar('') as unknown as Obj
  for (const k of Object.keys(o)) {
    const t = template[k]
    const v = o[k]
    if (t === null || t === undefined) {
      if (typeof v === 'object' && !Array.isArray(v) && k !== 'inCarVideo') delete o[k]
      continue
    }
    if (Array.isArray(t)) {
      if (!Array.isArray(v)) delete o[k]
    } else if (typeof t !== typeof v) {
      if (typeof t === 'string' && typeof v === 'number') o[k] = String(v)
      else delete o[k]
    } else if (typeof v === 'string' && v.length > 512) o[k] = v.slice(0, 512)
  }
  return o
}

export function carFrom(v: unknown): CarPosition | null {
  const p = carPatchFrom(v)
  return p ? ({ ...emptyCar(p.number), ...(p as Obj) } as CarPosition) : null
}

// ---- SessionState ----

export function sessionToJson(s: SessionState): Obj {
  const o: Obj = {}
  for (const k of SESSION_KEYS) o[k] = (s as unknown as Obj)[k] ?? null
  o.eventEntries = s.eventEntries.map(entryToJson)
  o.flagDurations = s.flagDurations.map(flagToJson)
  o.carPositions = s.carPositions.map(carToJson)
  return o
}

export function sessionPatchToJson(p: SessionStatePatch, eventId?: number, sessionId?: number): Obj {
  const o: Obj = {}
  for (const k of SESSION_KEYS) {
    const v = (p as Obj)[k]
    o[k] = v === undefined ? null : v
  }
  o.carPositions = null
  if (p.eventEntries) o.eventEntries = p.eventEntries.map(entryToJson)
  if (p.flagDurations) o.flagDurations = p.flagDurations.map(flagToJson)
  if (eventId !== undefined) o.eventId = eventId
  if (sessionId !== undefined) o.sessionId = sessionId
  return o
}

const SESSION_DATE_FIELDS = new Set<string>(['sessionStartTime', 'sessionEndTime', 'lastUpdated'])

export function sessionToArray(s: SessionState | SessionStatePatch, patch = false): unknown[] {
  return SESSION_KEYS.map((k) => {
    const v = (s as Obj)[k]
    if (v === undefined || v === null) return null
    if (k === 'eventEntries') return (v as EventEntry[]).map(entryToArray)
    if (k === 'flagDurations') return (v as FlagDuration[]).map(flagToArray)
    if (k === 'carPositions') return patch ? null : (v as CarPosition[]).map((c) => carToArray(c))
    if (SESSION_DATE_FIELDS.has(k)) return toDate(v as string)
    return v
  })
}

/** Any session shape (JSON object or msgpack array) → a patch with typed nested values; null when not an object. */
export function sessionPatchFrom(v: unknown): { patch: SessionStatePatch; cars: CarPosition[] | null } | null {
  let o: Obj
  if (Array.isArray(v)) {
    o = {}
    SESSION_KEYS.forEach((k, i) => (o[k] = v[i]))
  } else if (v && typeof v === 'object') o = v as Obj
  else return null
  const template = emptySession(0) as unknown as Obj
  const patch: Obj = {}
  let cars: CarPosition[] | null = null
  for (const k of SESSION_KEYS) {
    const x = o[k]
    if (x === null || x === undefined) continue
    if (k === 'carPositions') {
      if (Array.isArray(x)) cars = x.map(carFrom).filter((c): c is CarPosition => c !== null).slice(0, 500)
      continue
    }
    if (k === 'eventEntries') {
      if (Array.isArray(x)) patch[k] = x.map(entryFrom).filter(Boolean).slice(0, 500)
      continue
    }
    if (k === 'flagDurations') {
      if (Array.isArray(x)) patch[k] = x.map(flagFrom).filter(Boolean).slice(0, 100)
      continue
    }
    if (SESSION_DATE_FIELDS.has(k)) {
      patch[k] = iso(x)
      continue
    }
    const t = template[k]
    if (t === null || t === undefined || typeof t === typeof x || (Array.isArray(t) && Array.isArray(x))) patch[k] = x
    else if (typeof t === 'number' && typeof x === 'string' && Number.isFinite(Number(x))) patch[k] = Number(x)
  }
  return { patch: patch as SessionStatePatch, cars }
}

// ---- control log, in-car ----

export function controlLogEntryToJson(e: ControlLogEntry): Obj {
  const o: Obj = {}
  for (const [long, short] of CONTROL_LOG_FIELDS) o[short] = e[long]
  return o
}
export function controlLogEntryToArray(e: ControlLogEntry): unknown[] {
  return CONTROL_LOG_FIELDS.map(([long]) => (long === 'timestamp' ? toDate(e.timestamp) : e[long]))
}
export function carControlLogsToJson(l: CarControlLogs): Obj {
  return { cn: l.carNumber, entries: l.entries.map(controlLogEntryToJson) }
}
export function carControlLogsToArray(l: CarControlLogs): unknown[] {
  return [l.carNumber, l.entries.map(controlLogEntryToArray)]
}
export function controlLogEntryFrom(v: unknown): ControlLogEntry | null {
  const o: Obj = {}
  if (Array.isArray(v)) CONTROL_LOG_FIELDS.forEach(([long], i) => (o[long] = v[i]))
  else if (v && typeof v === 'object') for (const [long, short] of CONTROL_LOG_FIELDS) o[long] = (v as Obj)[short] ?? (v as Obj)[long]
  else return null
  return {
    orderId: num(o.orderId),
    timestamp: iso(o.timestamp) ?? '',
    corner: str(o.corner),
    car1: str(o.car1),
    isCar1Highlighted: o.isCar1Highlighted === true,
    car2: str(o.car2),
    isCar2Highlighted: o.isCar2Highlighted === true,
    note: str(o.note),
    status: str(o.status),
    penaltyAction: str(o.penaltyAction),
    otherNotes: str(o.otherNotes),
  }
}

export function inCarToJson(p: InCarPayload): Obj {
  return {
    n: p.number,
    p: p.classPosition,
    o: p.overallPosition,
    f: p.flag,
    c: p.cars.map((c) => {
      if (!c) return null
      const o: Obj = {}
      for (const [long, short] of CAR_STATUS_FIELDS) o[short] = c[long]
      return o
    }),
  }
}
export function inCarToArray(p: InCarPayload): unknown[] {
  return [p.number, p.classPosition, p.overallPosition, p.flag, p.cars.map((c) => (c ? CAR_STATUS_FIELDS.map(([long]) => c[long]) : null))]
}

// ---- legacy V1 Payload (research §2.10) ----

export interface V1Options {
  eventName: string
  /** Full payload: entries and every car; partial: only what changed. */
  full: boolean
  changedCars?: CarPosition[]
  changedEntries?: EventEntry[]
}

export function toV1Payload(s: SessionState, o: V1Options): Obj {
  const es = { eid: String(s.eventId), f: s.currentFlag, ltg: s.lapsToGo, ttg: s.timeToGo, tt: s.localTimeOfDay, rt: s.runningRaceTime, pq: s.isPracticeQualifying }
  if (o.full) {
    return { e: s.eventId, n: o.eventName, es, ee: s.eventEntries.map(entryToJson), eeu: [], cps: s.carPositions.map(carToJson), cpu: [], fd: s.flagDurations.map(flagToJson), r: false }
  }
  return { e: s.eventId, n: o.eventName, es, ee: [], eeu: (o.changedEntries ?? []).map(entryToJson), cps: [], cpu: (o.changedCars ?? []).map(carToJson), fd: null, r: false }
}

/** Reads a V1 Payload (full or partial) into a session patch + cars; `reset` for `{r:true}`. */
export function fromV1Payload(v: unknown): { reset: boolean; patch: SessionStatePatch; cars: CarPosition[]; full: boolean; entries: EventEntry[] | null } | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null
  const o = v as Obj
  const patch: Obj = {}
  if (typeof o.e === 'number') patch.eventId = o.e
  if (typeof o.n === 'string') patch.eventName = o.n
  const es = o.es as Obj | undefined
  if (es && typeof es === 'object') {
    if (es.f !== undefined && es.f !== null) patch.currentFlag = num(es.f)
    if (es.ltg !== undefined && es.ltg !== null) patch.lapsToGo = num(es.ltg)
    if (typeof es.ttg === 'string') patch.timeToGo = es.ttg
    if (typeof es.tt === 'string') patch.localTimeOfDay = es.tt
    if (typeof es.rt === 'string') patch.runningRaceTime = es.rt
    if (typeof es.pq === 'boolean') patch.isPracticeQualifying = es.pq
  }
  if (Array.isArray(o.fd)) patch.flagDurations = o.fd.map(flagFrom).filter(Boolean)
  const cps = Array.isArray(o.cps) ? o.cps : []
  const cpu = Array.isArray(o.cpu) ? o.cpu : []
  const full = cps.length > 0 || Array.isArray(o.ee) && (o.ee as unknown[]).length > 0
  const cars = [...cps, ...cpu].map(carFrom).filter((c): c is CarPosition => c !== null).slice(0, 500)
  const ee = Array.isArray(o.ee) && o.ee.length ? o.ee : Array.isArray(o.eeu) && o.eeu.length ? o.eeu : null
  const entries = ee ? (ee.map(entryFrom).filter(Boolean) as EventEntry[]) : null
  return { reset: o.r === true, patch: patch as SessionStatePatch, cars, full, entries }
}
