// RMonitor record parser (research/redmist.md §4.1; bradfier/rmonitor protocol.rs; IMSA enhanced $L/$T).
// One line in, one typed record out, or a precise reason why not. Never throws: a broken line is
// counted by the caller and skipped.

export type RMonitorRecord =
  | { type: 'F'; lapsToGo: number; timeToGo: string; timeOfDay: string; raceTime: string; flag: string }
  | { type: 'A'; regNo: string; number: string; transponder: number; firstName: string; lastName: string; nationality: string; classNo: number }
  | { type: 'COMP'; regNo: string; number: string; classNo: number; firstName: string; lastName: string; nationality: string; additional: string }
  | { type: 'B'; runNo: number; description: string }
  | { type: 'C'; classNo: number; description: string }
  | { type: 'E'; name: string; value: string }
  | { type: 'G'; position: number; regNo: string; laps: number | null; totalTime: string }
  | { type: 'H'; position: number; regNo: string; bestLap: number; bestTime: string }
  | { type: 'I'; time: string; date: string }
  | { type: 'J'; regNo: string; lapTime: string; totalTime: string }
  | { type: 'COR'; regNo: string; number: string; laps: number; totalTime: string; correction: string }
  | { type: 'L'; regNo: string; lineNumber: string; lineName: string; date: string; time: string; driverId: number | null; className: string | null }
  | { type: 'T'; name: string; shortName: string; distance: string; sections: Array<{ name: string; start: string; end: string; distance: number }> }

export type RecordType = RMonitorRecord['type']

export type ParseResult = { ok: true; record: RMonitorRecord } | { ok: false; reason: string }

/** Longest line we accept; Orbits lines are < 200 chars. Longer input is a broken stream. */
export const MAX_LINE = 4096

const fieldsBuf: string[] = []

/**
 * Splits one record into fields: commas separate, double quotes enclose strings (a quoted field may hold
 * commas; `""` inside quotes is a quote), whitespace outside quotes is dropped (`$I, "00:00:00"`).
 * Returns null on an unterminated quote.
 */
function split(line: string): string[] | null {
  const out = fieldsBuf
  out.length = 0
  const n = line.length
  let i = 0
  for (;;) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++
    if (i < n && line.charCodeAt(i) === 34) {
      // quoted field
      let j = i + 1
      let value = ''
      let start = j
      for (;;) {
        const q = line.indexOf('"', j)
        if (q < 0) return null
        if (q + 1 < n && line.charCodeAt(q + 1) === 34) {
          value += line.slice(start, q + 1)
          j = q + 2
          start = j
          continue
        }
        value += line.slice(start, q)
        i = q + 1
        break
      }
      out.push(value)
      while (i < n && line.charCodeAt(i) !== 44) i++
    } else {
      const c = line.indexOf(',', i)
      const end = c < 0 ? n : c
      let e = end
      while (e > i && (line.charCodeAt(e - 1) === 32 || line.charCodeAt(e - 1) === 9)) e--
      out.push(line.slice(i, e))
      i = end
    }
    if (i >= n) break
    i++ // the comma
    if (i >= n) {
      out.push('')
      break
    }
  }
  return out
}

function int(s: string | undefined): number {
  if (s === undefined || s.length === 0 || s.length > 12) return NaN
  let v = 0
  let i = 0
  let neg = false
  if (s.charCodeAt(0) === 45) {
    neg = true
    i = 1
    if (s.length === 1) return NaN
  }
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) return NaN
    v = v * 10 + c
  }
  return neg ? -v : v
}

const bad = (reason: string): ParseResult => ({ ok: false, reason })
const okr = (record: RMonitorRecord): ParseResult => ({ ok: true, record })

function need(f: string[], n: number, tag: string): string | null {
  return f.length < n ? `${tag}: expected ${n - 1} fields, got ${f.length - 1}` : null
}

