import type { CameraChanges, CameraKeyDef, LinkStatus } from '../../../../shared/camera-keys.ts'
import type { CameraSnapshot } from '../../../../shared/ui-api/index.ts'

/** Why a control cannot be used right now, in words for the person looking at it; null when it can. */
export function disabledReason(def: CameraKeyDef, snap: CameraSnapshot, state: CameraChanges, link: LinkStatus | null, user: { username: string | null; role: string } | null): string | null {
  if (def.readOnly) return 'Read-only: reported by the device'
  if (!snap.writable.includes(def.key)) {
    if (!user?.username) return 'Log in to change camera settings'
    return `Your role (${user.role}) cannot change this (needs ${def.write})`
  }
  if (!snap.capabilities.includes(def.key)) return `Not supported by the ${snap.controller} controller`
  if (link && link.state !== 'connected') return `The controller is ${link.state}`
  if ((def.key === 'cam2-light' || def.key === 'cam2-sensor') && state['cam2-exists'] === false) return 'Camera 2 is not attached'
  return null
}
