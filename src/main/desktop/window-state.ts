// Window size and position, remembered between runs and kept on a screen that still exists.

export interface Bounds {
  x: number
  y: number
  width: number
  height: number
}

export interface WindowState {
  bounds: Bounds
  maximized: boolean
}

export const DEFAULT_SIZE = { width: 1280, height: 820 }
export const MIN_SIZE = { width: 720, height: 480 }

/** Parses a saved state; anything malformed gives undefined (the window opens at the default size). */
export function parseWindowState(v: unknown): WindowState | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const s = v as { bounds?: Partial<Bounds>; maximized?: unknown }
  const b = s.bounds
  if (!b || ![b.x, b.y, b.width, b.height].every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined
  return { bounds: { x: Math.round(b.x!), y: Math.round(b.y!), width: Math.round(b.width!), height: Math.round(b.height!) }, maximized: s.maximized === true }
}

/**
 * Bounds to open with: the saved ones when enough of the window's top (its title bar) is on one of
 * the current displays' work areas, clamped to that display's size; else undefined (centre at default).
 */
export function restoreBounds(saved: WindowState | undefined, workAreas: Bounds[]): Bounds | undefined {
  if (!saved) return undefined
  const b = saved.bounds
  for (const area of workAreas) {
    const titleBar = { x: b.x, y: b.y, width: b.width, height: 40 }
    if (overlap(titleBar, area) < 40 * Math.min(100, b.width)) continue
    const width = Math.max(MIN_SIZE.width, Math.min(b.width, area.width))
    const height = Math.max(MIN_SIZE.height, Math.min(b.height, area.height))
    const x = Math.min(Math.max(b.x, area.x), area.x + area.width - Math.min(width, area.width))
    const y = Math.min(Math.max(b.y, area.y), area.y + area.height - Math.min(height, area.height))
    return { x, y, width, height }
  }
  return undefined
}

function overlap(a: Bounds, b: Bounds): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  return w > 0 && h > 0 ? w * h : 0
}
