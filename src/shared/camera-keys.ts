import type { Permission } from './auth.ts'

// The one table of the camera WebSocket API v1 keys (23). Validation, permissions, the docs
// (docs/api/camera-v1.md) and the Device page all read it; nothing else lists keys.
// Pure TypeScript: used by the core, the drivers and the renderer.

export type RecordState = 'on' | 'off' | 'pause'
export const RESOLUTIONS = ['640x480', '1280x720', '1920x1080', '3840x2160'] as const
export const PIP_MODES = ['off', 'top-left', 'top-right', 'bottom-left', 'bottom-right', 'side-by-side'] as const
export const EXPOSURE_MODES = ['auto', 'manual', 'shutter', 'iris', 'bright'] as const
export const WHITE_BALANCE_MODES = ['auto', 'manual', 'daylight', 'cloudy', 'tungsten', 'fluorescent'] as const
/** Sensors per camera head (the v1 docs say "1-based", no maximum; we fix 4). */
export const MAX_SENSORS = 4

/** The state of every v1 key, in canonical (read-back) form. */
export interface CameraState {
  'cam1-light': boolean
  'cam2-light': boolean
  'cam1-exists': boolean
  'cam2-exists': boolean
  'main-camera': number
  'cam1-sensor': number
  'cam2-sensor': number
  resolution: string
  fps: number
  'pip-mode': string
  brightness: number
  contrast: number
  sharpness: number
  saturation: number
  gain: number
  'red-gain': number
  'blue-gain': number
  'auto-exposure': string
  'auto-white-balance': string
  'noise-supression': boolean
  record: RecordState
  /** Action: always reads false. */
  snap: boolean
  'jpeg-quality': number
}

export type CameraKey = keyof CameraState
export type CameraValue = CameraState[CameraKey]
export type CameraChanges = Partial<CameraState>

/**
 * How a key's value is typed on the wire:
 * - boolean: JSON true/false only
 * - integer: a JSON integer within [min, max] (75.5 and "75" are invalid)
 * - enum: one of `values`; `booleans` (if set) maps JSON true/false onto two of them
 * - record: true/false/"on"/"off"/"pause"/"pause_release" (+ "start"/"stop"), read back as "on"/"off"/"pause"
 * - action: write `true` to trigger; reads `false`
 */
export type CameraKeyType = 'boolean' | 'integer' | 'enum' | 'record' | 'action'

export type CameraGroup = 'camera' | 'video' | 'image' | 'auto' | 'recording'

export interface CameraKeyDef {
  key: CameraKey
  /** Internal observable name of the original device (ROTO docs). */
  observable: string
  type: CameraKeyType
  group: CameraGroup
  label: string
  description: string
  min?: number
  max?: number
  values?: readonly string[]
  /** JSON booleans accepted for an enum key: true → [0], false → [1]. */
  booleans?: readonly [string, string]
  readOnly: boolean
  /** Any one of these lets a principal read the key. */
  read: readonly Permission[]
  /** The permission needed to write it (null: nobody writes it). */
  write: Permission | null
  /** Value of a fresh install (before anything is stored or read from the device). */
  default: CameraValue
}

const DEV_R: readonly Permission[] = ['Device_r', 'Device_rw']
const MEDIA_R: readonly Permission[] = ['Media_r', 'Media_rw']

const dev = (d: Omit<CameraKeyDef, 'read' | 'write' | 'readOnly'> & { readOnly?: boolean }): CameraKeyDef => ({
  ...d,
  readOnly: d.readOnly ?? false,
  read: DEV_R,
  write: d.readOnly ? null : 'Device_rw',
})
const media = (d: Omit<CameraKeyDef, 'read' | 'write' | 'readOnly'>): CameraKeyDef => ({ ...d, readOnly: false, read: MEDIA_R, write: 'Media_rw' })
const pct = (key: CameraKey, observable: string, label: string, description: string, def = 50): CameraKeyDef =>
  dev({ key, observable, type: 'integer', group: 'image', label, description, min: 0, max: 100, default: def })

