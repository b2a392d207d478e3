import type { EventEmitter } from 'node:events'
import type { CameraChanges, LinkStatus } from '../../shared/camera-keys.ts'
import type { EngineStatus } from '../../shared/ui-api/index.ts'
import type { Auth } from '../auth/index.ts'
import type { Config } from '../config/index.ts'
import type { LanServer } from '../lan/index.ts'
import type { Logger } from '../log/index.ts'
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
}
