import { EventEmitter } from 'node:events'
import type { Permission } from '../../shared/auth.ts'
import {
  CAMERA_KEYS,
  type CameraChanges,
  type CameraKey,
  type CameraState,
  type CameraValue,
  canWriteKey,
  cameraKeyDef,
  defaultCameraState,
  isCanonicalValue,
  resolveWrite,
  validateValue,
} from '../../shared/camera-keys.ts'
import type { Logger } from '../log/index.ts'
import type { Store } from '../store/index.ts'
import type { ApplyResults, CameraController, LinkStatus } from './controller.ts'

/** The error names a write or a query can fail with (the `error` field of the v1 wire). */
export type CameraErrorName =
  | 'Unknown key'
  | 'Read-only'
  | 'Permission denied'
  | 'Invalid value'
  | 'Not supported by device'
  | 'Refused by device'
  | 'Device timeout'
  | 'Device unavailable'

export interface KeyError {
  error: CameraErrorName
  key: string
  message?: string
}

export interface WriteOutcome {
  /** Keys the device accepted, with their confirmed (canonical) values; snap confirms as true. */
  applied: CameraChanges
  /** Keys refused before reaching the device (unknown, read-only, permission, validation, capability). */
  rejected: KeyError[]
  /** Keys the device refused, or did not answer in time. */
  failed: KeyError[]
}

export interface CameraModelEvents {
  /** Confirmed changes (device-originated or accepted writes); only keys whose value changed. */
  change: [changes: CameraChanges]
  link: [status: LinkStatus]
}

export interface CameraModelOptions {
  controller: CameraController
  store: Store
  log: Logger
  /** How long the controller may take to answer a write or a read. */
  timeoutMs: number
}

/** Confirmed settings reach the store within this delay (and at stop). */
const SAVE_DELAY_MS = 500

/** Transient keys: never persisted or restored (actions, device facts, and the recording state). */
const NOT_SETTINGS: ReadonlySet<CameraKey> = new Set(['snap', 'record', 'cam1-exists', 'cam2-exists'])

/**
 * The single source of truth for the camera: holds the confirmed value of every v1 key, validates and
 * authorises writes, sends them to the controller and confirms (and broadcasts) only what it accepts.
 * Persists the last confirmed settings and restores them on start.
 */
export class CameraModel extends EventEmitter<CameraModelEvents> {
  #controller: CameraController
  #store: Store
  #log: Logger
  #timeoutMs: number
  #state: CameraState = defaultCameraState()
  #save
  #syncing: Promise<void> | undefined
  /** Confirmed settings not yet written to the store (flushed together, off the broadcast path). */
  #dirty = new Map<CameraKey, CameraValue>()
  #flushTimer: NodeJS.Timeout | undefined
  #onChange = (changes: CameraChanges) => this.#deviceChanged(changes)
  #onLink = (status: LinkStatus) => this.#linkChanged(status)

  constructor(opts: CameraModelOptions) {
    super()
    this.#controller = opts.controller
    this.#store = opts.store
    this.#log = opts.log
    this.#timeoutMs = opts.timeoutMs
    opts.store.migrate('camera', [`CREATE TABLE camera_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);`])
    this.#save = opts.store.prepare('INSERT INTO camera_settings(key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
    this.#loadStored()
  }

  get state(): Readonly<CameraState> {
    return this.#state
  }

  get controller(): CameraController {
    return this.#controller
  }

  get link(): LinkStatus {
    return this.#controller.link
  }

