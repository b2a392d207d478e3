import type { EventEmitter } from 'node:events'
import type { CameraChanges, CameraKey } from '../../shared/camera-keys.ts'
import type { DeviceTrafficEntry } from '../../shared/ui-api/camera.ts'
import type { ApplyResults, ExtraControl } from '../camera/controller.ts'

// What a protocol driver (PCP, VISCA) offers for one open line. The DeviceController owns the
// line's lifecycle (open, heartbeat, reconnect, link state); a session only speaks its protocol and
// is thrown away when the line closes.

export type Protocol = 'pcp' | 'visca'

/** One line of the device traffic log (the frame as on the wire, and what it means). */
export type TrafficEntry = DeviceTrafficEntry

export interface DeviceInfo {
  protocol: Protocol
  model: string
  firmware: string
  /** One line for the link status, e.g. "PCP 1, firmware 1.0.0, pitwall-pcp". */
  summary: string
  /** The full state read during the handshake (every supported key). */
  state: CameraChanges
}

export interface SessionEvents {
  /** What the device did on its own (button, head unplugged, resync found a difference). */
  change: [changes: CameraChanges]
  /** The line or the protocol failed; the session is dead. */
  lost: [reason: Error]
  traffic: [entry: TrafficEntry]
}

export interface DeviceSession extends EventEmitter<SessionEvents> {
  readonly protocol: Protocol
  readonly capabilities: ReadonlySet<CameraKey>
  readonly extras: readonly ExtraControl[]
  readonly reportsState: boolean
  /** When a valid frame last arrived (for the controller's watchdog). */
  readonly lastRxAt: number
  /** Identify + first full read; rejects when the device does not answer like one of ours. */
  handshake(signal?: AbortSignal): Promise<DeviceInfo>
  readAll(signal?: AbortSignal): Promise<CameraChanges>
  apply(changes: CameraChanges, signal?: AbortSignal): Promise<ApplyResults>
  command(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown>
  /** A cheap round trip proving the device is alive. */
  ping(): Promise<void>
  /** Ends the session: every queued and in-flight command fails with `reason`. */
  close(reason: Error): void
}

/** Errors a person can read, with a code the Device page and tests can match. */
export class DeviceError extends Error {
  override name = 'DeviceError'
  readonly code: 'timeout' | 'refused' | 'disconnected' | 'unsupported' | 'busy' | 'protocol' | 'aborted'
  constructor(code: DeviceError['code'], message: string) {
    super(message)
    this.code = code
  }
}

export const NOT_SUPPORTED = 'Not supported by device'
