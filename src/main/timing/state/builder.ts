// RMonitor records → RedMist SessionState/CarPosition, emitted as V2 patches (null/absent = unchanged).
// Mirrors what the RedMist EventProcessor does with an Orbits feed (research/redmist.md §1.5, §4.1):
// $G sets position/laps/total time, $J the last lap, $H the best lap; gaps, class positions, best-lap
// flags and positions gained are derived once per batch, then each car is diffed against what was last
// emitted so a patch carries only what changed.
import {
  type CarPosition,
  type CarPositionPatch,
  emptyCar,
  emptySession,
  type EventEntry,
  type Flag,
  Flags,
  formatGap,
  INVALID,
  isPracticeQualifyingName,
  lapTerm,
  parseTimeMs,
  rmonitorFlag,
  type SessionState,
  type SessionStatePatch,
} from '../../../shared/timing.ts'
import type { RMonitorRecord } from '../rmonitor/parser.ts'

interface Competitor {
  regNo: string
  number: string
  transponder: number
  firstName: string
  lastName: string
  nationality: string
  classNo: number
  additional: string
}

/** One car plus what the builder needs beyond the CarPosition itself, and its pending patch. */
interface Slot {
  car: CarPosition
  lastSeenMs: number
  lastLapMs: number
  totalMs: number
  bestMs: number
  hasRaceInfo: boolean
  /** Fields changed since the last flush; `isNew` cars are emitted whole. */
  patch: Record<string, unknown> | null
  isNew: boolean
  /** Numeric form of each derived gap string last written (skips re-formatting unchanged gaps). */
  gapCodes: number[]
}

export interface BatchResult {
  /** A reset happened in this batch: consumers clear their cars before applying the patches below. */
  reset: boolean
  /** The reset came mid-race: lap histories stay (the cars come back with the same laps). */
  midRace?: boolean
  session: SessionStatePatch | null
  cars: CarPositionPatch[]
}

/**
 * A hostile or broken feed can name any number of cars and classes: past these, new ones are dropped
 * (counted in `capped`) so memory and the per-batch position sort stay bounded. Real fields are < 100 cars.
 */
export const MAX_BUILDER_CARS = 500
export const MAX_BUILDER_CLASSES = 200

export interface BuilderOptions {
  eventId: number
  eventName?: string
  isSimulation?: boolean
  /** A car not heard from for this many lap times (at least staleMinMs) is stale. */
  staleLaps?: number
  staleMinMs?: number
}

let isoSecond = NaN
let isoPrefix = ''
/** `new Date(ms).toISOString()` with the seconds part cached: called once per batch, thousands of times a second in a replay. */
function isoAt(ms: number): string {
  const sec = Math.floor(ms / 1000)
  if (sec !== isoSecond) {
    isoSecond = sec
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20)
  }
  const f = ms - sec * 1000
  return `${isoPrefix}${f < 10 ? '00' : f < 100 ? '0' : ''}${f}Z`
}

const STANDALONE_RESET_TIME = '00:00:00'
const STANDALONE_RESET_DATE = '0/0/0000'
const RUNNING_FLAGS = new Set<Flag>([Flags.Green, Flags.Yellow, Flags.WavingYellow, Flags.White])

type K = keyof CarPosition

/** Slots with a pending patch in the batch being processed (one builder runs at a time: JS is single-threaded). */
let touched: Slot[] = []

/** Sets a car field and records it in the car's pending patch when it changed (no diffing pass needed). */
function put<Key extends K>(slot: Slot, key: Key, value: CarPosition[Key]): void {
  const car = slot.car
  if (car[key] === value) return
  car[key] = value
  if (slot.isNew) return
  if (slot.patch === null) {
    slot.patch = {}
    touched.push(slot)
  }
  slot.patch[key] = value
}