  /** Connects the controller and brings model and device in line (restore, then read back). */
  async start(): Promise<void> {
    this.#attach(this.#controller)
    try {
      await this.#controller.connect()
    } catch (err) {
      // A missing device must not stop Pitwall: the link state says what is wrong, writes get "Device unavailable".
      this.#log.error({ err: (err as Error).message }, 'connecting the camera controller failed')
      return
    }
    if (this.#controller.link.state === 'connected') await this.#sync()
  }

  async stop(): Promise<void> {
    this.#detach(this.#controller)
    this.#flush()
    await this.#controller.close()
  }

  /** Swaps the controller at run time (the device room switching drivers). */
  async replaceController(next: CameraController): Promise<void> {
    const prev = this.#controller
    this.#detach(prev)
    await prev.close().catch((err: unknown) => this.#log.warn({ err }, 'closing the previous controller failed'))
    this.#controller = next
    this.#attach(next)
    this.emit('link', next.link)
    try {
      await next.connect()
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'connecting the camera controller failed')
      return
    }
    if (next.link.state === 'connected') await this.#sync()
  }

  /**
   * Validates, authorises and applies a client's write. Per key, in order: unknown key, read-only,
   * permission, value type/range, device capability, rules between keys; the rest goes to the device.
   * `beforeBroadcast` runs once the device has answered and before the change event, so a sender
   * gets its confirmation before the broadcast.
   */
  async write(raw: Record<string, unknown>, perms: readonly Permission[], beforeBroadcast?: (o: WriteOutcome) => void): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { applied: {}, rejected: [], failed: [] }
    const toDevice: Record<string, CameraValue> = {}
    for (const [name, value] of Object.entries(raw)) {
      const def = cameraKeyDef(name)
      if (!def) {
        outcome.rejected.push({ error: 'Unknown key', key: name, message: `No key "${name}" in camera API v1` })
        continue
      }
      const key = def.key
      if (def.readOnly) {
        outcome.rejected.push({ error: 'Read-only', key, message: `${key} is read-only` })
        continue
      }
      if (!canWriteKey(def, perms)) {
        outcome.rejected.push({ error: 'Permission denied', key, message: `Writing ${key} needs ${def.write}` })
        continue
      }
      const checked = validateValue(def, value)
      if (!checked.ok) {
        outcome.rejected.push({ error: 'Invalid value', key, message: checked.message })
        continue
      }
      if (!this.#controller.capabilities.has(key)) {
        outcome.rejected.push({ error: 'Not supported by device', key, message: `The ${this.#controller.kind} controller cannot set ${key}` })
        continue
      }
      const resolved = resolveWrite(key, checked.value, this.#state)
      if (!resolved.ok) {
        outcome.rejected.push({ error: 'Invalid value', key, message: resolved.message })
        continue
      }
      toDevice[key] = resolved.value
    }
    const keys = Object.keys(toDevice) as CameraKey[]
    if (keys.length === 0) {
      beforeBroadcast?.(outcome)
      return outcome
    }
    const results = await this.#applyWithTimeout(toDevice as CameraChanges)
    const confirmed: Record<string, CameraValue> = {}
    for (const key of keys) {
      const r = results instanceof Error ? undefined : results[key]
      if (results instanceof Error) outcome.failed.push(errorFor(key, results, this.#timeoutMs))
      else if (!r) outcome.failed.push({ error: 'Refused by device', key, message: 'No answer for key' })
      else if (!r.ok) outcome.failed.push({ error: 'Refused by device', key, message: r.reason })
      else if (key === 'snap') (outcome.applied as Record<string, unknown>).snap = true
      else {
        const def = cameraKeyDef(key)!
        const v = isCanonicalValue(def, r.value) ? r.value : toDevice[key]!
        ;(outcome.applied as Record<string, unknown>)[key] = v
        confirmed[key] = v
      }
    }
    beforeBroadcast?.(outcome)
    this.#commit(confirmed as CameraChanges)
    return outcome
  }

  /** Runs an extra device control (zoom, presets...). */
  async command(name: string, args: Record<string, unknown>): Promise<unknown> {
    if (!this.#controller.extras.some((e) => e.name === name)) throw new Error(`Unknown device control: ${name}`)
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(new Error(`The device did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs)
    try {
      return await this.#controller.command(name, args, ac.signal)
    } finally {
      clearTimeout(timer)
    }
  }

  async #applyWithTimeout(changes: CameraChanges): Promise<ApplyResults | Error> {
    const ac = new AbortController()
    const timeout = new TimeoutError(this.#timeoutMs)
    const timer = setTimeout(() => ac.abort(timeout), this.#timeoutMs)
    try {
      return await Promise.race([
        this.#controller.apply(changes, ac.signal),
        new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(timeout), { once: true })),
      ])
    } catch (err) {
      if (ac.signal.aborted) return timeout
      return err instanceof Error ? err : new Error(String(err))
    } finally {
      clearTimeout(timer)
    }
  }

  /** Applies confirmed values: only keys whose value changed are broadcast, then stored. */
  #commit(changes: CameraChanges): void {
    let changed: Record<string, CameraValue> | undefined
    for (const key in changes) {
      const value = (changes as Record<string, CameraValue>)[key]!
      if ((this.#state as unknown as Record<string, CameraValue>)[key] === value) continue
      ;(this.#state as unknown as Record<string, CameraValue>)[key] = value
      ;(changed ??= {})[key] = value
      if (!NOT_SETTINGS.has(key as CameraKey)) this.#dirty.set(key as CameraKey, value)
    }
    if (!changed) return
    this.emit('change', changed as CameraChanges)
    // A slider dragged across its range is one write to disk, not fifty (and no WAL checkpoint on the hot path).
    if (this.#dirty.size > 0 && !this.#flushTimer) {
      this.#flushTimer = setTimeout(() => this.#flush(), SAVE_DELAY_MS)
      this.#flushTimer.unref()
    }
  }

  /** Writes pending settings in one transaction; a store failure is logged, never thrown at a client. */
  #flush(): void {
    clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    if (this.#dirty.size === 0) return
    const now = Date.now()
    const pending = [...this.#dirty]
    this.#dirty.clear()
    try {
      this.#store.transaction(() => {
        for (const [key, value] of pending) this.#save.run(key, JSON.stringify(value), now)
      })
    } catch (err) {
      this.#log.error({ err }, 'saving camera settings failed')
    }
  }

  #deviceChanged(changes: CameraChanges): void {
    const valid: Record<string, CameraValue> = {}
    for (const [key, value] of Object.entries(changes)) {
      const def = cameraKeyDef(key)
      if (def?.type === 'action') continue // actions have no state to report
      if (def && def.key === key && isCanonicalValue(def, value)) valid[key] = value
      else this.#log.warn({ key, value }, 'controller reported an invalid value; ignored')
    }
    this.#commit(valid as CameraChanges)
  }

  #linkChanged(status: LinkStatus): void {
    this.#log.info({ link: status.state, detail: status.detail }, `device link ${status.state}`)
    this.emit('link', status)
    if (status.state === 'connected') void this.#sync()
  }

  /**
   * Brings device and model in line: a device that keeps its own settings is read back; otherwise the
   * stored settings are restored to it first. Either way a full read follows (heads, recording).
   */
  #sync(): Promise<void> {
    this.#syncing ??= (async () => {
      const c = this.#controller
      try {
        if (!c.reportsState) {
          const settings: Record<string, CameraValue> = {}
          for (const def of CAMERA_KEYS) if (!NOT_SETTINGS.has(def.key) && c.capabilities.has(def.key)) settings[def.key] = this.#state[def.key]
          const r = await this.#applyWithTimeout(settings as CameraChanges)
          if (r instanceof Error) this.#log.warn({ err: r.message }, 'restoring settings to the device failed')
          else for (const [k, v] of Object.entries(r)) if (v && !v.ok) this.#log.warn({ key: k, reason: v.reason }, 'device refused a restored setting')
        }
        const ac = new AbortController()
        const timer = setTimeout(() => ac.abort(new TimeoutError(this.#timeoutMs)), this.#timeoutMs)
        try {
          const read = await Promise.race([
            c.readAll(ac.signal),
            new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true })),
          ])
          this.#deviceChanged(read)
        } finally {
          clearTimeout(timer)
        }
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'reading the device state failed')
      } finally {
        this.#syncing = undefined
      }
    })()
    return this.#syncing
  }

  #loadStored(): void {
    const rows = this.#store.prepare('SELECT key, value FROM camera_settings').all() as { key: string; value: string }[]
    for (const row of rows) {
      const def = cameraKeyDef(row.key)
      if (!def || NOT_SETTINGS.has(def.key)) continue
      try {
        const v: unknown = JSON.parse(row.value)
        if (isCanonicalValue(def, v)) (this.#state as unknown as Record<string, unknown>)[def.key] = v
      } catch {
        this.#log.warn({ key: row.key }, 'stored camera setting is not valid JSON; using the default')
      }
    }
  }

  #attach(c: CameraController): void {
    c.on('change', this.#onChange)
    c.on('link', this.#onLink)
  }

  #detach(c: CameraController): void {
    c.off('change', this.#onChange)
    c.off('link', this.#onLink)
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError'
  constructor(ms: number) {
    super(`The device did not answer within ${ms} ms`)
  }
}

function errorFor(key: string, err: Error, _ms: number): KeyError {
  if (err instanceof TimeoutError) return { error: 'Device timeout', key, message: err.message }
  return { error: 'Device unavailable', key, message: err.message }
}
