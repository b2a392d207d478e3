// Capture files: RMonitor lines, optionally grouped under `##YYYY-MM-DD HH:mm:ss.fff` batch headers
// (RedMist's relay captures). Headerless files (Orbits logs) are batched up to each $F heartbeat,
// which also paces them: about one heartbeat per second.

export interface CaptureBatch {
  /** Epoch ms from the `##` header; null in headerless captures. */
  atMs: number | null
  lines: string[]
}

const HEADER = /^##\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/

/** Parses a `##` header's timestamp (UTC, as the relay wrote it); null when the header is malformed. */
export function parseHeader(line: string): number | null {
  const m = HEADER.exec(line)
  if (!m) return null
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? Number(m[7].padEnd(3, '0')) : 0)
  return Number.isNaN(ms) ? null : ms
}

/** Groups a capture's text into batches. Blank lines are dropped; other non-record lines are kept for the parser to count. */
export function splitCapture(text: string): CaptureBatch[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const out: CaptureBatch[] = []
  let cur: CaptureBatch = { atMs: null, lines: [] }
  let headers = false
  const push = () => {
    if (cur.lines.length) out.push(cur)
  }
  let start = 0
  const n = text.length
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 10
    if (c !== 10 && c !== 13) continue
    if (i > start) {
      const line = text.slice(start, i)
      if (line.charCodeAt(0) === 35 && line.charCodeAt(1) === 35) {
        headers = true
        push()
        cur = { atMs: parseHeader(line), lines: [] }
      } else if (line.trim().length) {
        cur.lines.push(line)
        // Headerless: a heartbeat closes the batch.
        if (!headers && line.charCodeAt(1) === 70 && line.charCodeAt(0) === 36 && line.charCodeAt(2) === 44) {
          push()
          cur = { atMs: null, lines: [] }
        }
      }
    }
    start = i + 1
  }
  push()
  return out
}
