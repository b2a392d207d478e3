import type { EventEmitter } from 'node:events'
import type { CameraChanges, CameraKey, CameraValue, ExtraControl, LinkStatus } from '../../shared/camera-keys.ts'

export type { ExtraControl, LinkState, LinkStatus } from '../../shared/camera-keys.ts'

// The interface between the camera state model and whatever drives the camera: the simulated
// controller (sim-controller.ts), the PCP and VISCA drivers (device room). The model is the only caller.
//
// Contract, in short:
// - `apply()` answers for every key it was given: accepted (with the value the device now holds) or
//   refused (with a reason a person can read). Accepted writes are NOT repeated as 'change' events;
//   the model broadcasts them itself.
// - 'change' is for what the device did on its own: a button, a head unplugged, a resync that found a
//   different value. Values are canonical (see CameraState in shared/camera-keys.ts).
// - The model applies its own timeout (config.camera.commandTimeoutMs) and aborts `signal` when it
//   expires; a driver should then forget the in-flight command. A rejected promise fails every key
//   of that call with the error's message (e.g. "Device not connected").

export type ApplyResult = { ok: true; value: CameraValue } | { ok: false; reason: string }

/** One result per key passed to `apply()`; a missing key counts as refused ("No answer for key"). */
export type ApplyResults = Partial<Record<CameraKey, ApplyResult>>

export interface CameraControllerEvents {
  change: [changes: CameraChanges]
  link: [status: LinkStatus]
}

export interface CameraController extends EventEmitter<CameraControllerEvents> {
  /** 'sim' | 'pcp' | 'visca' | ...: shown in status and on the Device page. */
  readonly kind: string
  readonly link: LinkStatus
  /**
   * Keys this device can do. The model answers writes to other keys with the per-key error
   * "Not supported by device" and keeps their last stored value.
   */
  readonly capabilities: ReadonlySet<CameraKey>
  /**
   * True when the device keeps its own settings (it is the truth after a restart): the model reads
   * them back with `readAll()` instead of restoring the stored ones.
   */
  readonly reportsState: boolean
  readonly extras: readonly ExtraControl[]

  /** Opens the link. Resolves once connected or once a (re)connect loop is running; never hangs. */
  connect(): Promise<void>
  /** Closes the link; pending commands fail. Idempotent. */
  close(): Promise<void>
  /** Every supported key's current value (a full-state read, used for resync). */
  readAll(signal?: AbortSignal): Promise<CameraChanges>
  /** Writes canonical values; answers per key. */
  apply(changes: CameraChanges, signal?: AbortSignal): Promise<ApplyResults>
  /** Runs an extra control; rejects with a readable error. */
  command(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown>
}
