import { describe, expect, it } from 'vitest'
import { ROLE_PERMISSIONS } from '../../../src/shared/auth.ts'
import { CAMERA_KEYS, cameraKeyDef, canReadKey, canWriteKey, defaultCameraState, isCanonicalValue, resolveWrite, validateValue } from '../../../src/shared/camera-keys.ts'

const def = (k: string) => cameraKeyDef(k)!

describe('camera v1 key table', () => {
  it('has the 23 keys of the spec, each once, with a valid default', () => {
    expect(CAMERA_KEYS).toHaveLength(23)
    expect(new Set(CAMERA_KEYS.map((d) => d.key)).size).toBe(23)
    expect(new Set(CAMERA_KEYS.map((d) => d.observable)).size).toBe(23)
    for (const d of CAMERA_KEYS) expect(isCanonicalValue(d, d.default), d.key).toBe(true)
    expect(CAMERA_KEYS.filter((d) => d.readOnly).map((d) => d.key)).toEqual(['cam1-exists', 'cam2-exists'])
  })

  it('maps roles onto Device_*/Media_* per key', () => {
    const media = CAMERA_KEYS.filter((d) => d.write === 'Media_rw').map((d) => d.key)
    expect(media).toEqual(['resolution', 'fps', 'record', 'snap', 'jpeg-quality'])
    for (const d of CAMERA_KEYS) {
      expect(canReadKey(d, ROLE_PERMISSIONS.viewer), d.key).toBe(true)
      expect(canWriteKey(d, ROLE_PERMISSIONS.viewer), d.key).toBe(false)
      expect(canWriteKey(d, ROLE_PERMISSIONS.operator), d.key).toBe(!d.readOnly)
      expect(canReadKey(d, ROLE_PERMISSIONS.guest), d.key).toBe(false)
    }
    expect(canWriteKey(def('brightness'), ['Media_rw'])).toBe(false)
  })

  it('validates strictly, without coercion', () => {
    expect(validateValue(def('brightness'), 75)).toEqual({ ok: true, value: 75 })
    for (const bad of [75.5, '75', -1, 101, null, true, Number.NaN]) expect(validateValue(def('brightness'), bad).ok, String(bad)).toBe(false)
    expect(validateValue(def('fps'), 4)).toEqual({ ok: false, message: 'Value must be between 5 and 60' })
    expect(validateValue(def('cam1-light'), 'true').ok).toBe(false)
    expect(validateValue(def('auto-exposure'), true)).toEqual({ ok: true, value: 'auto' })
    expect(validateValue(def('auto-white-balance'), false)).toEqual({ ok: true, value: 'manual' })
    expect(validateValue(def('auto-white-balance'), 'tungsten')).toEqual({ ok: true, value: 'tungsten' })
    expect(validateValue(def('pip-mode'), true).ok).toBe(false)
    expect(validateValue(def('record'), 'pause_release')).toEqual({ ok: true, value: 'pause_release' })
    expect(validateValue(def('record'), 1).ok).toBe(false)
    expect(validateValue(def('snap'), true)).toEqual({ ok: true, value: true })
    expect(validateValue(def('snap'), false).ok).toBe(false)
    expect(cameraKeyDef('noise-suppression')?.key).toBe('noise-supression')
    expect(cameraKeyDef('toString')).toBeUndefined()
  })

  it('applies the rules between keys', () => {
    const s = defaultCameraState()
    expect(resolveWrite('main-camera', 2, { ...s, 'cam2-exists': false })).toMatchObject({ ok: false })
    expect(resolveWrite('main-camera', 2, s)).toEqual({ ok: true, value: 2 })
    expect(resolveWrite('record', 'pause_release', { ...s, record: 'pause' })).toEqual({ ok: true, value: 'on' })
    expect(resolveWrite('record', 'pause_release', { ...s, record: 'off' })).toMatchObject({ ok: false })
    expect(resolveWrite('record', 'pause', { ...s, record: 'off' })).toMatchObject({ ok: false })
  })
})
