// Pitwall's tags on the RPC hub: camera get/set (the camera model's checks, as /api/v1), timing
// snapshot and subscription, messaging publish, and the run plan DataSource (five CRUD tags).

import { z } from 'zod'
import { type Permission, type Principal, permissionsOf } from '../../shared/auth.ts'
import { CAMERA_KEYS, type CameraChanges, canReadKey, cameraKeyDef } from '../../shared/camera-keys.ts'
import { runPlanAddSchema, runPlanUpdateSchema } from '../../shared/runplan-schema.ts'
import type { RunPlanService } from './runplan.ts'
import { defineTag, type RpcPeer, type RpcServer } from './server.ts'
import { RpcError, RpcTags } from './tags.ts'

/** What the camera tags need of the camera model (src/main/camera/model.ts). */
export interface CameraPort {
  readonly state: Readonly<object>
  write(raw: Record<string, unknown>, perms: readonly Permission[]): Promise<{ applied: CameraChanges; rejected: KeyErrorLike[]; failed: KeyErrorLike[] }>
  on(event: 'change', fn: (changes: CameraChanges) => void): unknown
  off(event: 'change', fn: (changes: CameraChanges) => void): unknown
}
interface KeyErrorLike {
  error: string
  key: string
  message?: string
}

/** What the timing tags need of the timing store (src/main/timing/state/store.ts). */
export interface TimingPort {
  snapshot(): unknown
  on(event: 'session' | 'cars' | 'reset', fn: (...args: any[]) => void): unknown
  off(event: 'session' | 'cars' | 'reset', fn: (...args: any[]) => void): unknown
}

/** What the messaging tag needs of the message bus. */
export interface MessagingPort {
  publish(topic: string, data: unknown, from: Principal): Promise<unknown> | unknown
}

export interface PitwallPorts {
  anonymousRead: boolean
  camera?: CameraPort
  timing?: TimingPort
  messaging?: MessagingPort
  runPlan: RunPlanService
}

const CAMERA_PERMS = new Set<Permission>(['Device_r', 'Device_rw', 'Media_r', 'Media_rw'])
const MAX_KEYS = 64

const unavailable = (what: string) => new RpcError('unavailable', `${what} is not running on this server`)

