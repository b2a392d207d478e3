// Sony VISCA framing and replies (research/anchors.md §4). Pure functions + a bounded packet
// splitter; no I/O. A packet is 3–16 bytes: header 1sss0rrr, 1–14 message bytes, terminator FF.

export const VISCA_MAX_PACKET = 16
export const VISCA_DEFAULT_BAUD = 9600
export const TERMINATOR = 0xff

export type ViscaErrorCode = 0x01 | 0x02 | 0x03 | 0x04 | 0x05 | 0x41

export const VISCA_ERROR_TEXT: Record<number, string> = {
  0x01: 'Message length error',
  0x02: 'Syntax error',
  0x03: 'Command buffer full',
  0x04: 'Command canceled',
  0x05: 'No socket (to be canceled)',
  0x41: 'Command not executable',
}

export type ViscaReply =
  | { kind: 'ack'; from: number; socket: number }
  | { kind: 'completion'; from: number; socket: number; data: number[] }
  | { kind: 'error'; from: number; socket: number; code: number }
  | { kind: 'network-change'; from: number }
  | { kind: 'address-set'; next: number }
  | { kind: 'if-clear-broadcast' }
  | { kind: 'unknown'; bytes: number[] }

/** Camera address (1–7) → controller→camera header byte (81…87). */
export const header = (address: number) => 0x80 | address
/** Camera address → the header its replies carry (90…F0). */
export const replyHeader = (address: number) => (address + 8) << 4

/** value → `count` nibble bytes (0p 0q 0r 0s), most significant first. */
export function toNibbles(value: number, count: number): number[] {
  const out: number[] = []
  for (let i = count - 1; i >= 0; i--) out.push((value >> (4 * i)) & 0x0f)
  return out
}

export function fromNibbles(bytes: readonly number[]): number {
  let v = 0
  for (const b of bytes) v = (v << 4) | (b & 0x0f)
  return v
}

/** A packet for camera `address`: header + message + FF. */
export function packet(address: number, message: readonly number[]): Uint8Array {
  if (message.length < 1 || message.length > 14) throw new RangeError('VISCA message must be 1-14 bytes')
  if (message.some((b) => b < 0 || b > 0xfe || !Number.isInteger(b))) throw new RangeError('VISCA message bytes must be 00-FE')
  return Uint8Array.from([header(address), ...message, TERMINATOR])
}

export const ADDRESS_SET = Uint8Array.from([0x88, 0x30, 0x01, 0xff])
export const IF_CLEAR_BROADCAST = Uint8Array.from([0x88, 0x01, 0x00, 0x01, 0xff])

/** Classifies a camera→controller packet (terminator included). */
export function parseReply(p: readonly number[]): ViscaReply {
  const bytes = [...p]
  if (p.length < 3 || p[p.length - 1] !== TERMINATOR) return { kind: 'unknown', bytes }
  const h = p[0]!
  if (h === 0x88 && p[1] === 0x30 && p.length === 4) return { kind: 'address-set', next: p[2]! }
  if (h === 0x88 && p[1] === 0x01 && p[2] === 0x00 && p[3] === 0x01 && p.length === 5) return { kind: 'if-clear-broadcast' }
  if ((h & 0x8f) !== 0x80 || h < 0x90) return { kind: 'unknown', bytes }
  const from = (h >> 4) - 8
  const b1 = p[1]!
  if (b1 === 0x38 && p.length === 3) return { kind: 'network-change', from }
  const type = b1 >> 4
  const socket = b1 & 0x0f
  if (type === 4 && p.length === 3) return { kind: 'ack', from, socket }
  if (type === 5) return { kind: 'completion', from, socket, data: [...p.slice(2, -1)] }
  if (type === 6 && p.length === 4) return { kind: 'error', from, socket, code: p[2]! }
  return { kind: 'unknown', bytes }
}

export type SplitEvent = { kind: 'packet'; bytes: number[] } | { kind: 'error'; message: string; bytes: number[] }

/**
 * Splits a byte stream into packets at FF, bounded: bytes that cannot start a packet (high bit
 * clear, or FF) are skipped; when 16 bytes gather without FF the first is dropped and the scan
 * restarts at the next byte that can start a packet, so noise never swallows the reply behind it.
 * Each skip is reported once, with the dropped bytes (at most 32 shown).
 */
export class ViscaSplitter {
  #buf: number[] = []
  #skipped: number[] = []

  push(chunk: Uint8Array | readonly number[]): SplitEvent[] {
    const out: SplitEvent[] = []
    const work = [...chunk]
    for (let i = 0; i < work.length; i++) {
      const b = work[i]!
      if (this.#buf.length === 0) {
        if (b < 0x80 || b === TERMINATOR) {
          this.#skip(b)
          continue
        }
        this.#flushSkipped(out)
      }
      this.#buf.push(b)
      if (b === TERMINATOR) {
        const bytes = this.#buf
        this.#buf = []
        out.push({ kind: 'packet', bytes })
      } else if (this.#buf.length >= VISCA_MAX_PACKET) {
        const [first, ...rest] = this.#buf
        this.#buf = []
        this.#skip(first!)
        out.push({ kind: 'error', message: `no terminator within ${VISCA_MAX_PACKET} bytes: resyncing`, bytes: this.#skipped })
        this.#skipped = []
        work.splice(i + 1, 0, ...rest)
      }
    }
    this.#flushSkipped(out)
    return out
  }

  reset(): void {
    this.#buf = []
    this.#skipped = []
  }

  #skip(b: number): void {
    if (this.#skipped.length < 32) this.#skipped.push(b)
  }

  #flushSkipped(out: SplitEvent[]): void {
    if (this.#skipped.length) {
      out.push({ kind: 'error', message: `${this.#skipped.length} byte(s) that cannot start a packet skipped`, bytes: this.#skipped })
      this.#skipped = []
    }
  }
}

/**
 * A packet that does not parse may be noise glued in front of a real reply (a stray byte with the
 * high bit set starts a "packet"): returns the longest valid reply that ends it, if any.
 */
export function salvageReply(bytes: readonly number[]): { reply: ViscaReply; dropped: number } | undefined {
  for (let i = 1; i <= bytes.length - 3; i++) {
    const r = parseReply(bytes.slice(i))
    if (r.kind !== 'unknown') return { reply: r, dropped: i }
  }
  return undefined
}

export const toHex = (bytes: Iterable<number>) => [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')
