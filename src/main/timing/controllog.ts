// The control log (race-control decisions): entries from a watched CSV/JSON file, manual entry in the
// UI, and timing announcements. Penalty counts per car are folded into the car patches (RedMist
// ControlLogEnricher: warnings, penalty laps, black flags).
import { readFile, stat } from 'node:fs/promises'
import { unwatchFile, watchFile } from 'node:fs'
import type { ControlLogEntry } from '../../shared/timing.ts'
import { controlLogEntryFrom } from './redmist/wire.ts'

export const MAX_ENTRIES = 2000
const MAX_FILE_BYTES = 8 * 1024 * 1024

export interface Penalty {
  warnings: number
  laps: number
  blackFlags: number
}

export type ControlLogInput = Omit<ControlLogEntry, 'orderId' | 'timestamp'> & { timestamp?: string }

/** Counts a penalty action: "Warning", "1 Lap", "-2 Laps", "Black Flag", "Drive Through", "Stop and Go". */
export function penaltyOf(action: string): Penalty {
  const a = action.toLowerCase()
  const p: Penalty = { warnings: 0, laps: 0, blackFlags: 0 }
  if (/warn/.test(a)) p.warnings = 1
  const laps = /(-?\d+)\s*laps?/.exec(a)
  if (laps) p.laps = Math.abs(Number(laps[1]))
  if (/black|drive[ -]?through|stop[ -]?(and|&|\+)?[ -]?go|\bdt\b/.test(a)) p.blackFlags = 1
  return p
}

export class ControlLog {
  #file: ControlLogEntry[] = []
  #manual: ControlLogEntry[] = []
  #announcements: ControlLogEntry[] = []
  #remote: ControlLogEntry[] = []
  #entries: ControlLogEntry[] = []
  #nextOrder = 1
  #watched: string | null = null
  readonly #onChange: (entries: ControlLogEntry[]) => void
  readonly #onError: (message: string) => void
  /** The last file load problem (shown in the status). */
  lastError: string | null = null

  constructor(onChange: (entries: ControlLogEntry[]) => void, onError: (message: string) => void) {
    this.#onChange = onChange
    this.#onError = onError
  }

  get entries(): ControlLogEntry[] {
    return this.#entries
  }

  forCar(car: string): ControlLogEntry[] {
    return this.#entries.filter((e) => e.car1 === car || e.car2 === car)
  }

