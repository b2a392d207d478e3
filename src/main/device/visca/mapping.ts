import type { CameraKey, CameraValue } from '../../../shared/camera-keys.ts'
import { fromNibbles, toNibbles } from './codec.ts'

// How v1 keys map onto VISCA (docs/protocols/visca.md §Mapping). Percentages 0–100 are scaled
// linearly onto the camera's steps and read back through the same rounding, so the model always
// shows a value the camera can really hold (e.g. brightness 42 → ExpComp 06 → reads 43).

export const scale = (pct: number, lo: number, hi: number) => lo + Math.round((pct * (hi - lo)) / 100)
export const unscale = (pos: number, lo: number, hi: number) => Math.max(0, Math.min(100, Math.round(((pos - lo) * 100) / (hi - lo))))

export interface ViscaKeyMap {
  key: CameraKey
  /** Inquiry message (after the header, before FF). */
  inquiry: number[]
  decode(data: readonly number[]): CameraValue | undefined
  /** Command messages to send in order, or the reason the value cannot be set. */
  encode(value: CameraValue): number[][] | string
  /** Said with "Command not executable" (6y 41): what must change first. */
  notExecutableHint?: string
}

const pos2 = (d: readonly number[]) => (d.length === 4 ? fromNibbles(d.slice(2)) : undefined)
const direct = (cmd: number, p: number) => [0x01, 0x04, cmd, 0x00, 0x00, ...toNibbles(p, 2)]

export const AE_MODES: Record<string, number> = { auto: 0x00, manual: 0x03, shutter: 0x0a, iris: 0x0b, bright: 0x0d }
export const WB_MODES: Record<string, number> = { auto: 0x00, tungsten: 0x01, daylight: 0x02, manual: 0x05 }
/** WB modes the camera may report that v1 has no name for. */
const WB_READ_EXTRA: Record<number, string> = { 0x03: 'manual', 0x04: 'auto' }
/** NR level written for noise-supression = true. */
export const NR_ON_LEVEL = 3

const byValue = (table: Record<string, number>, v: number) => Object.entries(table).find(([, n]) => n === v)?.[0]

function percent(key: CameraKey, cmd: number, lo: number, hi: number, extra: Partial<ViscaKeyMap> = {}): ViscaKeyMap {
  return {
    key,
    inquiry: [0x09, 0x04, cmd],
    decode: (d) => {
      const p = pos2(d)
      return p === undefined ? undefined : unscale(Math.max(lo, Math.min(hi, p)), lo, hi)
    },
    encode: (v) => [direct(cmd, scale(v as number, lo, hi))],
    ...extra,
  }
}

export const VISCA_KEYS: readonly ViscaKeyMap[] = [
  {
    key: 'cam1-exists',
    inquiry: [0x09, 0x04, 0x00],
    decode: (d) => (d[0] === 0x02 ? true : d[0] === 0x03 ? false : undefined),
    encode: () => 'Read-only',
  },
  // Brightness = exposure compensation (works in the automatic AE modes): 00 (−7) … 07 (±0) … 0E (+7).
  percent('brightness', 0x4e, 0x00, 0x0e, {
    encode: (v) => [[0x01, 0x04, 0x3e, 0x02], direct(0x4e, scale(v as number, 0x00, 0x0e))],
    notExecutableHint: 'brightness (exposure compensation) needs an automatic auto-exposure mode',
  }),
  // Gain: 01 (0 dB) … 0D (36 dB), +3 dB per step; the camera takes it in manual exposure only.
  percent('gain', 0x4c, 0x01, 0x0d, { notExecutableHint: 'gain needs auto-exposure = "manual"' }),
  percent('red-gain', 0x43, 0x00, 0xff, { notExecutableHint: 'red-gain needs auto-white-balance = "manual"' }),
  percent('blue-gain', 0x44, 0x00, 0xff, { notExecutableHint: 'blue-gain needs auto-white-balance = "manual"' }),
  // Sharpness = aperture (detail) level 00 … 0F.
  percent('sharpness', 0x42, 0x00, 0x0f),
  {
    key: 'auto-exposure',
    inquiry: [0x09, 0x04, 0x39],
    decode: (d) => byValue(AE_MODES, d[0] ?? -1),
    encode: (v) => (AE_MODES[v as string] === undefined ? `Not supported by device (exposure mode "${v}")` : [[0x01, 0x04, 0x39, AE_MODES[v as string]!]]),
  },
  {
    key: 'auto-white-balance',
    inquiry: [0x09, 0x04, 0x35],
    decode: (d) => byValue(WB_MODES, d[0] ?? -1) ?? WB_READ_EXTRA[d[0] ?? -1],
    encode: (v) => (WB_MODES[v as string] === undefined ? `Not supported by device (white balance "${v}")` : [[0x01, 0x04, 0x35, WB_MODES[v as string]!]]),
  },
  {
    key: 'noise-supression',
    inquiry: [0x09, 0x04, 0x53],
    decode: (d) => (d.length === 1 ? d[0]! > 0 : undefined),
    encode: (v) => [[0x01, 0x04, 0x53, v ? NR_ON_LEVEL : 0x00]],
  },
]

export const VISCA_KEY_MAP: ReadonlyMap<CameraKey, ViscaKeyMap> = new Map(VISCA_KEYS.map((k) => [k.key, k]))

/** Zoom 0–100 % ↔ direct position 0000 (wide) – 4000 (optical tele). */
export const ZOOM_MAX = 0x4000
/** Focus 0–100 % ↔ 1000 (∞) – F000 (near). */
export const FOCUS_MIN = 0x1000
export const FOCUS_MAX = 0xf000
export const PRESETS = 16
