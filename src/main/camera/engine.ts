import type { CameraChanges, LinkStatus } from '../../shared/camera-keys.ts'
import type { CoreContext, Engine, EngineStatus } from '../core/engine.ts'
import type { CameraController } from './controller.ts'
import { CameraModel } from './model.ts'
import { SimController } from './sim-controller.ts'
import { registerCameraUiApi } from './ui-api.ts'
import { CameraV1Server } from './v1.ts'

/** Makes the controller for `config.device.source`; the device room replaces the default. */
export type ControllerFactory = (ctx: CoreContext) => CameraController

/** Until the device room adds drivers, every source is served by the simulator. */
export const defaultControllerFactory: ControllerFactory = (ctx) => {
  const source = ctx.config.device.source
  if (source !== 'sim') ctx.log.warn({ area: 'camera', source }, `device.source "${source}" has no driver in this build; using the simulated controller`)
  return new SimController({ driftMs: ctx.config.camera.simDriftMs })
}

export interface CameraEngine extends Engine {
  readonly model: CameraModel
  readonly v1: CameraV1Server
}

/**
 * The camera room: the state model (single source of truth), its controller, the v1 WebSocket API at
 * /api/v1 and the UI API camera section. Republishes confirmed changes and link state on CoreEvents.
 */
export function createCameraEngine(ctx: CoreContext, factory: ControllerFactory = defaultControllerFactory): CameraEngine {
  const log = ctx.log.child({ area: 'camera' })
  const cfg = ctx.config.camera
  const model = new CameraModel({ controller: factory(ctx), store: ctx.store, log, timeoutMs: cfg.commandTimeoutMs })
  const v1 = new CameraV1Server({
    lan: ctx.lan,
    auth: ctx.auth,
    model,
    log,
    anonymousRead: ctx.config.anonymousRead,
    maxClients: cfg.maxClients,
    rateLimit: cfg.rateLimit,
    maxBufferedBytes: cfg.maxBufferedBytes,
  })
  registerCameraUiApi(ctx, model, () => v1.clientCount)
  let state: EngineStatus['state'] = 'stopped'

  const status = (): EngineStatus => {
    const link = model.link
    const s = state === 'running' && link.state !== 'connected' ? 'degraded' : state
    return { state: s, detail: `${model.controller.kind} controller ${link.state} (${link.detail}); ${v1.clientCount} v1 client(s)`, link, controller: model.controller.kind, clients: v1.clientCount }
  }
  const onChange = (changes: CameraChanges) => ctx.events.emit('camera.change', changes)
  const onLink = (link: LinkStatus) => {
    ctx.events.emit('device.link', link)
    ctx.events.emit('engine.state', 'camera', status())
  }

  return {
    name: 'camera',
    model,
    v1,
    async start() {
      state = 'starting'
      model.on('change', onChange)
      model.on('link', onLink)
      await model.start()
      state = 'running'
      ctx.events.emit('engine.state', 'camera', status())
    },
    async stop() {
      v1.close()
      model.off('change', onChange)
      model.off('link', onLink)
      await model.stop()
      state = 'stopped'
    },
    status,
  }
}