/** Parses one line (without its line ending). */
export function parseRecord(line: string): ParseResult {
  if (line.length > MAX_LINE) return bad(`line longer than ${MAX_LINE} characters`)
  if (line.charCodeAt(0) !== 36) return bad('line does not start with $')
  const f = split(line)
  if (!f) return bad('unterminated quoted field')
  const tag = f[0]!
  let e: string | null
  switch (tag) {
    case '$F': {
      if ((e = need(f, 6, tag))) return bad(e)
      const laps = int(f[1])
      if (Number.isNaN(laps)) return bad('$F: laps to go is not an integer')
      return okr({ type: 'F', lapsToGo: laps, timeToGo: f[2]!, timeOfDay: f[3]!, raceTime: f[4]!, flag: f[5]! })
    }
    case '$A': {
      if ((e = need(f, 8, tag))) return bad(e)
      const tp = f[3] === '' ? 0 : int(f[3])
      const cls = f[7] === '' ? 0 : int(f[7])
      if (Number.isNaN(tp) || Number.isNaN(cls)) return bad('$A: transponder or class is not an integer')
      if (!f[1]) return bad('$A: empty registration number')
      return okr({ type: 'A', regNo: f[1]!, number: f[2] || f[1]!, transponder: tp, firstName: f[4]!, lastName: f[5]!, nationality: f[6]!, classNo: cls })
    }
    case '$COMP': {
      if ((e = need(f, 8, tag))) return bad(e)
      const cls = f[3] === '' ? 0 : int(f[3])
      if (Number.isNaN(cls)) return bad('$COMP: class is not an integer')
      if (!f[1]) return bad('$COMP: empty registration number')
      return okr({ type: 'COMP', regNo: f[1]!, number: f[2] || f[1]!, classNo: cls, firstName: f[4]!, lastName: f[5]!, nationality: f[6]!, additional: f[7]! })
    }
    case '$B': {
      if ((e = need(f, 3, tag))) return bad(e)
      const run = int(f[1])
      if (Number.isNaN(run)) return bad('$B: run number is not an integer')
      return okr({ type: 'B', runNo: run, description: f[2]! })
    }
    case '$C': {
      if ((e = need(f, 3, tag))) return bad(e)
      const cls = int(f[1])
      if (Number.isNaN(cls)) return bad('$C: class number is not an integer')
      return okr({ type: 'C', classNo: cls, description: f[2]!.trim() })
    }
    case '$E':
      if ((e = need(f, 3, tag))) return bad(e)
      return okr({ type: 'E', name: f[1]!, value: f[2]! })
    case '$G': {
      if ((e = need(f, 5, tag))) return bad(e)
      const pos = int(f[1])
      const laps = f[3] === '' ? null : int(f[3])
      if (Number.isNaN(pos) || (laps !== null && Number.isNaN(laps))) return bad('$G: position or laps is not an integer')
      if (!f[2]) return bad('$G: empty registration number')
      return okr({ type: 'G', position: pos, regNo: f[2]!, laps, totalTime: f[4]! })
    }
    case '$H': {
      if ((e = need(f, 5, tag))) return bad(e)
      const pos = int(f[1])
      const lap = f[3] === '' ? 0 : int(f[3])
      if (Number.isNaN(pos) || Number.isNaN(lap)) return bad('$H: position or best lap is not an integer')
      if (!f[2]) return bad('$H: empty registration number')
      return okr({ type: 'H', position: pos, regNo: f[2]!, bestLap: lap, bestTime: f[4]! })
    }
    case '$I':
      if ((e = need(f, 3, tag))) return bad(e)
      return okr({ type: 'I', time: f[1]!, date: f[2]! })
    case '$J':
      if ((e = need(f, 4, tag))) return bad(e)
      if (!f[1]) return bad('$J: empty registration number')
      return okr({ type: 'J', regNo: f[1]!, lapTime: f[2]!, totalTime: f[3]! })
    case '$COR': {
      if ((e = need(f, 6, tag))) return bad(e)
      const laps = f[3] === '' ? 0 : int(f[3])
      if (Number.isNaN(laps)) return bad('$COR: laps is not an integer')
      return okr({ type: 'COR', regNo: f[1]!, number: f[2]!, laps, totalTime: f[4]!, correction: f[5]! })
    }
    case '$L': {
      if ((e = need(f, 6, tag))) return bad(e)
      const driver = f[6] === undefined || f[6] === '' ? null : int(f[6])
      return okr({ type: 'L', regNo: f[1]!, lineNumber: f[2]!, lineName: f[3]!, date: f[4]!, time: f[5]!, driverId: driver === null || Number.isNaN(driver) ? null : driver, className: f[7] ?? null })
    }
    case '$T': {
      if ((e = need(f, 5, tag))) return bad(e)
      const count = int(f[4])
      if (Number.isNaN(count)) return bad('$T: section count is not an integer')
      const sections: Array<{ name: string; start: string; end: string; distance: number }> = []
      for (let i = 5; i + 3 < f.length; i += 4) sections.push({ name: f[i]!, start: f[i + 1]!, end: f[i + 2]!, distance: int(f[i + 3]) || 0 })
      if (sections.length !== count) return bad(`$T: ${count} sections announced, ${sections.length} present`)
      return okr({ type: 'T', name: f[1]!, shortName: f[2]!, distance: f[3]!, sections })
    }
    default:
      return bad(`unknown record type ${tag.slice(0, 16)}`)
  }
}

