import type { CarPositionPatch, ControlLogEntry, SessionState, SessionStatePatch, TimingSourceInfo } from '../../../shared/timing.ts'
import type { BatchResult } from '../state/builder.ts'

/** Where a source delivers: the timing engine applies it to the one store. */
export interface TimingFeed {
  /** The patches of one RMonitor batch. */
  batch(result: BatchResult): void
  /** A full state (RedMist REST resync). */
  replace(state: SessionState): void
  session(patch: SessionStatePatch): void
  cars(patches: CarPositionPatch[]): void
  reset(): void
  /** The source's state changed (connecting, live, error…). */
  state(info: TimingSourceInfo): void
  /** The whole control log as a followed RedMist hub has it. */
  controlLog?(entries: ControlLogEntry[]): void
  /** Raw RMonitor lines as received, for the recorder. */
  raw?(lines: readonly string[], atMs: number): void
}

export interface TimingSource {
  readonly spec: string
  /** Track name and length (miles) when the feed names them (RMonitor $E). */
  track?(): { name: string; lengthMiles: number }
  start(): void
  stop(): Promise<void>
  info(): TimingSourceInfo
}
