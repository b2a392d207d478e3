// The live-timing model, in RedMist's shapes (research/redmist.md §2), shared by the core and the renderer.
// Internally every object uses RedMist's camelCase long names; the short JSON keys of a full CarPosition
// (n, ovp, bt…) and the MessagePack positional arrays exist only on the wire (src/main/timing/redmist/wire.ts).

/** RedMist `Flags` enum; sent as integers on every wire. */
export const Flags = {
  Unknown: 0,
  Green: 1,
  Yellow: 2,
  Red: 3,
  White: 4,
  Checkered: 5,
  Black: 6,
  Purple35: 7,
  Purple60: 8,
  Blue: 9,
  MeatBall: 10,
  Debris: 11,
  WavingYellow: 12,
} as const
export type Flag = (typeof Flags)[keyof typeof Flags]
export const FLAG_NAMES: readonly string[] = Object.keys(Flags)

/** RedMist's sentinel for "no position / no value" (CarPosition.InvalidPosition). */
export const INVALID = -999

export interface EventEntry {
  number: string
  name: string
  team: string
  class: string
}

export interface FlagDuration {
  flag: Flag
  /** ISO-8601 */
  startTime: string
  /** ISO-8601, null while the flag is still out */
  endTime: string | null
}

export interface Announcement {
  timestamp: string
  priority: 'Urgent' | 'High' | 'Normal' | 'Low' | string
  text: string
}

export interface Section {
  name: string
  lengthInches: number
  startLabel: string
  endLabel: string
}

export interface CompletedSection {
  number: string
  sectionId: string
  elapsedTimeMs: number
  lastSectionTimeMs: number
  lastLap: number
}

export interface VideoStatus {
  videoSystemType: number
  videoDestination: unknown
}

export interface CarPosition {
  eventId: string | null
  sessionId: string | null
  number: string
  transponderId: number
  class: string | null
  bestTime: string
  bestLap: number
  isBestTime: boolean
  isBestTimeClass: boolean
  inClassGap: string
  inClassDifference: string
  overallGap: string
  overallDifference: string
  totalTime: string
  lastLapTime: string
  lastLapCompleted: number
  pitStopCount: number | null
  lastLapPitted: number | null
  lapsLedOverall: number | null
  lapsLedInClass: number | null
  overallPosition: number
  classPosition: number
  overallStartingPosition: number
  overallPositionsGained: number
  inClassStartingPosition: number
  inClassPositionsGained: number
  isOverallMostPositionsGained: boolean
  isClassMostPositionsGained: boolean
  penalityLaps: number
  penalityWarnings: number
  blackFlags: number
  isEnteredPit: boolean
  isPitStartFinish: boolean
  isExitedPit: boolean
  isInPit: boolean
  lapIncludedPit: boolean
  lastLoopName: string
  isStale: boolean
  trackFlag: Flag
  localFlag: Flag
  lapHadLocalFlag: boolean | null
  completedSections: CompletedSection[]
  projectedLapTimeMs: number
  lapStartTime: string
  driverName: string
  driverId: string
  inCarVideo: VideoStatus | null
  latitude: number | null
  longitude: number | null
  currentStatus: string
  impactWarning: boolean
  inClassFastestAveragePace: boolean
  trackTempDegF: number | null
  trackPrecipitationPerc: number | null
  speedMph: number | null
  pitEntryTime: string | null
  pitDurationMs: number | null
  speedViolation: boolean
  pitSpeedEnforced: boolean
  flaggingZone: number | null
  driverSource: string | null
  hasGps: boolean
  inClassGapByFastTime: string
  inClassDifferenceByFastTime: string
  overallGapByFastTime: string
  overallDifferenceByFastTime: string
  lapPositionPercent: number | null
  signalBars: number | null
}

/**
 * CarPosition fields in MessagePack key order (index = `#`), with the short JSON key of a full object.
 * `lastLapPitted` has no short name (research §2.2).
 */
