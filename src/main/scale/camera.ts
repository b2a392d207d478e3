import { EventEmitter } from 'node:events'
import { PERMISSIONS } from '../../shared/auth.ts'
import type { CameraChanges, CameraKey, ExtraControl, LinkStatus } from '../../shared/camera-keys.ts'
import type { ApplyResults, CameraController, CameraControllerEvents } from '../camera/controller.ts'
import type { CameraModel, WriteOutcome } from '../camera/model.ts'
import type { Logger } from '../log/index.ts'
import { UiError, type UiRouter } from '../uiapi/index.ts'
import type { Backplane } from './backplane.ts'

// The camera across instances. The instance whose device.source is a real controller (sim, auto,
// pcp:, visca:) owns the device: it publishes every confirmed change and its link, and serves
// reads, writes and extra controls for the others. An instance with device.source 'remote' drives
// its camera model through RemoteCameraController, so its v1 clients, UI and RPC hub see the owner's
// state and their writes are validated and authorised here, then applied by the owner.

const CHANGE = 'camera.change'
const LINK = 'camera.link'
const OWNER_POLL_MS = 2000

interface OwnerInfo {
  kind: string
  link: LinkStatus
  capabilities: CameraKey[]
  extras: ExtraControl[]
}

/** Owner side: publishes the model's changes and link, answers the followers' requests. */
export function shareCamera(bp: Backplane, model: CameraModel): () => void {
  const onChange = (c: CameraChanges) => bp.publish(CHANGE, JSON.stringify(c))
  const onLink = (l: LinkStatus) => bp.publish(LINK, JSON.stringify(l))
  model.on('change', onChange)
  model.on('link', onLink)
  bp.handle('camera.info', (): OwnerInfo => ({ kind: model.controller.kind, link: model.link, capabilities: [...model.controller.capabilities], extras: [...model.controller.extras] }))
  bp.handle('camera.state', () => model.state)
  // The follower has checked the sender's permissions with the same rules (CameraModel.write).
  bp.handle('camera.write', (p) => model.write((p as { changes: Record<string, unknown> }).changes, PERMISSIONS))
  bp.handle('camera.command', (p) => {
    const { name, args } = p as { name: string; args: Record<string, unknown> }
    return model.command(name, args)
  })
  return () => {
    model.off('change', onChange)
    model.off('link', onLink)
  }
}

/** A follower's camera controller: the device is the owner instance's, reached over the backplane. */
export class RemoteCameraController extends EventEmitter<CameraControllerEvents> implements CameraController {
  readonly kind = 'remote'
  readonly reportsState = true
  link: LinkStatus = { state: 'disconnected', detail: 'looking for the instance that owns the device' }
  capabilities: ReadonlySet<CameraKey> = new Set()
  extras: readonly ExtraControl[] = []
  #bp: Backplane
  #log: Logger
  #owner: string | undefined
  #offs: Array<() => void> = []
  #poll: NodeJS.Timeout | undefined
  #timeoutMs: number
  /** Writes waiting for the owner, and the owner's changes that arrived meanwhile (see apply). */
  #inflight = 0
  #held: CameraChanges[] = []

  constructor(bp: Backplane, opts: { log: Logger; timeoutMs: number }) {
    super()
    this.#bp = bp
    this.#log = opts.log
    this.#timeoutMs = opts.timeoutMs
  }

  /** The owner instance id, when one is known. */
  get owner(): string | undefined {
    return this.#owner
  }

