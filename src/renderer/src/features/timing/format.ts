import { FLAG_NAMES, type Flag, parseTimeMs } from '../../../../shared/timing.ts'

/** "00:01:32.456" → "1:32.456" (board style); empty for zero / missing. */
export function lapTime(t: string | undefined | null): string {
  if (!t) return ''
  const ms = parseTimeMs(t)
  if (!(ms > 0)) return ''
  const m = Math.floor(ms / 60_000)
  const s = ((ms % 60_000) / 1000).toFixed(3).padStart(6, '0')
  const h = Math.floor(m / 60)
  return h ? `${h}:${String(m % 60).padStart(2, '0')}:${s}` : m ? `${m}:${s}` : s.replace(/^0/, '')
}

export function flagName(f: Flag | number | undefined): string {
  if (f === undefined || f === 0) return 'No flag'
  const n = FLAG_NAMES[f] ?? 'Unknown'
  return n === 'Checkered' ? 'Checkered' : n.replace(/([a-z])([A-Z0-9])/g, '$1 $2')
}

export function flagClass(f: Flag | number | undefined): string {
  return `flag-${(FLAG_NAMES[f ?? 0] ?? 'Unknown').toLowerCase()}`
}

const PALETTE = ['#d3261d', '#1f6feb', '#1f8a3b', '#b97800', '#8250df', '#0a7ea4', '#bf3989', '#57606a']

/** The session's class colour, or a stable one from the name. */
export function classColour(cls: string | null | undefined, colours: Record<string, string> | undefined): string {
  const c = cls ?? ''
  if (colours?.[c]) return colours[c]!
  let h = 0
  for (let i = 0; i < c.length; i++) h = (h * 31 + c.charCodeAt(i)) >>> 0
  return PALETTE[h % PALETTE.length]!
}

export function duration(fromIso: string, toIso: string | null, now = Date.now()): string {
  const ms = Math.max(0, (toIso ? Date.parse(toIso) : now) - Date.parse(fromIso))
  const s = Math.floor(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor(s / 60) % 60
  return `${h ? h + ':' : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`
}