export class SessionBuilder {
  readonly session: SessionState
  readonly #slots = new Map<string, Slot>()
  readonly #competitors = new Map<string, Competitor>()
  readonly #classes = new Map<number, string>()
  /** reg_no → car number (from $A/$COMP; reg_no itself otherwise). */
  readonly #numberOf = new Map<string, string>()
  #touched: Slot[] = []
  #sessionPatch: Record<string, unknown> | null = null
  #positionsDirty = false
  #bestDirty = false
  #entriesDirty = false
  #raceStarted = false
  #nowMs = 0
  #staleLaps: number
  #staleMinMs: number
  #sweepCounter = 0
  /** Last lap times kept across a mid-race reset (Orbits does not resend them). */
  #retained = new Map<string, { lastLapTime: string; lastLapMs: number; osp: number; icsp: number }>()
  trackName = ''
  trackLengthMiles = 0
  /** Records applied / ignored ($COR, standalone resets) so far. */
  applied = 0
  ignored = 0
  /** Records about cars or classes beyond MAX_BUILDER_CARS / MAX_BUILDER_CLASSES (dropped). */
  capped = 0

  constructor(opts: BuilderOptions) {
    this.session = emptySession(opts.eventId)
    this.session.eventName = opts.eventName ?? ''
    this.session.isSimulation = opts.isSimulation ?? false
    this.#staleLaps = opts.staleLaps ?? 3
    this.#staleMinMs = opts.staleMinMs ?? 90_000
    this.#sessionPatch = { ...this.session }
    delete this.#sessionPatch.carPositions
  }

  /** Cars by number (read-only view for tests and the in-process store). */
  get cars(): Map<string, CarPosition> {
    const m = new Map<string, CarPosition>()
    for (const [n, s] of this.#slots) m.set(n, s.car)
    return m
  }

  /** Applies one batch (the records of one `##` block, one TCP read, or up to a heartbeat) and returns the patches. */
  processBatch(records: readonly RMonitorRecord[], atMs: number = Date.now()): BatchResult {
    this.#nowMs = atMs
    touched = this.#touched
    let reset = false
    let resetMidRace = false
    const flagOut = this.session.currentFlag !== Flags.Unknown
    let hasI = false
    let hasA = false
    let allZeroI = true
    for (const r of records) {
      if (r.type === 'I') {
        hasI = true
        if (!isStandaloneReset(r)) allZeroI = false
      } else if (r.type === 'A' || r.type === 'COMP') hasA = true
    }
    // RedMist ignores a lone `$I, "00:00:00", "0/0/0000"` during a race. We also ignore it when other
    // records share its batch but no entry list follows (a TCP read may carry a heartbeat with it).
    const standalone = flagOut && hasI && !hasA && allZeroI
    const midRace = flagOut && hasI && hasA
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      if (r.type === 'I') {
        if (standalone) {
          // RedMist ignores a lone mid-race $I: it would wipe the board until every car passes again.
          this.ignored++
          continue
        }
        this.#reset(midRace)
        reset = true
        resetMidRace = midRace
      } else this.#apply(r)
      this.applied++
    }
    const out = this.#flush(reset)
    if (resetMidRace) out.midRace = true
    return out
  }

  /** The feed went away: not live until the next heartbeat (emitted with the next batch). */
  markOffline(): void {
    this.#setS('isLive', false)
  }

  #setS<Key extends keyof SessionState>(key: Key, value: SessionState[Key]): void {
    if (this.session[key] === value) return
    this.session[key] = value
    ;(this.#sessionPatch ??= {})[key] = value
  }