/** Registers every Pitwall tag; the result plugs rooms in and out and detaches every listener. */
export function registerPitwallTags(hub: RpcServer, input: PitwallPorts): PitwallTagPorts {
  const ports: PitwallPorts = { ...input }
  const cleanup: Array<() => void> = []
  const cameraPerms = (p: Principal) => permissionsOf(p, ports.anonymousRead).filter((x) => CAMERA_PERMS.has(x))

  // --- camera -------------------------------------------------------------------------------
  hub.register(
    defineTag({
      tag: RpcTags.CameraGet,
      name: 'CameraGet',
      permission: null, // per key, as /api/v1
      params: [z.array(z.string().max(64)).max(MAX_KEYS).optional()],
      paramNames: ['keys'],
      resultType: 'CameraState',
      handle: ([keys], _d, call) => {
        const camera = ports.camera
        if (!camera) throw unavailable('the camera')
        const perms = cameraPerms(call.peer.principal)
        const state = camera.state as Record<string, unknown>
        const names = keys && keys.length > 0 ? keys : CAMERA_KEYS.filter((d) => canReadKey(d, perms)).map((d) => d.key)
        const out: Record<string, unknown> = {}
        const errors: KeyErrorLike[] = []
        for (const name of names) {
          const def = cameraKeyDef(name)
          if (!def) errors.push({ error: 'Unknown key', key: name, message: `No key "${name}" in camera API v1` })
          else if (!canReadKey(def, perms)) errors.push({ error: 'Permission denied', key: def.key, message: `Reading ${def.key} needs ${def.read.join(' or ')}` })
          else out[def.key] = state[def.key]
        }
        return { state: out, errors }
      },
    }),
  )
  hub.register(
    defineTag({
      tag: RpcTags.CameraSet,
      name: 'CameraSet',
      permission: null, // per key, as /api/v1 (a write by an anonymous client is refused per key)
      params: [z.record(z.string().max(64), z.unknown()).refine((o) => Object.keys(o).length <= MAX_KEYS, `at most ${MAX_KEYS} keys`)],
      paramNames: ['changes'],
      resultType: 'CameraWriteResult',
      handle: async ([changes], _d, call) => {
        const camera = ports.camera
        if (!camera) throw unavailable('the camera')
        const o = await camera.write(changes, cameraPerms(call.peer.principal))
        return { applied: o.applied, errors: [...o.rejected, ...o.failed] }
      },
    }),
  )

  // Confirmed camera changes go to every connection, filtered to the keys it may read.
  const onCameraChange = (changes: CameraChanges) => {
    // Connections that may read the same keys get the same message (sent once per group).
    const groups = new Map<string, { data: Record<string, unknown>; peers: RpcPeer[] }>()
    for (const peer of hub.peers()) {
      const perms = cameraPerms(peer.principal)
      let visible: Record<string, unknown> | undefined
      for (const [k, v] of Object.entries(changes)) {
        const def = cameraKeyDef(k)
        if (def && canReadKey(def, perms)) (visible ??= {})[k] = v
      }
      if (!visible) continue
      const id = Object.keys(visible).join(',')
      let g = groups.get(id)
      if (!g) groups.set(id, (g = { data: visible, peers: [] }))
      g.peers.push(peer)
    }
    for (const g of groups.values()) hub.sendTo(g.peers, RpcTags.CameraChanged, g.data, 'CameraChanges')
  }

  // --- timing -------------------------------------------------------------------------------
  const timingSubscribers = new Set<string>()
  hub.register(
    defineTag({
      tag: RpcTags.TimingSnapshot,
      name: 'TimingSnapshot',
      permission: 'Timing_r',
      resultType: 'SessionState',
      handle: () => {
        if (!ports.timing) throw unavailable('timing')
        return ports.timing.snapshot()
      },
    }),
  )
  hub.register(
    defineTag({
      tag: RpcTags.TimingSubscribe,
      name: 'TimingSubscribe',
      permission: 'Timing_r',
      params: [z.boolean().default(true)],
      paramNames: ['subscribe'],
      resultType: 'bool',
      handle: ([on], _d, call) => {
        if (!ports.timing) throw unavailable('timing')
        if (on) timingSubscribers.add(call.peer.id)
        else timingSubscribers.delete(call.peer.id)
        return on
      },
    }),
  )
  cleanup.push(hub.onDisconnect((p) => timingSubscribers.delete(p.id)))
  const toSubscribers = (p: RpcPeer) => timingSubscribers.has(p.id)
  const onSession = (patch: unknown) => timingSubscribers.size && hub.broadcast(RpcTags.TimingSessionPatch, patch, 'SessionStatePatch', toSubscribers)
  const onCars = (patches: unknown) => timingSubscribers.size && hub.broadcast(RpcTags.TimingCarPatch, patches, 'CarPositionPatch[]', toSubscribers)
  // After a timing reset, subscribers get the whole state again under the session patch tag.
  const onReset = () => timingSubscribers.size && ports.timing && hub.broadcast(RpcTags.TimingSessionPatch, ports.timing.snapshot(), 'SessionState', toSubscribers)

  // --- messaging ----------------------------------------------------------------------------
  hub.register(
    defineTag({
      tag: RpcTags.MessagingPublish,
      name: 'MessagingPublish',
      permission: 'Messages_rw',
      params: [z.string().min(1).max(256), z.unknown().optional()],
      paramNames: ['topic', 'payload'],
      handle: async ([topic, payload], data, call) => {
        if (!ports.messaging) throw unavailable('messaging')
        return (await ports.messaging.publish(topic, payload ?? data ?? null, call.peer.principal)) ?? true
      },
      data: z.unknown(),
    }),
  )

  // --- run plan DataSource ------------------------------------------------------------------
  const rp = ports.runPlan
  const by = (p: Principal) => p.username
  hub.register(defineTag({ tag: RpcTags.RunPlanGetAll, name: 'RunPlanGetAll', permission: 'Timing_r', resultType: 'RunPlanList', handle: () => rp.list() }))
  hub.register(
    defineTag({
      tag: RpcTags.RunPlanGetItem,
      name: 'RunPlanGetItem',
      permission: 'Timing_r',
      params: [z.string().min(1).max(64)],
      paramNames: ['id'],
      resultType: 'RunPlanItem',
      handle: ([id]) => rp.get(id),
    }),
  )
  hub.register(
    defineTag({
      tag: RpcTags.RunPlanAdd,
      name: 'RunPlanAdd',
      permission: 'Timing_rw',
      data: runPlanAddSchema,
      resultType: 'RunPlanChange',
      sendToOthers: { tag: RpcTags.RunPlanAdded, to: 'Others' },
      handle: (_a, item, call) => rp.add(item!, by(call.peer.principal), call.peer.id),
    }),
  )
  hub.register(
    defineTag({
      tag: RpcTags.RunPlanUpdate,
      name: 'RunPlanUpdate',
      permission: 'Timing_rw',
      data: runPlanUpdateSchema,
      resultType: 'RunPlanChange',
      sendToOthers: { tag: RpcTags.RunPlanUpdated, to: 'Others' },
      handle: (_a, patch, call) => rp.update(patch!, by(call.peer.principal), call.peer.id),
    }),
  )
  hub.register(
    defineTag({
      tag: RpcTags.RunPlanRemove,
      name: 'RunPlanRemove',
      permission: 'Timing_rw',
      params: [z.string().min(1).max(64), z.number().int().min(1).optional()],
      paramNames: ['id', 'version'],
      resultType: 'RunPlanChange',
      sendToOthers: { tag: RpcTags.RunPlanRemoved, to: 'Others' },
      handle: ([id, version], _d, call) => rp.remove(id, version, call.peer.id),
    }),
  )
  // Changes made elsewhere (the UI) reach every RPC client; RPC-made ones went out via sendToOthers.
  const fromElsewhere = (change: { kind: 'added' | 'updated' | 'removed' }, origin: string) => {
    if (origin !== 'ui') return
    const tag = change.kind === 'added' ? RpcTags.RunPlanAdded : change.kind === 'updated' ? RpcTags.RunPlanUpdated : RpcTags.RunPlanRemoved
    hub.broadcast(tag, change, 'RunPlanChange')
  }
  rp.on('change', fromElsewhere)
  cleanup.push(() => rp.off('change', fromElsewhere))

  const attachCamera = (c: CameraPort | undefined) => {
    ports.camera?.off('change', onCameraChange)
    ports.camera = c
    c?.on('change', onCameraChange)
  }
  const attachTiming = (t: TimingPort | undefined) => {
    const old = ports.timing
    old?.off('session', onSession as never)
    old?.off('cars', onCars as never)
    old?.off('reset', onReset as never)
    ports.timing = t
    t?.on('session', onSession as never)
    t?.on('cars', onCars as never)
    t?.on('reset', onReset as never)
  }
  const initial = { camera: ports.camera, timing: ports.timing }
  ports.camera = undefined
  ports.timing = undefined
  attachCamera(initial.camera)
  attachTiming(initial.timing)

  return {
    attach(next) {
      if ('camera' in next) attachCamera(next.camera)
      if ('timing' in next) attachTiming(next.timing)
      if ('messaging' in next) ports.messaging = next.messaging
    },
    detach() {
      attachCamera(undefined)
      attachTiming(undefined)
      for (const fn of cleanup) fn()
    },
  }
}

export interface PitwallTagPorts {
  /** Plugs a room in (or out, with undefined) while running. */
  attach(ports: Partial<Pick<PitwallPorts, 'camera' | 'timing' | 'messaging'>>): void
  detach(): void
}
