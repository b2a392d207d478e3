import { CAMERA_KEYS, type CameraKey, type CameraKeyDef, type CameraValue } from '../../../shared/camera-keys.ts'

// The PCP key table: every v1 key has a short wire code (what a microcontroller stores and
// compares) and a value encoding. docs/protocols/pcp.md §Keys lists the same table; a test checks
// the doc, this table and the reference firmware against each other.

export interface PcpKey {
  key: CameraKey
  code: string
  def: CameraKeyDef
}

const CODES: Record<CameraKey, string> = {
  'cam1-light': 'L1',
  'cam2-light': 'L2',
  'cam1-exists': 'H1',
  'cam2-exists': 'H2',
  'main-camera': 'MAIN',
  'cam1-sensor': 'S1',
  'cam2-sensor': 'S2',
  resolution: 'RES',
  fps: 'FPS',
  'pip-mode': 'PIP',
  brightness: 'BRI',
  contrast: 'CON',
  sharpness: 'SHP',
  saturation: 'SAT',
  gain: 'GAIN',
  'red-gain': 'RGAIN',
  'blue-gain': 'BGAIN',
  'auto-exposure': 'AE',
  'auto-white-balance': 'AWB',
  'noise-supression': 'NR',
  record: 'REC',
  snap: 'SNAP',
  'jpeg-quality': 'JPQ',
}

export const PCP_KEYS: readonly PcpKey[] = CAMERA_KEYS.map((def) => ({ key: def.key, code: CODES[def.key], def }))
const BY_CODE = new Map(PCP_KEYS.map((k) => [k.code, k]))
const BY_KEY = new Map(PCP_KEYS.map((k) => [k.key, k]))

export function pcpKeyByCode(code: string): PcpKey | undefined {
  return BY_CODE.get(code)
}

export function pcpCode(key: CameraKey): string {
  return BY_KEY.get(key)!.code
}

/** Canonical value → wire token: booleans 1/0, integers in decimal, enums as their name. */
export function encodeValue(def: CameraKeyDef, value: CameraValue): string {
  switch (def.type) {
    case 'boolean':
    case 'action':
      return value ? '1' : '0'
    case 'integer':
      return String(value)
    default:
      return String(value)
  }
}

/** Wire token → canonical value, or an error message when the token is not valid for the key. */
export function decodeValue(def: CameraKeyDef, token: string): { ok: true; value: CameraValue } | { ok: false; message: string } {
  switch (def.type) {
    case 'boolean':
    case 'action':
      if (token === '1' || token === '0') return { ok: true, value: token === '1' }
      return { ok: false, message: `${def.key} must be 0 or 1` }
    case 'integer': {
      if (!/^-?\d{1,6}$/.test(token)) return { ok: false, message: `${def.key} must be an integer` }
      const n = Number(token)
      if (n < def.min! || n > def.max!) return { ok: false, message: `${def.key} must be between ${def.min} and ${def.max}` }
      return { ok: true, value: n }
    }
    case 'enum':
    case 'record':
      if (def.values!.includes(token)) return { ok: true, value: token }
      return { ok: false, message: `${def.key} must be one of ${def.values!.join('|')}` }
  }
}