  async connect(): Promise<void> {
    this.#offs.push(
      this.#bp.subscribe(CHANGE, (data, from) => {
        if (from !== this.#owner) return
        let c: CameraChanges
        try {
          c = JSON.parse(data.toString()) as CameraChanges
        } catch {
          return // corrupt: ignored, the next resync repairs
        }
        if (this.#inflight > 0) this.#held.push(c)
        else this.emit('change', c)
      }),
      this.#bp.subscribe(LINK, (data, from) => {
        if (from !== this.#owner) return
        try {
          this.#setLink(JSON.parse(data.toString()) as LinkStatus)
        } catch {
          /* ignored */
        }
      }),
    )
    const onState = (state: string) => {
      if (state === 'connected') void this.#findOwner(true)
      else this.#lost(`Redis backplane ${state}: the device owner is unreachable`)
    }
    this.#bp.on('state', onState)
    this.#offs.push(() => this.#bp.off('state', onState))
    this.#poll = setInterval(() => void this.#findOwner(false), OWNER_POLL_MS)
    this.#poll.unref()
    void this.#findOwner(true)
  }

  async close(): Promise<void> {
    clearInterval(this.#poll)
    for (const off of this.#offs) off()
    this.#offs = []
    this.#owner = undefined
  }

  async readAll(): Promise<CameraChanges> {
    return (await this.#request('camera.state', {})) as CameraChanges
  }

  async apply(changes: CameraChanges): Promise<ApplyResults> {
    // The owner broadcasts the accepted values before it answers: held until our model has sent the
    // writer its confirmation and committed, so here too the confirmation comes before the broadcast.
    this.#inflight++
    let o: WriteOutcome
    try {
      o = (await this.#request('camera.write', { changes })) as WriteOutcome
    } finally {
      if (--this.#inflight === 0) setImmediate(() => this.#release())
    }
    // The owner's device was unreachable for the whole call: the same error (and name) as on the owner.
    const failed = o.failed ?? []
    if (failed.length > 0 && Object.keys(o.applied ?? {}).length === 0 && failed.every((e) => e.error === 'Device unavailable')) throw new Error(failed[0]!.message ?? 'Device unavailable')
    const out: Record<string, ApplyResults[CameraKey]> = {}
    for (const [k, v] of Object.entries(o.applied ?? {})) out[k] = { ok: true, value: v }
    for (const e of [...(o.rejected ?? []), ...(o.failed ?? [])]) out[e.key] = { ok: false, reason: `${e.error}${e.message ? `: ${e.message}` : ''} (on ${this.#owner})` }
    return out as ApplyResults
  }

  #release(): void {
    if (this.#inflight > 0) return
    for (const c of this.#held.splice(0)) this.emit('change', c)
  }

  command(name: string, args: Record<string, unknown>): Promise<unknown> {
    return this.#request('camera.command', { name, args })
  }

  #request(kind: string, payload: unknown): Promise<unknown> {
    const owner = this.#owner
    if (!owner) return Promise.reject(new Error(`Device not connected: ${this.link.detail}`))
    return this.#bp.request(owner, kind, payload, this.#timeoutMs + 1000)
  }

  async #findOwner(force: boolean): Promise<void> {
    if (!this.#bp.up) return
    let owner
    try {
      owner = await this.#bp.ownerOf('device')
    } catch {
      return
    }
    if (!owner) return this.#lost('no instance on the backplane owns the device')
    if (owner.id === this.#owner && !force) return
    try {
      const info = (await this.#bp.request(owner.id, 'camera.info', {}, 3000)) as OwnerInfo
      this.#owner = owner.id
      this.capabilities = new Set(info.capabilities)
      this.extras = info.extras
      this.#log.info({ owner: owner.id, name: owner.name }, 'following the device owner')
      // 'connected' makes the model read the owner's full state (reportsState).
      this.#setLink({ state: info.link.state, detail: `via ${owner.name} (${owner.id}): ${info.link.detail}` })
    } catch (err) {
      this.#lost(`device owner ${owner.id} did not answer: ${(err as Error).message}`)
    }
  }

  #lost(detail: string): void {
    if (this.#owner === undefined && this.link.detail === detail) return
    this.#owner = undefined
    this.#setLink({ state: 'disconnected', detail })
  }

  #setLink(l: LinkStatus): void {
    const detail = l.detail.startsWith('via ') || l.state === 'disconnected' ? l.detail : `via ${this.#owner}: ${l.detail}`
    if (this.link.state === l.state && this.link.detail === detail) return
    this.link = { state: l.state, detail }
    this.emit('link', this.link)
  }
}

/**
 * The Device page's API on a follower: there is no device here, so each call says where it is
 * (the camera itself, /api/v1 and the camera UI topic work as on the owner).
 */
export function registerRemoteDeviceUi(ui: UiRouter, controller: () => RemoteCameraController | undefined): void {
  const fail = (): never => {
    const owner = controller()?.owner
    throw new UiError('unavailable', `The camera controller is attached to ${owner ? `instance ${owner}` : 'another instance'}; this instance follows it (device.source "remote"). Use that instance's Device page.`)
  }
  for (const name of ['device.status', 'device.setSource', 'device.ports', 'device.traffic', 'device.sim', 'device.extras'] as const) ui.handle(name, 'Device_r', fail)
  ui.topic('device', 'Device_r', () => () => undefined)
}