export const CAMERA_KEYS: readonly CameraKeyDef[] = Object.freeze([
  dev({ key: 'cam1-light', observable: 'light0', type: 'boolean', group: 'camera', label: 'Camera 1 light', description: 'Camera 1 LED light on/off', default: false }),
  dev({ key: 'cam2-light', observable: 'light1', type: 'boolean', group: 'camera', label: 'Camera 2 light', description: 'Camera 2 LED light on/off', default: false }),
  dev({ key: 'cam1-exists', observable: 'cam0Exists', type: 'boolean', group: 'camera', label: 'Camera 1 detected', description: 'Camera head 1 is attached (read-only)', readOnly: true, default: true }),
  dev({ key: 'cam2-exists', observable: 'cam1Exists', type: 'boolean', group: 'camera', label: 'Camera 2 detected', description: 'Camera head 2 is attached (read-only)', readOnly: true, default: true }),
  dev({ key: 'main-camera', observable: 'cameraSwitch', type: 'integer', group: 'camera', label: 'Main camera', description: 'Active camera head (1 or 2; 2 only while cam2-exists)', min: 1, max: 2, default: 1 }),
  dev({ key: 'cam1-sensor', observable: 'cam0SelectedSensor', type: 'integer', group: 'camera', label: 'Camera 1 sensor', description: 'Camera 1 sensor index (1-based)', min: 1, max: MAX_SENSORS, default: 1 }),
  dev({ key: 'cam2-sensor', observable: 'cam1SelectedSensor', type: 'integer', group: 'camera', label: 'Camera 2 sensor', description: 'Camera 2 sensor index (1-based)', min: 1, max: MAX_SENSORS, default: 1 }),
  media({ key: 'resolution', observable: 'resolution', type: 'enum', group: 'video', label: 'Resolution', description: 'Video resolution', values: RESOLUTIONS, default: '1920x1080' }),
  media({ key: 'fps', observable: 'fps', type: 'integer', group: 'video', label: 'Frame rate', description: 'Frames per second', min: 5, max: 60, default: 30 }),
  dev({ key: 'pip-mode', observable: 'pip', type: 'enum', group: 'video', label: 'Picture-in-picture', description: 'Picture-in-picture layout', values: PIP_MODES, default: 'off' }),
  pct('brightness', 'brightness', 'Brightness', 'Image brightness'),
  pct('contrast', 'contrast', 'Contrast', 'Image contrast'),
  pct('sharpness', 'sharpness', 'Sharpness', 'Image sharpness'),
  pct('saturation', 'saturation', 'Saturation', 'Colour saturation'),
  pct('gain', 'gain', 'Gain', 'Sensor gain/ISO', 0),
  pct('red-gain', 'redGain', 'Red gain', 'Red channel gain'),
  pct('blue-gain', 'blueGain', 'Blue gain', 'Blue channel gain'),
  dev({ key: 'auto-exposure', observable: 'exposure', type: 'enum', group: 'auto', label: 'Exposure mode', description: 'Auto exposure mode (true = "auto", false = "manual")', values: EXPOSURE_MODES, booleans: ['auto', 'manual'], default: 'auto' }),
  dev({ key: 'auto-white-balance', observable: 'whiteBalance', type: 'enum', group: 'auto', label: 'White balance', description: 'White balance mode (true = "auto", false = "manual")', values: WHITE_BALANCE_MODES, booleans: ['auto', 'manual'], default: 'auto' }),
  dev({ key: 'noise-supression', observable: 'noiseSuppression', type: 'boolean', group: 'auto', label: 'Noise suppression', description: 'Noise reduction enabled (the key keeps the original spelling)', default: false }),
  media({ key: 'record', observable: 'record', type: 'record', group: 'recording', label: 'Recording', description: 'Recording state: write true/"on"/"start", false/"off"/"stop", "pause", "pause_release"; reads "on"/"off"/"pause"', values: ['on', 'off', 'pause'], default: 'off' }),
  media({ key: 'snap', observable: 'takePicture', type: 'action', group: 'recording', label: 'Snapshot', description: 'Write true to take a picture (reads false)', default: false }),
  media({ key: 'jpeg-quality', observable: 'pictureQuality', type: 'integer', group: 'recording', label: 'JPEG quality', description: 'JPEG compression quality', min: 0, max: 100, default: 85 }),
])

export const CAMERA_KEY_NAMES: readonly CameraKey[] = CAMERA_KEYS.map((d) => d.key)
const BY_KEY: ReadonlyMap<string, CameraKeyDef> = new Map(CAMERA_KEYS.map((d) => [d.key, d]))
/** Accepted spellings on input; replies and broadcasts always use the table's key. */
export const CAMERA_KEY_ALIASES: Readonly<Record<string, CameraKey>> = { 'noise-suppression': 'noise-supression' }

/** The definition of a key (after resolving aliases), or undefined for an unknown key. */
export function cameraKeyDef(key: string): CameraKeyDef | undefined {
  return BY_KEY.get(key) ?? (Object.hasOwn(CAMERA_KEY_ALIASES, key) ? BY_KEY.get(CAMERA_KEY_ALIASES[key]!) : undefined)
}

export function isCameraKey(key: string): key is CameraKey {
  return BY_KEY.has(key)
}

export function defaultCameraState(): CameraState {
  return Object.fromEntries(CAMERA_KEYS.map((d) => [d.key, d.default])) as unknown as CameraState
}

export function canReadKey(def: CameraKeyDef, perms: readonly Permission[]): boolean {
  return def.read.some((p) => perms.includes(p))
}