  #slot(number: string): Slot {
    let slot = this.#slots.get(number)
    if (!slot && this.#slots.size >= MAX_BUILDER_CARS) {
      // Full: a detached slot takes the record's writes and is forgotten (no patch, no position).
      this.capped++
      return { car: emptyCar(number), lastSeenMs: this.#nowMs, lastLapMs: 0, totalMs: 0, bestMs: 0, hasRaceInfo: false, patch: null, isNew: true, gapCodes: [] }
    }
    if (!slot) {
      const car = emptyCar(number)
      car.eventId = String(this.session.eventId)
      car.sessionId = String(this.session.sessionId)
      car.trackFlag = this.session.currentFlag
      const kept = this.#retained.get(number)
      if (kept) {
        car.lastLapTime = kept.lastLapTime
        car.overallStartingPosition = kept.osp
        car.inClassStartingPosition = kept.icsp
      }
      slot = { car, lastSeenMs: this.#nowMs, lastLapMs: kept?.lastLapMs ?? 0, totalMs: 0, bestMs: 0, hasRaceInfo: false, patch: null, isNew: true, gapCodes: [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN] }
      this.#slots.set(number, slot)
      this.#touched.push(slot)
      this.#positionsDirty = true
      this.#bestDirty = true
    }
    return slot
  }

  #slotFor(regNo: string): Slot {
    return this.#slot(this.#numberOf.get(regNo) ?? regNo)
  }