export const CAR_FIELDS: ReadonlyArray<readonly [keyof CarPosition, string]> = [
  ['eventId', 'eid'], ['sessionId', 'sid'], ['number', 'n'], ['transponderId', 'tp'], ['class', 'class'],
  ['bestTime', 'bt'], ['bestLap', 'bl'], ['isBestTime', 'ibt'], ['isBestTimeClass', 'btc'], ['inClassGap', 'cg'],
  ['inClassDifference', 'cd'], ['overallGap', 'og'], ['overallDifference', 'od'], ['totalTime', 'ttm'], ['lastLapTime', 'ltm'],
  ['lastLapCompleted', 'llp'], ['pitStopCount', 'psc'], ['lastLapPitted', 'lastLapPitted'], ['lapsLedOverall', 'llo'], ['lapsLedInClass', 'llic'],
  ['overallPosition', 'ovp'], ['classPosition', 'clp'], ['overallStartingPosition', 'osp'], ['overallPositionsGained', 'opg'], ['inClassStartingPosition', 'icsp'],
  ['inClassPositionsGained', 'cpg'], ['isOverallMostPositionsGained', 'ompg'], ['isClassMostPositionsGained', 'cmpg'], ['penalityLaps', 'pl'], ['penalityWarnings', 'pw'],
  ['blackFlags', 'bf'], ['isEnteredPit', 'enp'], ['isPitStartFinish', 'psf'], ['isExitedPit', 'exp'], ['isInPit', 'ip'],
  ['lapIncludedPit', 'lip'], ['lastLoopName', 'ln'], ['isStale', 'st'], ['trackFlag', 'flg'], ['localFlag', 'lflg'],
  ['lapHadLocalFlag', 'lhlf'], ['completedSections', 'csec'], ['projectedLapTimeMs', 'plt'], ['lapStartTime', 'lstt'], ['driverName', 'dn'],
  ['driverId', 'did'], ['inCarVideo', 'vid'], ['latitude', 'lat'], ['longitude', 'lon'], ['currentStatus', 'mcs'],
  ['impactWarning', 'iw'], ['inClassFastestAveragePace', 'faic'], ['trackTempDegF', 'temp'], ['trackPrecipitationPerc', 'precip'], ['speedMph', 'spd'],
  ['pitEntryTime', 'pet'], ['pitDurationMs', 'pdm'], ['speedViolation', 'sv'], ['pitSpeedEnforced', 'pse'], ['flaggingZone', 'fz'],
  ['driverSource', 'ds'], ['hasGps', 'hg'], ['inClassGapByFastTime', 'cgft'], ['inClassDifferenceByFastTime', 'cdft'], ['overallGapByFastTime', 'ogft'],
  ['overallDifferenceByFastTime', 'odft'], ['lapPositionPercent', 'lapposp'], ['signalBars', 'sb'],
]
export const CAR_KEYS: ReadonlyArray<keyof CarPosition> = CAR_FIELDS.map((f) => f[0])

export function emptyCar(number: string): CarPosition {
  return {
    eventId: null, sessionId: null, number, transponderId: 0, class: null, bestTime: '', bestLap: 0, isBestTime: false, isBestTimeClass: false,
    inClassGap: '', inClassDifference: '', overallGap: '', overallDifference: '', totalTime: '', lastLapTime: '', lastLapCompleted: 0,
    pitStopCount: null, lastLapPitted: null, lapsLedOverall: null, lapsLedInClass: null, overallPosition: 0, classPosition: 0,
    overallStartingPosition: 0, overallPositionsGained: INVALID, inClassStartingPosition: 0, inClassPositionsGained: INVALID,
    isOverallMostPositionsGained: false, isClassMostPositionsGained: false, penalityLaps: 0, penalityWarnings: 0, blackFlags: 0,
    isEnteredPit: false, isPitStartFinish: false, isExitedPit: false, isInPit: false, lapIncludedPit: false, lastLoopName: '', isStale: false,
    trackFlag: Flags.Unknown, localFlag: Flags.Unknown, lapHadLocalFlag: null, completedSections: [], projectedLapTimeMs: 0,
    lapStartTime: '00:00:00.0000000', driverName: '', driverId: '', inCarVideo: null, latitude: null, longitude: null, currentStatus: '',
    impactWarning: false, inClassFastestAveragePace: false, trackTempDegF: null, trackPrecipitationPerc: null, speedMph: null, pitEntryTime: null,
    pitDurationMs: null, speedViolation: false, pitSpeedEnforced: false, flaggingZone: null, driverSource: null, hasGps: false,
    inClassGapByFastTime: '', inClassDifferenceByFastTime: '', overallGapByFastTime: '', overallDifferenceByFastTime: '',
    lapPositionPercent: null, signalBars: null,
  }
}

/** A V2 car patch: every field but `number` may be null, and null means "unchanged". */
export type CarPositionPatch = { number: string } & { [K in Exclude<keyof CarPosition, 'number'>]?: CarPosition[K] | null }