export function canWriteKey(def: CameraKeyDef, perms: readonly Permission[]): boolean {
  return def.write !== null && perms.includes(def.write)
}

/**
 * A write as the client sent it, turned into a canonical value. `record` keeps the requested
 * transition ("pause_release" is resolved against the current state by `resolveWrite`).
 */
export type ValueCheck = { ok: true; value: CameraValue | 'pause_release' } | { ok: false; message: string }

/** Checks a raw JSON value against a key's type and range (strict: no coercion). */
export function validateValue(def: CameraKeyDef, raw: unknown): ValueCheck {
  switch (def.type) {
    case 'boolean':
      return typeof raw === 'boolean' ? { ok: true, value: raw } : { ok: false, message: 'Value must be true or false' }
    case 'integer': {
      const range = `Value must be an integer between ${def.min} and ${def.max}`
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return { ok: false, message: range }
      if (raw < def.min! || raw > def.max!) return { ok: false, message: `Value must be between ${def.min} and ${def.max}` }
      return { ok: true, value: raw }
    }
    case 'enum': {
      if (typeof raw === 'boolean' && def.booleans) return { ok: true, value: raw ? def.booleans[0] : def.booleans[1] }
      if (typeof raw === 'string' && def.values!.includes(raw)) return { ok: true, value: raw }
      return { ok: false, message: `Value must be one of ${def.values!.map((v) => `"${v}"`).join(', ')}${def.booleans ? ', true or false' : ''}` }
    }
    case 'record': {
      if (raw === true || raw === 'on' || raw === 'start') return { ok: true, value: 'on' }
      if (raw === false || raw === 'off' || raw === 'stop') return { ok: true, value: 'off' }
      if (raw === 'pause') return { ok: true, value: 'pause' }
      if (raw === 'pause_release') return { ok: true, value: 'pause_release' }
      return { ok: false, message: 'Value must be true, false, "on", "off", "pause" or "pause_release"' }
    }
    case 'action':
      return raw === true ? { ok: true, value: true } : { ok: false, message: 'Write true to trigger' }
  }
}

/**
 * Checks a validated write against the current state (rules between keys) and returns the value the
 * controller is asked to apply:
 * - `main-camera: 2` while `cam2-exists` is false → invalid
 * - `record: "pause"` while not recording, `"pause_release"` while stopped → invalid; `"pause_release"` → "on"
 */
export function resolveWrite(key: CameraKey, value: CameraValue | 'pause_release', state: Readonly<CameraState>): { ok: true; value: CameraValue } | { ok: false; message: string } {
  if (key === 'main-camera' && value === 2 && !state['cam2-exists']) return { ok: false, message: 'Camera 2 is not attached (cam2-exists is false)' }
  if (key === 'record') {
    if (value === 'pause' && state.record === 'off') return { ok: false, message: 'Cannot pause: not recording' }
    if (value === 'pause_release') {
      if (state.record === 'off') return { ok: false, message: 'Cannot release pause: not recording' }
      return { ok: true, value: 'on' }
    }
  }
  return { ok: true, value: value as CameraValue }
}

/** Checks a value in canonical form (what a controller reports or the store holds). */
export function isCanonicalValue(def: CameraKeyDef, value: unknown): value is CameraValue {
  switch (def.type) {
    case 'boolean':
    case 'action':
      return typeof value === 'boolean'
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= def.min! && value <= def.max!
    case 'enum':
    case 'record':
      return typeof value === 'string' && def.values!.includes(value)
  }
}

/** State of the link to the camera controller (shown in status, the UI and to LAN clients). */
export type LinkState = 'connected' | 'connecting' | 'disconnected'

export interface LinkStatus {
  state: LinkState
  /** One line a person can read: port, firmware, or what went wrong. */
  detail: string
}

/** An extra device control beyond the v1 keys (VISCA zoom/focus/presets), shown on the Device page. */
export interface ExtraControl {
  /** Passed to the controller's `command()`. */
  name: string
  label: string
  /** action: no arguments; range: {value: number in [min,max]}; select: {value: one of options}. */
  kind: 'action' | 'range' | 'select'
  min?: number
  max?: number
  step?: number
  options?: readonly string[]
  description?: string
}

/** The accepted values of a key in words (docs, tooltips): "integer 0–100", "true / false", ... */
export function describeValues(def: CameraKeyDef): string {
  switch (def.type) {
    case 'boolean':
      return 'true / false'
    case 'integer':
      return `integer ${def.min}–${def.max}`
    case 'enum':
      return def.values!.map((v) => `"${v}"`).join(', ') + (def.booleans ? ` (true = "${def.booleans[0]}", false = "${def.booleans[1]}")` : '')
    case 'record':
      return 'write true / "on" / "start", false / "off" / "stop", "pause", "pause_release"; reads "on" / "off" / "pause"'
    case 'action':
      return 'write true (action); reads false'
  }
}
