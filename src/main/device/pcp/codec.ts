// PCP (Pitwall Controller Protocol) framing: one ASCII line per frame,
//   <SEQ> <VERB>[ <ARG>]*'*'<CK>'\n'
// SEQ = 2 hex digits, CK = XOR of every byte before '*', 2 hex digits (NMEA style).
// See docs/protocols/pcp.md. Pure functions + a bounded line splitter; no I/O.

/** Longest frame in bytes, terminator excluded. Longer lines are dropped whole. */
export const PCP_MAX_LINE = 255
export const PCP_DEFAULT_BAUD = 115200
export const PCP_VERSION = 1

export interface PcpFrame {
  seq: number
  verb: string
  args: string[]
}

/** NAK codes (docs/protocols/pcp.md §NAK codes). */
export const NAK = {
  BAD_CHECKSUM: 1,
  BAD_FRAME: 2,
  UNKNOWN_VERB: 3,
  UNKNOWN_KEY: 4,
  BAD_VALUE: 5,
  READ_ONLY: 6,
  BUSY: 7,
  NOT_AVAILABLE: 8,
  TOO_LONG: 9,
  HARDWARE: 10,
} as const
export type NakCode = (typeof NAK)[keyof typeof NAK]

export const NAK_TEXT: Record<number, string> = {
  1: 'bad checksum',
  2: 'malformed frame',
  3: 'unknown verb',
  4: 'unknown key',
  5: 'value out of range',
  6: 'read-only key',
  7: 'device busy',
  8: 'not available in the current state',
  9: 'line too long',
  10: 'hardware fault',
}

export function checksum(body: string): number {
  let x = 0
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i)
  return x
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0')

/** One frame as the bytes to send (with its terminator). Arguments must be printable and space-free. */
export function encodeFrame(seq: number, verb: string, args: readonly string[] = []): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > 255) throw new RangeError(`PCP seq out of range: ${seq}`)
  const body = [hex2(seq), verb, ...args].join(' ')
  if (!/^[\x20-\x7e]*$/.test(body) || body.includes('*')) throw new RangeError('PCP frame must be printable ASCII without "*"')
  const line = `${body}*${hex2(checksum(body))}`
  if (line.length > PCP_MAX_LINE) throw new RangeError(`PCP frame longer than ${PCP_MAX_LINE} bytes`)
  return `${line}\n`
}

export type ParseResult = { ok: true; frame: PcpFrame } | { ok: false; code: NakCode; message: string; seq?: number }

/** Parses one line (terminator already removed). Never throws. */
export function parseFrame(line: string): ParseResult {
  const star = line.lastIndexOf('*')
  const seqGuess = /^[0-9A-F]{2} /.test(line) ? parseInt(line.slice(0, 2), 16) : undefined
  if (star < 0 || star !== line.length - 3) return { ok: false, code: NAK.BAD_FRAME, message: 'missing checksum', seq: seqGuess }
  const body = line.slice(0, star)
  const ck = line.slice(star + 1)
  if (!/^[0-9A-F]{2}$/i.test(ck)) return { ok: false, code: NAK.BAD_FRAME, message: 'checksum is not 2 hex digits', seq: seqGuess }
  if (parseInt(ck, 16) !== checksum(body)) return { ok: false, code: NAK.BAD_CHECKSUM, message: `checksum ${ck.toUpperCase()} != ${hex2(checksum(body))}`, seq: seqGuess }
  const parts = body.split(' ')
  if (parts.length < 2 || !/^[0-9A-F]{2}$/.test(parts[0]!)) return { ok: false, code: NAK.BAD_FRAME, message: 'frame must start with a 2-digit hex sequence id', seq: seqGuess }
  const verb = parts[1]!
  if (!/^[A-Z]{2,8}$/.test(verb)) return { ok: false, code: NAK.BAD_FRAME, message: 'verb must be 2-8 capital letters', seq: seqGuess }
  const args = parts.slice(2)
  if (args.some((a) => a.length === 0)) return { ok: false, code: NAK.BAD_FRAME, message: 'empty argument (double space)', seq: seqGuess }
  return { ok: true, frame: { seq: parseInt(parts[0]!, 16), verb, args } }
}

/** `KEY=VALUE` arguments as pairs; null when one is not of that form. */
export function parsePairs(args: readonly string[]): Array<[string, string]> | null {
  const out: Array<[string, string]> = []
  for (const a of args) {
    const eq = a.indexOf('=')
    if (eq <= 0 || eq === a.length - 1) return null
    out.push([a.slice(0, eq), a.slice(eq + 1)])
  }
  return out
}

export type LineEvent = { kind: 'line'; text: string } | { kind: 'error'; code: typeof NAK.TOO_LONG | typeof NAK.BAD_FRAME; message: string; raw: string }

/**
 * Splits a byte stream into lines, bounded: a line longer than PCP_MAX_LINE is dropped whole (one
 * TOO_LONG event, then everything up to the next '\n' is discarded); a line holding a byte outside
 * printable ASCII is reported as BAD_FRAME (garbage). '\r' before '\n' is ignored; empty lines are
 * skipped (a lone '\n' is how a sender flushes a half-received line).
 */
export class LineSplitter {
  #buf = ''
  #discarding = false
  #max: number

  constructor(max = PCP_MAX_LINE) {
    this.#max = max
  }

  push(bytes: Uint8Array | string): LineEvent[] {
    const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
    const out: LineEvent[] = []
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      const piece = nl < 0 ? text.slice(start) : text.slice(start, nl)
      if (!this.#discarding) {
        this.#buf += piece
        if (this.#buf.length > this.#max + 1) {
          out.push({ kind: 'error', code: NAK.TOO_LONG, message: `line longer than ${this.#max} bytes`, raw: this.#buf.slice(0, 40) })
          this.#buf = ''
          this.#discarding = true
        }
      }
      if (nl < 0) break
      if (this.#discarding) this.#discarding = false
      else this.#emit(out)
      start = nl + 1
    }
    return out
  }

  /** Forgets a half-received line (after a reconnect). */
  reset(): void {
    this.#buf = ''
    this.#discarding = false
  }

  #emit(out: LineEvent[]): void {
    let line = this.#buf
    this.#buf = ''
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line.length === 0) return
    if (line.length > this.#max) {
      out.push({ kind: 'error', code: NAK.TOO_LONG, message: `line longer than ${this.#max} bytes`, raw: line.slice(0, 40) })
      return
    }
    if (!/^[\x20-\x7e]*$/.test(line)) {
      out.push({ kind: 'error', code: NAK.BAD_FRAME, message: 'non-printable bytes in line', raw: printable(line) })
      return
    }
    out.push({ kind: 'line', text: line })
  }
}

/** A line with control bytes shown as \xNN (for logs and the traffic view). */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${hex2(c.charCodeAt(0))}`)
}
