import { z } from 'zod'
import type { CarControlLogs, CarPositionPatch, ControlLogEntry, InCarPayload, LapRecord, SessionState, SessionStatePatch, TimingSourceInfo } from '../timing.ts'
import { type ApiSection, command, topic } from './define.ts'

// The timing section of the UI API: the live board, its source, lap history, control log, in-car view.

/** What the `timing.live` topic emits: a full state first, then V2 patches (null/absent = unchanged). */
export type TimingLiveEvent =
  | { t: 'full'; state: SessionState; source: TimingSourceInfo }
  | { t: 'session'; patch: SessionStatePatch }
  | { t: 'cars'; patches: CarPositionPatch[] }
  | { t: 'reset' }
  | { t: 'source'; source: TimingSourceInfo }
  | { t: 'controllog'; log: CarControlLogs }

export interface RecordingInfo {
  file: string
  bytes: number
  modified: string
}

const carNumber = z.string().min(1).max(8)

export const controlLogInput = z.object({
  corner: z.string().max(128).default(''),
  car1: z.string().max(5).default(''),
  isCar1Highlighted: z.boolean().default(false),
  car2: z.string().max(5).default(''),
  isCar2Highlighted: z.boolean().default(false),
  note: z.string().max(128).default(''),
  status: z.string().max(30).default(''),
  penaltyAction: z.string().max(30).default(''),
  otherNotes: z.string().max(128).default(''),
})

export const timingApi = {
  commands: {
    /** The whole current state (what RedMist's GetCurrentSessionState returns) plus the source. */
    'timing.state': command(z.object({})).returns<{ state: SessionState; source: TimingSourceInfo }>(),
    'timing.source.get': command(z.object({})).returns<TimingSourceInfo>(),
    /** Switches the one source feeding the store: generator | rmonitor:HOST:PORT | replay:FILE[@SPEED|@max] | redmist:URL#EVENTID | none */
    'timing.source.set': command(z.object({ spec: z.string().min(1).max(2048) })).returns<TimingSourceInfo>(),
    'timing.laps': command(z.object({ number: carNumber })).returns<LapRecord[]>(),
    'timing.controllog': command(z.object({ car: carNumber.optional() })).returns<ControlLogEntry[]>(),
    'timing.controllog.add': command(controlLogInput).returns<ControlLogEntry>(),
    'timing.incar': command(z.object({ number: carNumber })).returns<{ payload: InCarPayload | null }>(),
    'timing.recordings': command(z.object({})).returns<RecordingInfo[]>(),
  },
  topics: {
    'timing.live': topic(z.object({})).emits<TimingLiveEvent>(),
  },
} satisfies ApiSection
