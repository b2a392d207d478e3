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

// ---- Device page (the device room): the line to the controller, its traffic, the emulator.

export type DeviceLinkProtocol = 'pcp' | 'visca'

export interface DeviceStatus {
  /** sim | auto | pcp:PATH@BAUD | visca:PATH@BAUD */
  source: string
  protocol: DeviceLinkProtocol | null
  /** Port in use, e.g. "/dev/ttyUSB0@115200" or "sim (in-process PCP emulator)". */
  port: string | null
  link: LinkStatus
  device: { model: string; firmware: string } | null
  reconnects: number
  lastError: string | null
  /** USB hotplug rescans are active. */
  hotplug: boolean
  /** The in-process emulator (source sim): cable plugged, injected fault. */
  sim: { attached: boolean; fault: string } | null
}

export interface DeviceTrafficEntry {
  t: number
  dir: 'tx' | 'rx' | 'error' | 'note'
  /** The frame as on the wire (PCP text, VISCA hex). */
  raw: string
  /** Decoded, with v1 key names. */
  text: string
}

export interface SerialPortChoice {
  path: string
  manufacturer?: string
  vendorId?: string
  productId?: string
  /** Its USB id is one `auto` would pick. */
  known: boolean
}

export type DeviceEvent = { type: 'status'; status: DeviceStatus } | { type: 'traffic'; entries: DeviceTrafficEntry[] }

export { DEVICE_SIM_BUTTONS, DEVICE_SIM_FAULTS } from '../device-sim.ts'
import { DEVICE_SIM_BUTTONS, DEVICE_SIM_FAULTS } from '../device-sim.ts'

export const cameraApi = {
  commands: {
    'camera.get': command(z.object({}).strict()).returns<CameraSnapshot>(),
    /** Values are checked by the camera model exactly as on /api/v1 (strict types, ranges, permissions). */
    'camera.set': command(
      z.object({ changes: z.record(z.string().max(64), z.unknown()).refine((o) => Object.keys(o).length <= 64, 'at most 64 keys') }).strict(),
    ).returns<CameraSetResult>(),
    /** An extra device control (zoom, presets, the simulator's head 2). */
    'camera.command': command(z.object({ name: z.string().min(1).max(64), args: z.record(z.string().max(64), z.unknown()).default({}) }).strict()).returns<{ result: unknown }>(),
    'device.status': command(z.object({}).strict()).returns<DeviceStatus>(),
    /** Switches the controller source at run time (not persisted; config.device.source is the start value). */
    'device.setSource': command(z.object({ source: z.string().min(3).max(300) }).strict()).returns<DeviceStatus>(),
    'device.ports': command(z.object({}).strict()).returns<SerialPortChoice[]>(),
    'device.traffic': command(z.object({ limit: z.number().int().min(1).max(1000).default(300) }).strict()).returns<DeviceTrafficEntry[]>(),
    /** Drives the in-process emulator (source sim): press a button, inject a fault, pull/plug the cable, reboot it. */
    'device.sim': command(
      z.discriminatedUnion('action', [
        z.object({ action: z.literal('press'), button: z.enum(DEVICE_SIM_BUTTONS) }).strict(),
        z.object({ action: z.literal('fault'), fault: z.enum(DEVICE_SIM_FAULTS), delayMs: z.number().int().min(0).max(60_000).optional() }).strict(),
        z.object({ action: z.enum(['unplug', 'plug', 'reboot']) }).strict(),
      ]),
    ).returns<DeviceStatus>(),
    /** Current zoom/focus/power/preset of a VISCA camera (null for other drivers). */
    'device.extras': command(z.object({}).strict()).returns<{ values: Record<string, unknown> | null }>(),
  },
  topics: {
    camera: topic(z.object({}).strict()).emits<CameraEvent>(),
    /** Status first, then status changes and new traffic (batched). */
    device: topic(z.object({}).strict()).emits<DeviceEvent>(),
  },
} satisfies ApiSection
