import type { EventEmitter } from 'node:events'
import type { CameraChanges, LinkStatus } from '../../shared/camera-keys.ts'
import type { CarControlLogs, CarPositionPatch, Flag, FlagDuration, SessionStatePatch } from '../../shared/timing.ts'
import type { EngineStatus } from '../../shared/ui-api/index.ts'
import type { Auth } from '../auth/index.ts'
import type { Config } from '../config/index.ts'
import type { LanServer } from '../lan/index.ts'
import type { Logger } from '../log/index.ts'
import type { HubServer } from '../signalr/index.ts'
import type { Backplane } from '../scale/index.ts'
import type { Store } from '../store/index.ts'
import type { UiRouter } from '../uiapi/index.ts'

export type { EngineStatus } from '../../shared/ui-api/index.ts'

/** A part of the core with a lifecycle: every room with running parts exposes one. */
export interface Engine {
  readonly name: string
  start(): Promise<void>
  stop(): Promise<void>
  status(): EngineStatus
}

/**
 * Events between rooms, so a room can follow another without reaching into it
 * (e.g. messaging republishes camera and timing changes as bus topics).
 */
export interface CoreEventMap {
  /** An engine's state changed; the status topic and the tray follow this. */
  'engine.state': [name: string, status: EngineStatus]
  /** Confirmed camera changes (only keys whose value changed), from the device or an accepted write. */
  'camera.change': [changes: CameraChanges]
  /** The camera controller link went up or down. */
  'device.link': [status: LinkStatus]
  /** Timing: a V2 session patch (null/absent = unchanged) of the one timing store. */
  'timing.session': [patch: SessionStatePatch]
  /** Timing: the car patches of one batch. */
  'timing.car': [patches: CarPositionPatch[]]
  /** Timing: the flag history or the current flag changed. */
  'timing.flags': [flagDurations: FlagDuration[], currentFlag: Flag]
  /** Timing: the control log changed (the whole event log, carNumber ''). */
  'timing.controllog': [log: CarControlLogs]
  /** Timing: every car was cleared (timing-system reset, source switch). */
  'timing.reset': []
  /** A direct message was sent to a user (delivered or queued): the desktop shell shows a notification. */
  'messaging.direct': [dm: { from: string | null; to: string; text: string; messageId: string; sentAt: number; status: string }]
  /**
   * Something a person at the desktop should see as a native notification (a direct message, a flag
   * change). Any room may emit it; the desktop shell shows it unless muted or switched off for that
   * kind; headless, nobody listens.
   */
  notify: [message: { kind: 'dm' | 'flag' | 'info'; title: string; body: string }]
}

export type CoreEvents = EventEmitter<CoreEventMap>

/** What the composition root hands to every room. */
export interface CoreContext {
  config: Config
  dataDir: string
  version: string
  instanceId: string
  log: Logger
  store: Store
  auth: Auth
  lan: LanServer
  ui: UiRouter
  events: CoreEvents
  /** The Redis backplane when `redis` is configured; rooms route to other instances through it. */
  backplane?: Backplane
  /** What this instance owns on the backplane ('device', 'timing'); rooms add to it at start. */
  owns: Set<string>
  /** SignalR hubs on the LAN server: `ctx.signalr.addHub(path, definition, options)` (see src/main/signalr). */
  signalr: HubServer
}
