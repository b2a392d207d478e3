import { permissionsOf, type Permission, type Principal } from '../../shared/auth.ts'
import { CAMERA_KEYS, type CameraChanges, type CameraKey, canReadKey, canWriteKey } from '../../shared/camera-keys.ts'
import type { CameraSnapshot } from '../../shared/ui-api/index.ts'
import type { CoreContext } from '../core/engine.ts'
import { UiError } from '../uiapi/index.ts'
import type { CameraModel } from './model.ts'

const CAMERA_PERMS = new Set<Permission>(['Device_r', 'Device_rw', 'Media_r', 'Media_rw'])

/** UI API handlers of the camera section: the same model, checks and per-key errors as /api/v1. */
export function registerCameraUiApi(ctx: CoreContext, model: CameraModel, clients: () => number): void {
  const permsOf = (p: Principal) => permissionsOf(p, ctx.config.anonymousRead).filter((x) => CAMERA_PERMS.has(x))
  const readableOf = (perms: Permission[]) => new Set<string>(CAMERA_KEYS.filter((d) => canReadKey(d, perms)).map((d) => d.key))
  const filter = (changes: CameraChanges, readable: Set<string>): CameraChanges | undefined => {
    let out: Record<string, unknown> | undefined
    for (const [k, v] of Object.entries(changes)) if (readable.has(k)) (out ??= {})[k] = v
    return out as CameraChanges | undefined
  }
  const snapshot = (p: Principal): CameraSnapshot => {
    const perms = permsOf(p)
    const readable = readableOf(perms)
    return {
      state: filter(model.state, readable) ?? {},
      link: model.link,
      controller: model.controller.kind,
      capabilities: [...model.controller.capabilities],
      permissions: perms,
      readable: [...readable] as CameraKey[],
      writable: CAMERA_KEYS.filter((d) => canWriteKey(d, perms)).map((d) => d.key),
      extras: [...model.controller.extras],
      clients: clients(),
    }
  }

  ctx.ui.handle('camera.get', null, (_p, c) => snapshot(c.principal))
  ctx.ui.handle('camera.set', null, async (p, c) => {
    const o = await model.write(p.changes, permsOf(c.principal))
    return { applied: o.applied, errors: [...o.rejected, ...o.failed] }
  })
  ctx.ui.handle('camera.command', 'Device_rw', async (p) => {
    try {
      return { result: (await model.command(p.name, p.args ?? {})) ?? null }
    } catch (err) {
      throw new UiError('bad_request', (err as Error).message)
    }
  })
  ctx.ui.topic('camera', null, (_p, c, emit) => {
    const readable = readableOf(permsOf(c.principal))
    emit({ type: 'snapshot', snapshot: snapshot(c.principal) })
    const onChange = (changes: CameraChanges) => {
      const visible = filter(changes, readable)
      if (visible) emit({ type: 'change', changes: visible })
    }
    const onLink = (link: CameraSnapshot['link']) => {
      emit({ type: 'link', link })
      // A (re)connect may bring another driver (device.setSource): its capabilities and extras differ.
      if (link.state === 'connected') emit({ type: 'snapshot', snapshot: snapshot(c.principal) })
    }
    model.on('change', onChange)
    model.on('link', onLink)
    return () => {
      model.off('change', onChange)
      model.off('link', onLink)
    }
  })
}