  add(input: ControlLogInput): ControlLogEntry {
    const entry: ControlLogEntry = { ...input, orderId: this.#nextOrder++, timestamp: input.timestamp ?? new Date().toISOString() }
    this.#manual.push(entry)
    if (this.#manual.length > MAX_ENTRIES) this.#manual.shift()
    this.#merge()
    return entry
  }

  /** Timing announcements become control-log entries (deduplicated by timestamp + text). */
  announce(list: ReadonlyArray<{ timestamp: string; priority: string; text: string }>): void {
    const seen = new Set(this.#announcements.map((e) => e.timestamp + e.note))
    let changed = false
    for (const a of list) {
      if (seen.has(a.timestamp + a.text)) continue
      this.#announcements.push({ orderId: this.#nextOrder++, timestamp: a.timestamp, corner: '', car1: '', isCar1Highlighted: false, car2: '', isCar2Highlighted: false, note: a.text.slice(0, 128), status: a.priority.slice(0, 30), penaltyAction: '', otherNotes: 'Announcement' })
      changed = true
    }
    if (this.#announcements.length > MAX_ENTRIES) this.#announcements.splice(0, this.#announcements.length - MAX_ENTRIES)
    if (changed) this.#merge()
  }

  /** The log of a followed RedMist hub (replaces the previous one). */
  setRemote(entries: ControlLogEntry[]): void {
    this.#remote = entries.slice(-MAX_ENTRIES)
    this.#merge()
  }

  penalties(): Map<string, Penalty> {
    const out = new Map<string, Penalty>()
    for (const e of this.#entries) {
      if (!e.penaltyAction) continue
      const p = penaltyOf(e.penaltyAction)
      // The highlighted car is the one at fault; with none highlighted, car 1 is.
      const cars = [e.isCar1Highlighted ? e.car1 : '', e.isCar2Highlighted ? e.car2 : ''].filter(Boolean)
      if (!cars.length && e.car1) cars.push(e.car1)
      for (const c of cars) {
        const t = out.get(c) ?? { warnings: 0, laps: 0, blackFlags: 0 }
        t.warnings += p.warnings
        t.laps += p.laps
        t.blackFlags += p.blackFlags
        out.set(c, t)
      }
    }
    return out
  }

  /** Follows a CSV or JSON file (polling, so it works on network shares and with editors that replace files). */
  watch(file: string, intervalMs = 2000): void {
    this.unwatch()
    this.#watched = file
    void this.reload()
    watchFile(file, { interval: intervalMs, persistent: false }, () => void this.reload())
  }

  unwatch(): void {
    if (this.#watched) unwatchFile(this.#watched)
    this.#watched = null
  }

  async reload(): Promise<void> {
    const file = this.#watched
    if (!file) return
    try {
      const st = await stat(file)
      if (st.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`)
      const text = await readFile(file, 'utf8')
      this.#file = parseControlLog(text, file.toLowerCase().endsWith('.json') ? 'json' : 'csv')
      this.lastError = null
      this.#merge()
    } catch (err) {
      this.lastError = `control log ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`
      this.#onError(this.lastError)
    }
  }

  #merge(): void {
    const all = [...this.#file, ...this.#manual, ...this.#announcements, ...this.#remote]
    all.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.orderId - b.orderId))
    this.#entries = all.slice(-MAX_ENTRIES)
    this.#onChange(this.#entries)
  }
}

const COLUMN_ALIASES: Record<string, keyof ControlLogEntry> = {
  time: 'timestamp', timestamp: 'timestamp', t: 'timestamp', corner: 'corner', cor: 'corner', car1: 'car1', 'car 1': 'car1', c1: 'car1',
  car2: 'car2', 'car 2': 'car2', c2: 'car2', note: 'note', n: 'note', status: 'status', s: 'status', 'penalty action': 'penaltyAction',
  penaltyaction: 'penaltyAction', penalty: 'penaltyAction', a: 'penaltyAction', 'other notes': 'otherNotes', othernotes: 'otherNotes', on: 'otherNotes',
  c1h: 'isCar1Highlighted', c2h: 'isCar2Highlighted', order: 'orderId', o: 'orderId',
}

/**
 * Parses a control-log file. JSON: an array of entries (short or long keys). CSV: a header row naming
 * the columns (Time, Corner, Car 1, Car 2, Note, Status, Penalty Action, Other Notes; c1h/c2h optional);
 * a car number ending in `*` marks the car at fault. Bad rows are skipped.
 */
export function parseControlLog(text: string, format: 'csv' | 'json'): ControlLogEntry[] {
  if (format === 'json') {
    const data = JSON.parse(text) as unknown
    const list = Array.isArray(data) ? data : data && typeof data === 'object' && Array.isArray((data as { entries?: unknown }).entries) ? (data as { entries: unknown[] }).entries : []
    return list.map(controlLogEntryFrom).filter((e): e is ControlLogEntry => e !== null).slice(0, MAX_ENTRIES).map((e, i) => ({ ...e, orderId: e.orderId || i + 1 }))
  }
  const rows = csvRows(text)
  if (rows.length < 2) return []
  const header = rows[0]!.map((h) => COLUMN_ALIASES[h.trim().toLowerCase()])
  const out: ControlLogEntry[] = []
  for (let r = 1; r < rows.length && out.length < MAX_ENTRIES; r++) {
    const row = rows[r]!
    if (row.every((c) => c.trim() === '')) continue
    const e: ControlLogEntry = { orderId: r, timestamp: '', corner: '', car1: '', isCar1Highlighted: false, car2: '', isCar2Highlighted: false, note: '', status: '', penaltyAction: '', otherNotes: '' }
    header.forEach((key, i) => {
      if (!key) return
      const v = (row[i] ?? '').trim()
      if (key === 'isCar1Highlighted' || key === 'isCar2Highlighted') (e[key] as boolean) = /^(1|true|yes|x)$/i.test(v)
      else if (key === 'orderId') e.orderId = Number(v) || r
      else (e[key] as string) = v.slice(0, 128)
    })
    for (const [car, flag] of [['car1', 'isCar1Highlighted'], ['car2', 'isCar2Highlighted']] as const) {
      if (e[car].endsWith('*')) {
        e[car] = e[car].slice(0, -1).trim()
        e[flag] = true
      }
      e[car] = e[car].slice(0, 5)
    }
    out.push(e)
  }
  return out
}

function csvRows(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field || row.length) {
    row.push(field)
    rows.push(row)
  }
  return rows
}