export interface SessionState {
  eventId: number
  eventName: string
  sessionId: number
  sessionName: string
  lapsToGo: number
  timeToGo: string
  localTimeOfDay: string
  runningRaceTime: string
  isPracticeQualifying: boolean
  sessionStartTime: string
  sessionEndTime: string | null
  localTimeZoneOffset: number
  isLive: boolean
  eventEntries: EventEntry[]
  carPositions: CarPosition[]
  currentFlag: Flag
  flagDurations: FlagDuration[]
  greenTimeMs: number | null
  greenLaps: number | null
  yellowTimeMs: number | null
  yellowLaps: number | null
  numberOfYellows: number | null
  redTimeMs: number | null
  averageRaceSpeed: string | null
  leadChanges: number | null
  sections: Section[]
  classColors: Record<string, string>
  announcements: Announcement[]
  lastUpdated: string | null
  classOrder: Record<string, string>
  isSimulation: boolean
  isArchived: boolean
  trackTempDegF: number | null
  trackPrecipitationPerc: number | null
  hasTelemetrySource: boolean
}

/** SessionState fields in MessagePack key order. JSON keys are these names (no short names). */
export const SESSION_KEYS: ReadonlyArray<keyof SessionState> = [
  'eventId', 'eventName', 'sessionId', 'sessionName', 'lapsToGo', 'timeToGo', 'localTimeOfDay', 'runningRaceTime', 'isPracticeQualifying',
  'sessionStartTime', 'sessionEndTime', 'localTimeZoneOffset', 'isLive', 'eventEntries', 'carPositions', 'currentFlag', 'flagDurations',
  'greenTimeMs', 'greenLaps', 'yellowTimeMs', 'yellowLaps', 'numberOfYellows', 'redTimeMs', 'averageRaceSpeed', 'leadChanges', 'sections',
  'classColors', 'announcements', 'lastUpdated', 'classOrder', 'isSimulation', 'isArchived', 'trackTempDegF', 'trackPrecipitationPerc',
  'hasTelemetrySource',
]

/** A V2 session patch: null = unchanged. `carPositions` is never carried in a patch (cars travel as car patches). */
export type SessionStatePatch = { [K in keyof SessionState]?: SessionState[K] | null }

export function emptySession(eventId: number): SessionState {
  return {
    eventId, eventName: '', sessionId: 0, sessionName: '', lapsToGo: 0, timeToGo: '00:00:00', localTimeOfDay: '00:00:00', runningRaceTime: '00:00:00',
    isPracticeQualifying: false, sessionStartTime: new Date(0).toISOString(), sessionEndTime: null, localTimeZoneOffset: 0, isLive: false,
    eventEntries: [], carPositions: [], currentFlag: Flags.Unknown, flagDurations: [], greenTimeMs: null, greenLaps: null, yellowTimeMs: null,
    yellowLaps: null, numberOfYellows: null, redTimeMs: null, averageRaceSpeed: null, leadChanges: null, sections: [], classColors: {},
    announcements: [], lastUpdated: null, classOrder: {}, isSimulation: false, isArchived: false, trackTempDegF: null, trackPrecipitationPerc: null,
    hasTelemetrySource: false,
  }
}

/** Control log (research §2.4). */
export interface ControlLogEntry {
  orderId: number
  timestamp: string
  corner: string
  car1: string
  isCar1Highlighted: boolean
  car2: string
  isCar2Highlighted: boolean
  note: string
  status: string
  penaltyAction: string
  otherNotes: string
}
export const CONTROL_LOG_FIELDS: ReadonlyArray<readonly [keyof ControlLogEntry, string]> = [
  ['orderId', 'o'], ['timestamp', 't'], ['corner', 'cor'], ['car1', 'c1'], ['isCar1Highlighted', 'c1h'], ['car2', 'c2'],
  ['isCar2Highlighted', 'c2h'], ['note', 'n'], ['status', 's'], ['penaltyAction', 'a'], ['otherNotes', 'on'],
]

export interface CarControlLogs {
  /** '' for the whole event's log. */
  carNumber: string
  entries: ControlLogEntry[]
}

