import { z } from 'zod'
import type { Permission } from '../auth.ts'
import type { CameraChanges, CameraKey, ExtraControl, LinkStatus } from '../camera-keys.ts'
import { command, topic } from './define.ts'
import type { ApiSection } from './define.ts'

// The camera section of the UI API: the same keys, validation, permissions and per-key errors as the
// camera WebSocket API v1 (the model checks both).

/** A per-key error, as on the v1 wire. */
export interface CameraKeyError {
  error: string
  key: string
  message?: string
}

export interface CameraSnapshot {
  /** Values of the keys the caller may read. */
  state: CameraChanges
  link: LinkStatus
  /** Controller kind: sim, pcp, visca... */
  controller: string
  /** Keys the device can do. */
  capabilities: CameraKey[]
  /** The caller's camera permissions. */
  permissions: Permission[]
  readable: CameraKey[]
  writable: CameraKey[]
  extras: ExtraControl[]
  /** Connected camera API v1 clients. */
  clients: number
}

export interface CameraSetResult {
  /** Keys the device accepted, with their confirmed values. */
  applied: CameraChanges
  errors: CameraKeyError[]
}

/** Snapshot first, then every change and link event the caller may see. */
export type CameraEvent = { type: 'snapshot'; snapshot: CameraSnapshot } | { type: 'change'; changes: CameraChanges } | { type: 'link'; link: LinkStatus }

export const cameraApi = {
  commands: {
    'camera.get': command(z.object({}).strict()).returns<CameraSnapshot>(),
    /** Values are checked by the camera model exactly as on /api/v1 (strict types, ranges, permissions). */
    'camera.set': command(z.object({ changes: z.record(z.string().max(64), z.unknown()) }).strict()).returns<CameraSetResult>(),
    /** An extra device control (zoom, presets, the simulator's head 2). */
    'camera.command': command(z.object({ name: z.string().min(1).max(64), args: z.record(z.string().max(64), z.unknown()).default({}) }).strict()).returns<{ result: unknown }>(),
  },
  topics: {
    camera: topic(z.object({}).strict()).emits<CameraEvent>(),
  },
} satisfies ApiSection
