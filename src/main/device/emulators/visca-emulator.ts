import { EventEmitter } from 'node:events'
import { fromNibbles, replyHeader, TERMINATOR, toHex, toNibbles } from '../visca/codec.ts'
import { FOCUS_MAX, FOCUS_MIN, PRESETS, ZOOM_MAX } from '../visca/mapping.ts'
import type { Transport } from '../transport/transport.ts'
import { type Fault, noiseBytes } from './faults.ts'

/** What the emulated camera holds (VISCA positions, not v1 percentages). */
export interface ViscaCameraState {
  power: 2 | 3
  aeMode: number
  expCompOn: boolean
  expComp: number
  gain: number
  wbMode: number
  rGain: number
  bGain: number
  aperture: number
  nr: number
  zoom: number
  focusMode: 2 | 3
  focus: number
  lastPreset: number
}

export interface ViscaEmulatorEvents {
  frame: [dir: 'rx' | 'tx', hex: string]
}

interface Preset {
  zoom: number
  focus: number
}

/** Completion delays (ms): a camera moves its lens, it does not jump. */
const TIMES = { fast: 5, power: 80, presetRecall: 150, zoomFull: 250 }

/**
 * A Sony-style VISCA camera on a serial line (research/anchors.md §4.8): AddressSet and IF_Clear,
 * two command sockets (a third concurrent command gets "buffer full"), ACK then Completion after a
 * simulated mechanical time, inquiries answered at once without ACK, "not executable" for commands
 * the current mode forbids, syntax and length errors, CommandCancel, standby, network-change on
 * power-up, and injectable faults.
 */
export class ViscaEmulator extends EventEmitter<ViscaEmulatorEvents> {
  fault: Fault = { kind: 'none' }
  address = 1
  readonly state: ViscaCameraState = {
    power: 2,
    aeMode: 0x00,
    expCompOn: false,
    expComp: 0x07,
    gain: 0x01,
    wbMode: 0x00,
    rGain: 0x80,
    bGain: 0x80,
    aperture: 0x08,
    nr: 0x00,
    zoom: 0,
    focusMode: 2,
    focus: FOCUS_MIN,
    lastPreset: 0,
  }
  readonly presets: Array<Preset | undefined> = Array.from({ length: PRESETS }, () => undefined)
  #sockets: Array<NodeJS.Timeout | undefined> = [undefined, undefined, undefined]
  #transport: Transport | undefined
  #acc: number[] = []
  #timers = new Set<NodeJS.Timeout>()
  #drive: NodeJS.Timeout | undefined
  #onData = (b: Uint8Array) => this.#receive(b)
  #onClose = () => this.#detach()

  get attached(): boolean {
    return this.#transport?.isOpen ?? false
  }

  attach(transport: Transport): void {
    this.#detach()
    this.#transport = transport
    this.#acc = []
    transport.on('data', this.#onData)
    transport.once('close', this.#onClose)
  }

  unplug(): void {
    const t = this.#transport
    this.#detach()
    t?.close(null)
  }

  /** Power cycle: the camera comes back on and announces itself (z0 38 FF). */
  powerCycle(): void {
    this.#cancelAll()
    this.state.power = 2
    this.#send([replyHeader(this.address), 0x38, TERMINATOR], 0)
  }

  /** Changes made with the camera's IR remote or OSD: the host only sees them by asking. */
  remote(changes: Partial<ViscaCameraState>): void {
    Object.assign(this.state, changes)
  }

  stop(): void {
    this.#cancelAll()
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    this.#detach()
  }

  #detach(): void {
    const t = this.#transport
    if (!t) return
    t.off('data', this.#onData)
    t.off('close', this.#onClose)
    this.#transport = undefined
  }

  #receive(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.#acc.length === 0 && b < 0x80) continue // not a header: noise
      this.#acc.push(b)
      if (b === TERMINATOR) {
        const p = this.#acc
        this.#acc = []
        this.emit('frame', 'rx', toHex(p))
        this.#handle(p)
      } else if (this.#acc.length > 64) {
        this.#acc = [] // runaway: wait for the next header
      }
    }
  }

  #handle(p: number[]): void {
    if (this.fault.kind === 'silent') return
    const h = p[0]!
    const z = replyHeader(this.address)
    if (h === 0x88) {
      if (p[1] === 0x30 && p[2] === 0x01 && p.length === 4) {
        this.address = 1
        return this.#send([0x88, 0x30, 0x02, TERMINATOR])
      }
      if (p[1] === 0x01 && p[2] === 0x00 && p[3] === 0x01 && p.length === 5) {
        this.#cancelAll()
        return this.#send(p)
      }
      return
    }
    if (h !== (0x80 | this.address)) return // for another camera on the chain
    if (p.length > 16) return this.#send([z, 0x60, 0x01, TERMINATOR])
    const m = p.slice(1, -1)
    if (m.length === 0) return this.#send([z, 0x60, 0x02, TERMINATOR])
    if ((m[0]! & 0xf0) === 0x20 && m.length === 1) return this.#cancel(m[0]! & 0x0f)
    if (m[0] === 0x01 && m[1] === 0x00 && m[2] === 0x01 && m.length === 3) {
      this.#cancelAll()
      return this.#send([z, 0x50, TERMINATOR])
    }
    if (m[0] === 0x09) {
      const data = this.#inquire(m)
      return this.#send(data ? [z, 0x50, ...data, TERMINATOR] : [z, 0x60, 0x02, TERMINATOR])
    }
    if (m[0] === 0x01) return this.#command(m)
    this.#send([z, 0x60, 0x02, TERMINATOR])
  }