  #apply(r: RMonitorRecord): void {
    switch (r.type) {
      case 'F': {
        this.#setS('lapsToGo', r.lapsToGo)
        this.#setS('timeToGo', r.timeToGo.trim())
        this.#setS('localTimeOfDay', r.timeOfDay.trim())
        this.#setS('runningRaceTime', r.raceTime.trim())
        const flag = rmonitorFlag(r.flag)
        if (flag !== this.session.currentFlag) this.#setFlag(flag)
        this.#setS('isLive', true)
        return
      }
      case 'A':
      case 'COMP': {
        let c = this.#competitors.get(r.regNo)
        if (!c && this.#competitors.size >= MAX_BUILDER_CARS) {
          this.capped++
          return
        }
        if (!c) {
          c = { regNo: r.regNo, number: r.number, transponder: 0, firstName: '', lastName: '', nationality: '', classNo: 0, additional: '' }
          this.#competitors.set(r.regNo, c)
          this.#entriesDirty = true
        }
        // Orbits re-sends the entry list often: the entries change only when a value does.
        if (c.number !== r.number || c.firstName !== r.firstName || c.lastName !== r.lastName || c.nationality !== r.nationality || c.classNo !== r.classNo || (r.type === 'COMP' && c.additional !== r.additional)) this.#entriesDirty = true
        c.number = r.number
        c.firstName = r.firstName
        c.lastName = r.lastName
        c.nationality = r.nationality
        c.classNo = r.classNo
        if (r.type === 'A') c.transponder = r.transponder
        else c.additional = r.additional
        this.#numberOf.set(r.regNo, r.number)
        const slot = this.#slot(r.number)
        put(slot, 'transponderId', c.transponder)
        const cls = this.#classes.get(c.classNo) ?? null
        if (slot.car.class !== cls) {
          put(slot, 'class', cls)
          this.#positionsDirty = this.#bestDirty = true
        }
        return
      }
      case 'B': {
        const s = this.session
        if (r.runNo === s.sessionId && s.sessionName === r.description) return
        const changed = r.runNo !== s.sessionId
        this.#setS('sessionId', r.runNo)
        this.#setS('sessionName', r.description)
        this.#setS('isPracticeQualifying', isPracticeQualifyingName(r.description))
        if (changed) {
          const start = new Date(this.#nowMs).toISOString()
          this.#setS('sessionStartTime', start)
          this.#setS('sessionEndTime', null)
          this.#setS('flagDurations', s.currentFlag === Flags.Unknown ? [] : [{ flag: s.currentFlag, startTime: start, endTime: null }])
          const sid = String(r.runNo)
          for (const slot of this.#slots.values()) put(slot, 'sessionId', sid)
        }
        return
      }
      case 'C':
        if (!this.#classes.has(r.classNo) && this.#classes.size >= MAX_BUILDER_CLASSES) {
          this.capped++
          return
        }
        if (this.#classes.get(r.classNo) !== r.description) {
          this.#classes.set(r.classNo, r.description)
          // Re-evaluate every car's class name, as RedMist does when a class arrives late or changes.
          for (const c of this.#competitors.values()) {
            if (c.classNo === r.classNo) put(this.#slot(c.number), 'class', r.description)
          }
          this.#positionsDirty = this.#bestDirty = true
          this.#entriesDirty = true
        }
        return
      case 'E':
        if (r.name === 'TRACKNAME') this.trackName = r.value
        else if (r.name === 'TRACKLENGTH') this.trackLengthMiles = Number(r.value) || 0
        return
      case 'G': {
        const slot = this.#slotFor(r.regNo)
        const car = slot.car
        const laps = r.laps ?? 0
        put(slot, 'overallPosition', r.position)
        if (laps !== car.lastLapCompleted) {
          if (laps > car.lastLapCompleted) {
            slot.lastSeenMs = this.#nowMs
            put(slot, 'isStale', false)
          }
          put(slot, 'lastLapCompleted', laps)
          // A new lap clears the pit marker of the lap before.
          if (car.lapIncludedPit && !car.isInPit) put(slot, 'lapIncludedPit', false)
        }
        if (car.totalTime !== r.totalTime) {
          put(slot, 'totalTime', r.totalTime)
          slot.totalMs = parseTimeMs(r.totalTime)
        }
        slot.hasRaceInfo = true
        if (laps > 0) this.#raceStarted = true
        else if (!this.#raceStarted && r.position > 0) put(slot, 'overallStartingPosition', r.position)
        put(slot, 'trackFlag', this.session.currentFlag)
        this.#positionsDirty = true
        return
      }
      case 'H': {
        const slot = this.#slotFor(r.regNo)
        put(slot, 'bestLap', r.bestLap)
        if (slot.car.bestTime !== r.bestTime) {
          put(slot, 'bestTime', r.bestTime)
          slot.bestMs = parseTimeMs(r.bestTime)
          this.#bestDirty = true
        }
        return
      }
      case 'J': {
        const slot = this.#slotFor(r.regNo)
        const ms = parseTimeMs(r.lapTime)
        slot.lastSeenMs = this.#nowMs
        put(slot, 'isStale', false)
        if (ms > 0) {
          put(slot, 'lastLapTime', r.lapTime)
          slot.lastLapMs = ms
          put(slot, 'projectedLapTimeMs', ms)
        }
        put(slot, 'lastLoopName', 'SF')
        put(slot, 'isEnteredPit', false)
        put(slot, 'isExitedPit', false)
        put(slot, 'isPitStartFinish', false)
        return
      }
      case 'L': {
        // IMSA enhanced line crossing: pit-in / pit-out / pit S/F loops drive the pit badges.
        const slot = this.#slotFor(r.regNo)
        const car = slot.car
        const name = r.lineName.toUpperCase()
        put(slot, 'lastLoopName', r.lineName.slice(0, 10))
        slot.lastSeenMs = this.#nowMs
        put(slot, 'isStale', false)
        if (name === 'PIP' || name === 'PI') {
          if (!car.isInPit) {
            put(slot, 'pitStopCount', (car.pitStopCount ?? 0) + 1)
            put(slot, 'pitEntryTime', new Date(this.#nowMs).toISOString())
          }
          put(slot, 'isEnteredPit', true)
          put(slot, 'isInPit', true)
          put(slot, 'isExitedPit', false)
          put(slot, 'lapIncludedPit', true)
          put(slot, 'lastLapPitted', car.lastLapCompleted + 1)
        } else if (name === 'POP' || name === 'PO') {
          if (car.pitEntryTime) put(slot, 'pitDurationMs', Math.max(0, this.#nowMs - Date.parse(car.pitEntryTime)))
          put(slot, 'isExitedPit', true)
          put(slot, 'isEnteredPit', false)
          put(slot, 'isInPit', false)
          put(slot, 'isPitStartFinish', false)
        } else if (name === 'SFP') {
          put(slot, 'isPitStartFinish', true)
          put(slot, 'isInPit', true)
          put(slot, 'lapIncludedPit', true)
        }
        return
      }
      case 'T':
        this.#setS('sections', r.sections.slice(0, 5).map((x) => ({ name: x.name.slice(0, 3), lengthInches: x.distance, startLabel: x.start.slice(0, 4), endLabel: x.end.slice(0, 4) })))
        return
      case 'COR':
        // RedMist ignores corrections too: the following $G carries the corrected result.
        this.ignored++
        return
      case 'I':
        return
    }
  }

  #setFlag(flag: Flag): void {
    const s = this.session
    const now = new Date(this.#nowMs).toISOString()
    const list = s.flagDurations.slice()
    const last = list[list.length - 1]
    if (last && last.endTime === null) list[list.length - 1] = { ...last, endTime: now }
    if (flag !== Flags.Unknown) list.push({ flag, startTime: now, endTime: null })
    if (list.length > 100) list.splice(0, list.length - 100)
    this.#setS('flagDurations', list)
    this.#setS('currentFlag', flag)
    for (const slot of this.#slots.values()) put(slot, 'trackFlag', flag)
  }

  #reset(midRace: boolean): void {
    // Orbits re-sends the entry list after $I; cars that are not in it are gone. A mid-race reset keeps
    // last lap times and starting positions (RedMist restores them from its lap history).
    this.#retained.clear()
    if (midRace) {
      for (const [n, slot] of this.#slots) {
        this.#retained.set(n, { lastLapTime: slot.car.lastLapTime, lastLapMs: slot.lastLapMs, osp: slot.car.overallStartingPosition, icsp: slot.car.inClassStartingPosition })
      }
    } else {
      this.#classes.clear()
      this.#raceStarted = false
    }
    this.#competitors.clear()
    this.#numberOf.clear()
    this.#slots.clear()
    this.#touched.length = 0
    this.#positionsDirty = this.#bestDirty = this.#entriesDirty = true
  }

  /** Derives and returns the patches of this batch. */
  #flush(reset: boolean): BatchResult {
    if (this.#entriesDirty || reset) {
      this.#entriesDirty = false
      this.#setS('eventEntries', this.#entries())
    }
    if (++this.#sweepCounter >= 3) {
      this.#sweepCounter = 0
      this.#sweepStale()
    }
    if (this.#positionsDirty || this.#bestDirty) this.#derive()
    const cars: CarPositionPatch[] = []
    const touched = this.#touched
    for (let i = 0; i < touched.length; i++) {
      const slot = touched[i]!
      if (slot.isNew) {
        slot.isNew = false
        cars.push({ ...slot.car })
      } else if (slot.patch) {
        for (const _ in slot.patch) {
          slot.patch.number = slot.car.number
          cars.push(slot.patch as CarPositionPatch)
          break
        }
      }
      slot.patch = null
    }
    this.#touched.length = 0
    const session = this.#sessionPatch as SessionStatePatch | null
    this.#sessionPatch = null
    if (session || cars.length) {
      this.session.lastUpdated = isoAt(Math.round(this.#nowMs))
      if (session) session.lastUpdated = this.session.lastUpdated
    }
    return { reset, session, cars }
  }

  #entries(): EventEntry[] {
    const out: EventEntry[] = []
    for (const c of this.#competitors.values()) {
      out.push({ number: c.number, name: `${c.firstName} ${c.lastName}`.trim(), team: c.additional, class: this.#classes.get(c.classNo) ?? '' })
    }
    return out
  }

  #sweepStale(): void {
    const running = RUNNING_FLAGS.has(this.session.currentFlag)
    for (const slot of this.#slots.values()) {
      const limit = Math.max(this.#staleMinMs, slot.lastLapMs * this.#staleLaps)
      const stale = running && slot.hasRaceInfo && slot.car.lastLapCompleted > 0 && this.#nowMs - slot.lastSeenMs > limit
      if (stale !== slot.car.isStale) put(slot, 'isStale', stale)
    }
  }

  /** Gaps, differences, class positions, best-lap flags, positions gained (RedMist PositionMetadataProcessor). */
  #derive(): void {
    const all = [...this.#slots.values()]
    all.sort(byPosition)
    const byClass = new Map<string, Slot[]>()
    for (const slot of all) {
      const key = slot.car.class ?? ''
      let list = byClass.get(key)
      if (!list) byClass.set(key, (list = []))
      list.push(slot)
    }
    if (this.#positionsDirty) {
      const high = typicalHighLapMs(all)
      gapAndDiff(all, high, 'overallGap', 'overallDifference')
      for (const list of byClass.values()) {
        gapAndDiff(list, high, 'inClassGap', 'inClassDifference')
        // list is in overall order with position 0 last, so the class position is the index.
        for (let i = 0; i < list.length; i++) put(list[i]!, 'classPosition', list[i]!.car.overallPosition === 0 ? 0 : i + 1)
        if (!this.#raceStarted) {
          const startOrder = list.filter((c) => c.car.overallStartingPosition > 0).sort((a, b) => a.car.overallStartingPosition - b.car.overallStartingPosition)
          for (let i = 0; i < startOrder.length; i++) put(startOrder[i]!, 'inClassStartingPosition', i + 1)
        }
      }
      positionsGained(all, byClass)
    }
    if (this.#bestDirty) {
      fastGapAndDiff(all, 'overallGapByFastTime', 'overallDifferenceByFastTime')
      bestFlag(all, 'isBestTime')
      for (const list of byClass.values()) {
        fastGapAndDiff(list, 'inClassGapByFastTime', 'inClassDifferenceByFastTime')
        bestFlag(list, 'isBestTimeClass')
      }
    }
    this.#positionsDirty = this.#bestDirty = false
  }
}

function isStandaloneReset(r: RMonitorRecord): boolean {
  return r.type === 'I' && r.time.trim() === STANDALONE_RESET_TIME && r.date.trim() === STANDALONE_RESET_DATE
}

function byPosition(x: Slot, y: Slot): number {
  const a = x.car
  const b = y.car
  const pa = a.overallPosition || Number.MAX_SAFE_INTEGER
  const pb = b.overallPosition || Number.MAX_SAFE_INTEGER
  return pa - pb || (a.number < b.number ? -1 : a.number > b.number ? 1 : 0)
}

function typicalHighLapMs(slots: Slot[]): number {
  const times: number[] = []
  for (const s of slots) if (s.lastLapMs > 0) times.push(s.lastLapMs)
  if (times.length === 0) return 5 * 60_000
  times.sort((a, b) => a - b)
  return times[Math.min(times.length - 1, Math.floor(times.length * 0.9))]!
}

const GAP_INDEX: Record<string, number> = { overallGap: 0, overallDifference: 1, inClassGap: 2, inClassDifference: 3, overallGapByFastTime: 4, overallDifferenceByFastTime: 5, inClassGapByFastTime: 6, inClassDifferenceByFastTime: 7 }
const EMPTY_CODE = -1e15

/**
 * Writes a derived gap: `code` is a time in ms (≥ 0), -(laps + 1) for "N laps", or EMPTY_CODE for "".
 * Formatting is skipped when the value is the one last written.
 */
function putGap(slot: Slot, key: StrKey, code: number): void {
  const i = GAP_INDEX[key]!
  if (slot.gapCodes[i] === code) return
  slot.gapCodes[i] = code
  put(slot, key, code === EMPTY_CODE ? '' : code < 0 ? lapTerm(-code - 1) : formatGap(code))
}

type StrKey = 'overallGap' | 'overallDifference' | 'inClassGap' | 'inClassDifference' | 'overallGapByFastTime' | 'overallDifferenceByFastTime' | 'inClassGapByFastTime' | 'inClassDifferenceByFastTime'

/**
 * Gap to the car ahead and difference to the leader, "N laps" when a lap down. A negative or implausibly
 * large time delta (> 1.5 typical lap) comes from non-atomic RMonitor updates and leaves the old value.
 */
function gapAndDiff(slots: Slot[], highLapMs: number, gapKey: StrKey, diffKey: StrKey): void {
  if (slots.length === 0) return
  const leader = slots[0]!
  const limit = highLapMs * 1.5
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!
    const t = slot.totalMs
    if (!(t > 0)) continue
    if (i === 0) {
      putGap(slot, gapKey, EMPTY_CODE)
      putGap(slot, diffKey, EMPTY_CODE)
      continue
    }
    const laps = slot.car.lastLapCompleted
    const ahead = slots[i - 1]!
    if (ahead.car.lastLapCompleted === laps) {
      if (ahead.totalMs > 0) {
        const g = t - ahead.totalMs
        if (g >= 0 && g <= limit) putGap(slot, gapKey, g)
      }
    } else {
      const d = ahead.car.lastLapCompleted - laps
      putGap(slot, gapKey, d < 0 ? EMPTY_CODE : -(d + 1))
    }
    if (leader.car.lastLapCompleted === laps) {
      const d = t - leader.totalMs
      if (d >= 0 && d <= limit) putGap(slot, diffKey, d)
    } else {
      const d = leader.car.lastLapCompleted - laps
      putGap(slot, diffKey, d < 0 ? EMPTY_CODE : -(d + 1))
    }
  }
}

function fastGapAndDiff(slots: Slot[], gapKey: StrKey, diffKey: StrKey): void {
  const ranked: Slot[] = []
  for (const slot of slots) {
    if (slot.bestMs > 0) ranked.push(slot)
    else {
      putGap(slot, gapKey, EMPTY_CODE)
      putGap(slot, diffKey, EMPTY_CODE)
    }
  }
  ranked.sort((a, b) => a.bestMs - b.bestMs || (a.car.bestLap <= 0 ? 1e9 : a.car.bestLap) - (b.car.bestLap <= 0 ? 1e9 : b.car.bestLap) || (a.car.number < b.car.number ? -1 : 1))
  for (let i = 0; i < ranked.length; i++) {
    const slot = ranked[i]!
    if (i === 0) {
      putGap(slot, gapKey, EMPTY_CODE)
      putGap(slot, diffKey, EMPTY_CODE)
      continue
    }
    putGap(slot, gapKey, slot.bestMs - ranked[i - 1]!.bestMs)
    putGap(slot, diffKey, slot.bestMs - ranked[0]!.bestMs)
  }
}

function bestFlag(slots: Slot[], key: 'isBestTime' | 'isBestTimeClass'): void {
  let best: Slot | null = null
  let bestMs = Infinity
  for (const slot of slots) {
    if (slot.bestMs > 0 && slot.bestMs < bestMs) {
      bestMs = slot.bestMs
      best = slot
    }
  }
  for (const slot of slots) put(slot, key, slot === best)
}

function positionsGained(all: Slot[], byClass: Map<string, Slot[]>): void {
  const total = all.length
  for (const slot of all) {
    const car = slot.car
    let g = car.overallPosition === 0 || car.overallStartingPosition === 0 ? INVALID : car.overallStartingPosition - car.overallPosition
    if (g !== INVALID && Math.abs(g) >= total) g = INVALID
    put(slot, 'overallPositionsGained', g)
    const inClass = byClass.get(car.class ?? '')!.length
    let cg = car.classPosition === 0 || car.inClassStartingPosition === 0 ? INVALID : car.inClassStartingPosition - car.classPosition
    if (cg !== INVALID && Math.abs(cg) >= inClass) cg = INVALID
    put(slot, 'inClassPositionsGained', cg)
  }
  markMost(all, 'overallPositionsGained', 'isOverallMostPositionsGained')
  for (const list of byClass.values()) markMost(list, 'inClassPositionsGained', 'isClassMostPositionsGained')
}

/** The single car with the most positions gained gets the flag; a tie gives it to nobody. */
function markMost(slots: Slot[], key: 'overallPositionsGained' | 'inClassPositionsGained', flag: 'isOverallMostPositionsGained' | 'isClassMostPositionsGained'): void {
  let best = 0
  let count = 0
  let who: Slot | null = null
  for (const slot of slots) {
    const g = slot.car[key]
    if (g <= 0) continue
    if (g > best) {
      best = g
      count = 1
      who = slot
    } else if (g === best) count++
  }
  for (const slot of slots) put(slot, flag, count === 1 && slot === who)
}