/** One car in the in-car driver payload (research §2.5). */
export interface CarStatus {
  number: string
  class: string
  team: string
  lastLap: string
  gainLoss: string
  gap: string
  carType: string
  driver: string
  transponder: number
  imageUrl: string
}
export const CAR_STATUS_FIELDS: ReadonlyArray<readonly [keyof CarStatus, string]> = [
  ['number', 'n'], ['class', 'c'], ['team', 't'], ['lastLap', 'l'], ['gainLoss', 'gl'], ['gap', 'g'], ['carType', 'ct'], ['driver', 'd'],
  ['transponder', 'id'], ['imageUrl', 'i'],
]

export interface InCarPayload {
  number: string
  classPosition: string
  overallPosition: string
  flag: Flag
  /** [ahead in class, ahead overall in another class, own car, behind in class]; null where there is none. */
  cars: Array<CarStatus | null>
}

/** One completed lap of one car (car details: lap list + chart). */
export interface LapRecord {
  lap: number
  lapTime: string
  lapTimeMs: number
  overallPosition: number
  classPosition: number
  totalTime: string
  flag: Flag
  pitted: boolean
}

/** Where the timing store is fed from. */
export interface TimingSourceInfo {
  /** The spec string: generator | rmonitor:HOST:PORT | replay:FILE[@SPEED|@max] | redmist:URL#EVENTID | none */
  spec: string
  kind: 'generator' | 'rmonitor' | 'replay' | 'redmist' | 'remote' | 'none'
  state: 'connecting' | 'live' | 'stopped' | 'error' | 'finished'
  detail?: string
  /** Records (RMonitor) or messages (RedMist) received. */
  received: number
  /** Lines that could not be parsed (counted and skipped). */
  broken: number
}

// ---- formatting helpers shared by the builder and the board ----

/** "HH:MM:SS.mmm" (or "H:MM:SS", "MM:SS.mmm", "SS.mmm") → ms; NaN when it is not a time. */
export function parseTimeMs(s: string): number {
  let total = 0
  let part = 0
  let frac = 0
  let fracDigits = 0
  let inFrac = false
  let any = false
  let sign = 1
  let i = 0
  const n = s.length
  if (n > 0 && s.charCodeAt(0) === 45) {
    sign = -1
    i = 1
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      any = true
      if (inFrac) {
        if (fracDigits < 3) {
          frac = frac * 10 + (c - 48)
          fracDigits++
        }
      } else part = part * 10 + (c - 48)
    } else if (c === 58 && !inFrac) {
      total = (total + part) * 60
      part = 0
    } else if (c === 46 && !inFrac) {
      inFrac = true
    } else if (c === 32) {
      continue
    } else return NaN
  }
  if (!any) return NaN
  while (fracDigits < 3) {
    frac *= 10
    fracDigits++
  }
  return sign * ((total + part) * 1000 + frac)
}

const pad2 = (n: number) => (n < 10 ? '0' + n : String(n))
const pad3 = (n: number) => (n < 10 ? '00' + n : n < 100 ? '0' + n : String(n))

/** ms → "HH:MM:SS.mmm" (RMonitor's time format). */
export function formatRmTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0
  ms = Math.round(ms)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}.${pad3(ms % 1000)}`
}

/** ms → RedMist's gap format: `s.fff`, `m:ss.fff` or `h:mm:ss.fff` (C# TimeSpan custom formats). */
export function formatGap(ms: number): string {
  const neg = ms < 0
  if (neg) ms = -ms
  ms = Math.round(ms)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  const f = pad3(ms % 1000)
  const body = h >= 1 ? `${h}:${pad2(m)}:${pad2(s)}.${f}` : m >= 1 || ms >= 60_000 ? `${m}:${pad2(s)}.${f}` : `${s}.${f}`
  return neg ? '-' + body : body
}

export const lapTerm = (laps: number) => (laps === 1 ? `${laps} lap` : `${laps} laps`)

/** RMonitor flag text (fixed width, trimmed here) → Flags (research §2.3). */
export function rmonitorFlag(text: string): Flag {
  switch (text.trim().toLowerCase()) {
    case 'green':
      return Flags.Green
    case 'yellow':
      return Flags.Yellow
    case 'red':
      return Flags.Red
    case 'white':
      return Flags.White
    case 'finish':
      return Flags.Checkered
    case 'black':
      return Flags.Black
    case 'purple':
      return Flags.Purple35
    case 'purple60':
      return Flags.Purple60
    default:
      return Flags.Unknown
  }
}

/** Whether a session name marks practice or qualifying (RedMist Consts.PRACTICE_QUAL_TERMS). */
export function isPracticeQualifyingName(name: string): boolean {
  return /practice|qualifying|qual/i.test(name)
}