  #inquire(m: number[]): number[] | undefined {
    const s = this.state
    const k = toHex(m)
    const pq = (v: number) => [0x00, 0x00, ...toNibbles(v, 2)]
    switch (k) {
      case '09 00 02':
        return [0x00, 0x01, 0x05, 0x19, 0x01, 0x00, 0x02]
      case '09 04 00':
        return [s.power]
      case '09 04 47':
        return toNibbles(s.zoom, 4)
      case '09 04 38':
        return [s.focusMode]
      case '09 04 48':
        return toNibbles(s.focus, 4)
      case '09 04 35':
        return [s.wbMode]
      case '09 04 43':
        return pq(s.rGain)
      case '09 04 44':
        return pq(s.bGain)
      case '09 04 39':
        return [s.aeMode]
      case '09 04 4C':
        return pq(s.gain)
      case '09 04 3E':
        return [s.expCompOn ? 2 : 3]
      case '09 04 4E':
        return pq(s.expComp)
      case '09 04 42':
        return pq(s.aperture)
      case '09 04 53':
        return [s.nr]
      case '09 04 3F':
        return [s.lastPreset]
      default:
        return undefined
    }
  }

  /** Validates and runs a command: returns after queueing ACK and Completion (or an error). */
  #command(m: number[]): void {
    const z = replyHeader(this.address)
    const plan = this.#plan(m)
    if (plan === 'syntax') return this.#send([z, 0x60, 0x02, TERMINATOR])
    const socket = this.#sockets[1] === undefined ? 1 : this.#sockets[2] === undefined ? 2 : 0
    if (socket === 0) return this.#send([z, 0x60, 0x03, TERMINATOR])
    this.#send([z, 0x40 | socket, TERMINATOR])
    const forbidden = this.fault.kind === 'nak' || plan === 'not-executable' || (this.state.power === 3 && !(m[1] === 0x04 && m[2] === 0x00))
    const delay = forbidden ? TIMES.fast : plan.ms
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      this.#sockets[socket] = undefined
      if (forbidden) return this.#send([z, 0x60 | socket, 0x41, TERMINATOR], 0)
      plan.run()
      this.#send([z, 0x50 | socket, TERMINATOR], 0)
    }, delay)
    this.#timers.add(timer)
    this.#sockets[socket] = timer
  }

  #plan(m: number[]): 'syntax' | 'not-executable' | { ms: number; run: () => void } {
    const s = this.state
    const fast = (run: () => void) => ({ ms: TIMES.fast, run })
    if (m[1] === 0x04) {
      const [, , cmd, a, b, c, d] = m
      const n = m.length
      const direct2 = () => (n === 7 && a === 0 && b === 0 && c! <= 0x0f && d! <= 0x0f ? fromNibbles([c!, d!]) : -1)
      const direct4 = () => (n === 7 && [a, b, c, d].every((x) => x! <= 0x0f) ? fromNibbles([a!, b!, c!, d!]) : -1)
      switch (cmd) {
        case 0x00:
          if (n !== 4 || (a !== 2 && a !== 3)) return 'syntax'
          return { ms: TIMES.power, run: () => (s.power = a as 2 | 3) }
        case 0x07: {
          if (n !== 4) return 'syntax'
          const hi = a! >> 4
          if (a === 0) return fast(() => this.#stopDrive())
          if (a === 2 || a === 3 || hi === 2 || hi === 3) return fast(() => this.#startZoom(a === 2 || hi === 2 ? 1 : -1, hi ? (a! & 0x0f) + 1 : 4))
          return 'syntax'
        }
        case 0x47: {
          const v = direct4()
          if (v < 0 || v > ZOOM_MAX) return 'syntax'
          return { ms: TIMES.fast + Math.round((Math.abs(v - s.zoom) / ZOOM_MAX) * TIMES.zoomFull), run: () => (s.zoom = v) }
        }
        case 0x38:
          if (n !== 4 || ![2, 3, 0x10].includes(a!)) return 'syntax'
          return fast(() => (s.focusMode = a === 0x10 ? (s.focusMode === 2 ? 3 : 2) : (a as 2 | 3)))
        case 0x08:
          if (n !== 4 || ![0, 2, 3].includes(a!)) return 'syntax'
          if (s.focusMode === 2) return 'not-executable'
          return fast(() => (s.focus = Math.max(FOCUS_MIN, Math.min(FOCUS_MAX, s.focus + (a === 2 ? -0x800 : a === 3 ? 0x800 : 0)))))
        case 0x48: {
          const v = direct4()
          if (v < FOCUS_MIN || v > FOCUS_MAX) return 'syntax'
          if (s.focusMode === 2) return 'not-executable'
          return fast(() => (s.focus = v))
        }
        case 0x18:
          if (n !== 4 || (a !== 1 && a !== 2)) return 'syntax'
          if (s.focusMode === 2) return 'not-executable'
          return { ms: 60, run: () => (s.focus = a === 2 ? FOCUS_MIN : 0x6000) }
        case 0x35:
          if (n !== 4 || a! > 5) return 'syntax'
          return fast(() => (s.wbMode = a!))
        case 0x10:
          if (n !== 4 || a !== 5) return 'syntax'
          if (s.wbMode !== 3) return 'not-executable'
          return { ms: 60, run: () => undefined }
        case 0x43:
        case 0x44: {
          const v = direct2()
          if (v < 0) return 'syntax'
          if (s.wbMode !== 5) return 'not-executable'
          return fast(() => (cmd === 0x43 ? (s.rGain = v) : (s.bGain = v)))
        }
        case 0x39:
          if (n !== 4 || ![0x00, 0x03, 0x0a, 0x0b, 0x0d].includes(a!)) return 'syntax'
          return fast(() => (s.aeMode = a!))
        case 0x4c: {
          const v = direct2()
          if (v < 0x01 || v > 0x0d) return 'syntax'
          if (s.aeMode !== 0x03) return 'not-executable'
          return fast(() => (s.gain = v))
        }
        case 0x3e:
          if (n !== 4 || (a !== 2 && a !== 3)) return 'syntax'
          return fast(() => (s.expCompOn = a === 2))
        case 0x4e: {
          const v = direct2()
          if (v < 0 || v > 0x0e) return 'syntax'
          if (s.aeMode === 0x03 || !s.expCompOn) return 'not-executable'
          return fast(() => (s.expComp = v))
        }
        case 0x42: {
          const v = direct2()
          if (v < 0 || v > 0x0f) return 'syntax'
          return fast(() => (s.aperture = v))
        }
        case 0x02:
          if (n !== 4 || ![0, 2, 3].includes(a!)) return 'syntax'
          return fast(() => (s.aperture = a === 0 ? 0x08 : Math.max(0, Math.min(0x0f, s.aperture + (a === 2 ? 1 : -1)))))
        case 0x53:
          if (n !== 4 || a! > 5) return 'syntax'
          return fast(() => (s.nr = a!))
        case 0x3f: {
          if (n !== 5 || a! > 2 || b! >= PRESETS) return 'syntax'
          if (a === 0) return fast(() => (this.presets[b!] = undefined))
          if (a === 1) return fast(() => (this.presets[b!] = { zoom: s.zoom, focus: s.focus }))
          const p = this.presets[b!]
          return {
            ms: TIMES.presetRecall,
            run: () => {
              s.lastPreset = b!
              if (p) Object.assign(s, p)
            },
          }
        }
      }
    }
    return 'syntax'
  }

  #startZoom(dir: 1 | -1, speed: number): void {
    this.#stopDrive()
    const step = Math.round((ZOOM_MAX / 40) * (speed / 4))
    this.#drive = setInterval(() => {
      this.state.zoom = Math.max(0, Math.min(ZOOM_MAX, this.state.zoom + dir * step))
      if (this.state.zoom === 0 || this.state.zoom === ZOOM_MAX) this.#stopDrive()
    }, 25)
  }

  #stopDrive(): void {
    clearInterval(this.#drive)
    this.#drive = undefined
  }

  #cancel(socket: number): void {
    const z = replyHeader(this.address)
    const t = this.#sockets[socket]
    if (socket < 1 || socket > 2 || t === undefined) return this.#send([z, 0x60 | (socket & 0x0f), 0x05, TERMINATOR])
    clearTimeout(t)
    this.#timers.delete(t)
    this.#sockets[socket] = undefined
    this.#send([z, 0x60 | socket, 0x04, TERMINATOR])
  }

  #cancelAll(): void {
    for (const i of [1, 2]) {
      const t = this.#sockets[i]
      if (t) {
        clearTimeout(t)
        this.#timers.delete(t)
      }
      this.#sockets[i] = undefined
    }
    this.#stopDrive()
  }

  #send(bytes: number[], extraDelay?: number): void {
    const delay = (extraDelay ?? 0) + (this.fault.kind === 'slow' ? (this.fault.delayMs ?? 800) : 0)
    const go = () => {
      const t = this.#transport
      if (!t?.isOpen || this.fault.kind === 'silent') return
      if (this.fault.kind === 'garbage') t.write(noiseBytes())
      if (this.fault.kind === 'corrupt') {
        // A completion for a socket with nothing in it, as a confused camera might send.
        const idle = this.#sockets[1] === undefined ? 1 : 2
        t.write(Uint8Array.from([replyHeader(this.address), 0x50 | idle, TERMINATOR]))
      }
      this.emit('frame', 'tx', toHex(bytes))
      t.write(Uint8Array.from(bytes))
    }
    if (delay <= 0) return go()
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      go()
    }, delay)
    this.#timers.add(timer)
  }
}
