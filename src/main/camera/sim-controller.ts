import { EventEmitter } from 'node:events'
import { CAMERA_KEY_NAMES, type CameraChanges, type CameraKey, type CameraState, defaultCameraState } from '../../shared/camera-keys.ts'
import type { ApplyResults, CameraController, CameraControllerEvents, ExtraControl, LinkStatus } from './controller.ts'

export type SimFault = 'none' | 'no-answer' | 'refuse-all'

export interface SimOptions {
  /** Delay before the simulated device acknowledges a write or a read (ms). */
  ackDelayMs?: number
  /** When > 0, the device changes an image value by itself every this many ms (off in tests). */
  driftMs?: number
  /** Keys the simulated device can do (all by default). */
  capabilities?: readonly CameraKey[]
  /** Whether the device keeps its own settings across restarts (then the model reads them back). */
  reportsState?: boolean
  initial?: CameraChanges
}

/**
 * An in-process simulated camera controller that behaves like real hardware: it acknowledges after a
 * delay, can refuse, changes values by itself, has two heads (the second detachable) and a fault
 * switch for "does not answer". The stand-in default until the device room's PCP emulator replaces it.
 */
export class SimController extends EventEmitter<CameraControllerEvents> implements CameraController {
  readonly kind = 'sim'
  readonly capabilities: ReadonlySet<CameraKey>
  readonly reportsState: boolean
  readonly extras: readonly ExtraControl[] = [
    { name: 'zoom', label: 'Zoom', kind: 'range', min: 0, max: 100, step: 1, description: 'Simulated optical zoom' },
    { name: 'head2', label: 'Camera head 2', kind: 'select', options: ['attached', 'detached'], description: 'Plug or unplug the second head' },
  ]
  /** Fault injection: 'no-answer' makes writes and reads hang until aborted; 'refuse-all' refuses every write. */
  fault: SimFault = 'none'
  /** Per-key refusals (key → reason), for tests. */
  readonly refusals = new Map<CameraKey, string>()
  /** Writes the device received (most recent last, bounded), for tests. */
  readonly received: CameraChanges[] = []
  #state: CameraState
  #link: LinkStatus = { state: 'disconnected', detail: 'not opened' }
  #ackDelayMs: number
  #driftMs: number
  #drift: NodeJS.Timeout | undefined
  #zoom = 0

  constructor(opts: SimOptions = {}) {
    super()
    this.#ackDelayMs = opts.ackDelayMs ?? 5
    this.#driftMs = opts.driftMs ?? 0
    this.capabilities = new Set(opts.capabilities ?? CAMERA_KEY_NAMES)
    this.reportsState = opts.reportsState ?? false
    this.#state = { ...defaultCameraState(), ...opts.initial }
  }

  get link(): LinkStatus {
    return this.#link
  }

  /** The device's own state (what its panel would show). */
  get state(): Readonly<CameraState> {
    return this.#state
  }

  async connect(): Promise<void> {
    if (this.#link.state === 'connected') return
    this.#setLink({ state: 'connecting', detail: 'simulated controller' })
    await delay(this.#ackDelayMs)
    this.#setLink({ state: 'connected', detail: 'simulated controller (2 heads)' })
    if (this.#driftMs > 0 && !this.#drift) {
      this.#drift = setInterval(() => this.#wander(), this.#driftMs)
      this.#drift.unref()
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#drift)
    this.#drift = undefined
    if (this.#link.state !== 'disconnected') this.#setLink({ state: 'disconnected', detail: 'closed' })
  }

  async readAll(signal?: AbortSignal): Promise<CameraChanges> {
    await this.#answer(signal)
    const out: Record<string, unknown> = {}
    for (const k of this.capabilities) if (k !== 'snap') out[k] = this.#state[k]
    return out as CameraChanges
  }

  async apply(changes: CameraChanges, signal?: AbortSignal): Promise<ApplyResults> {
    this.received.push({ ...changes })
    if (this.received.length > 100) this.received.shift()
    await this.#answer(signal)
    const results: ApplyResults = {}
    for (const [key, value] of Object.entries(changes) as [CameraKey, CameraState[CameraKey]][]) {
      const refusal = this.fault === 'refuse-all' ? 'Device refused the command' : this.refusals.get(key)
      if (refusal) results[key] = { ok: false, reason: refusal }
      else if (key === 'main-camera' && value === 2 && !this.#state['cam2-exists']) results[key] = { ok: false, reason: 'Camera 2 is not attached' }
      else if (key === 'cam2-light' && value === true && !this.#state['cam2-exists']) results[key] = { ok: false, reason: 'Camera 2 is not attached' }
      else if (key === 'snap') results[key] = { ok: true, value: false }
      else {
        ;(this.#state as unknown as Record<string, unknown>)[key] = value
        results[key] = { ok: true, value }
      }
    }
    return results
  }

  async command(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    await this.#answer(signal)
    if (name === 'zoom') {
      const v = args.value
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) throw new Error('zoom: value must be an integer between 0 and 100')
      this.#zoom = v
      return { zoom: v }
    }
    if (name === 'head2') {
      if (args.value === 'attached') this.attachHead2()
      else if (args.value === 'detached') this.detachHead2()
      else throw new Error('head2: value must be "attached" or "detached"')
      return { head2: args.value }
    }
    throw new Error(`Unknown command: ${name}`)
  }

  get zoom(): number {
    return this.#zoom
  }

  /** Unplugs camera head 2: cam2-exists false, its light off, main camera back to 1. */
  detachHead2(): void {
    if (!this.#state['cam2-exists']) return
    const changes: CameraChanges = { 'cam2-exists': false }
    if (this.#state['cam2-light']) changes['cam2-light'] = false
    if (this.#state['main-camera'] === 2) changes['main-camera'] = 1
    this.press(changes)
  }

  attachHead2(): void {
    if (!this.#state['cam2-exists']) this.press({ 'cam2-exists': true })
  }

  /** A change made on the device itself (a button, a knob): reported to the model. */
  press(changes: CameraChanges): void {
    Object.assign(this.#state, changes)
    if (this.#link.state === 'connected') this.emit('change', changes)
  }

  /** Simulates a lost link (cable pulled); `replug()` brings it back. */
  unplug(detail = 'cable unplugged'): void {
    this.#setLink({ state: 'disconnected', detail })
  }

  replug(): void {
    this.#setLink({ state: 'connected', detail: 'simulated controller (2 heads)' })
  }

  #setLink(status: LinkStatus): void {
    this.#link = status
    this.emit('link', status)
  }

  /** Waits like a device would: the ack delay, forever under 'no-answer' (until aborted), or fails when unplugged. */
  async #answer(signal?: AbortSignal): Promise<void> {
    if (this.#link.state !== 'connected') throw new Error('Device not connected')
    if (this.fault === 'no-answer') {
      await new Promise<never>((_, reject) => {
        if (!signal) return // hangs like a dead device; the caller's timeout decides
        if (signal.aborted) return reject(signal.reason)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    }
    await delay(this.#ackDelayMs, signal)
    if (this.#link.state !== 'connected') throw new Error('Device not connected')
  }

  #wander(): void {
    const keys: CameraKey[] = ['brightness', 'gain', 'red-gain', 'blue-gain']
    const key = keys[Math.floor(Math.random() * keys.length)]!
    const now = this.#state[key] as number
    const next = Math.max(0, Math.min(100, now + (Math.random() < 0.5 ? -1 : 1)))
    if (next !== now) this.press({ [key]: next })
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