/** Formats a record back into an RMonitor line (no line ending): the generator and the TCP server use it. */
export function formatRecord(r: RMonitorRecord): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`
  switch (r.type) {
    case 'F':
      return `$F,${r.lapsToGo},${q(r.timeToGo)},${q(r.timeOfDay)},${q(r.raceTime)},${q(r.flag)}`
    case 'A':
      return `$A,${q(r.regNo)},${q(r.number)},${r.transponder},${q(r.firstName)},${q(r.lastName)},${q(r.nationality)},${r.classNo}`
    case 'COMP':
      return `$COMP,${q(r.regNo)},${q(r.number)},${r.classNo},${q(r.firstName)},${q(r.lastName)},${q(r.nationality)},${q(r.additional)}`
    case 'B':
      return `$B,${r.runNo},${q(r.description)}`
    case 'C':
      return `$C,${r.classNo},${q(r.description)}`
    case 'E':
      return `$E,${q(r.name)},${q(r.value)}`
    case 'G':
      return `$G,${r.position},${q(r.regNo)},${r.laps ?? ''},${q(r.totalTime)}`
    case 'H':
      return `$H,${r.position},${q(r.regNo)},${r.bestLap},${q(r.bestTime)}`
    case 'I':
      return `$I,${q(r.time)},${q(r.date)}`
    case 'J':
      return `$J,${q(r.regNo)},${q(r.lapTime)},${q(r.totalTime)}`
    case 'COR':
      return `$COR,${q(r.regNo)},${q(r.number)},${r.laps},${q(r.totalTime)},${q(r.correction)}`
    case 'L':
      // An absent driver id before a class name stays an empty field, or the class would land in its slot.
      return `$L,${q(r.regNo)},${q(r.lineNumber)},${q(r.lineName)},${q(r.date)},${q(r.time)}${r.driverId !== null || r.className !== null ? ',' + (r.driverId ?? '') : ''}${r.className !== null ? ',' + q(r.className) : ''}`
    case 'T':
      return `$T,${q(r.name)},${q(r.shortName)},${q(r.distance)},${r.sections.length}${r.sections.map((s) => `,${q(s.name)},${q(s.start)},${q(s.end)},${s.distance}`).join('')}`
  }
}

/**
 * Turns a byte/text stream into lines: CR LF, LF or CR end a line; a leading BOM is dropped; a line
 * longer than MAX_LINE is cut off and reported as broken (bounded memory whatever the peer sends).
 */
export class LineSplitter {
  #rest = ''
  #overflow = false
  #first = true
  readonly #onLine: (line: string) => void
  readonly #onOverflow: () => void

  constructor(onLine: (line: string) => void, onOverflow: () => void) {
    this.#onLine = onLine
    this.#onOverflow = onOverflow
  }

  push(text: string): void {
    if (this.#first && text.length) {
      this.#first = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    let data = this.#rest + text
    let start = 0
    const n = data.length
    for (let i = 0; i < n; i++) {
      const c = data.charCodeAt(i)
      if (c === 10 || c === 13) {
        if (this.#overflow) this.#overflow = false
        else if (i - start > MAX_LINE) this.#onOverflow() // a whole over-long line inside one chunk
        else if (i > start) this.#onLine(data.slice(start, i))
        start = i + 1
      }
    }
    data = data.slice(start)
    if (data.length > MAX_LINE) {
      if (!this.#overflow) this.#onOverflow()
      this.#overflow = true
      data = ''
    }
    this.#rest = data
  }

  /** End of stream: the last line may lack its terminator. */
  end(): void {
    if (this.#rest && !this.#overflow) this.#onLine(this.#rest)
    this.#rest = ''
    this.#overflow = false
  }
}
