import { EventEmitter } from 'node:events'
import { type CameraKey, type CameraState, type CameraValue, defaultCameraState, isCanonicalValue, MAX_SENSORS } from '../../../shared/camera-keys.ts'
import { encodeFrame, LineSplitter, NAK, NAK_TEXT, type NakCode, PCP_VERSION, parseFrame, parsePairs } from '../pcp/codec.ts'
import { decodeValue, encodeValue, PCP_KEYS, pcpCode, pcpKeyByCode } from '../pcp/keys.ts'
import type { Transport } from '../transport/transport.ts'
import { type Fault, noiseBytes } from './faults.ts'

/** Physical buttons and switches on the emulated controller. */
export const PCP_BUTTONS = ['light1', 'light2', 'record', 'main', 'head2'] as const
export type PcpButton = (typeof PCP_BUTTONS)[number]

export interface PcpEmulatorOptions {
  firmware?: string
  model?: string
  initial?: Partial<CameraState>
}

export interface PcpEmulatorEvents {
  /** A frame the emulator received or sent (for the control channel / tests). */
  frame: [dir: 'rx' | 'tx', text: string]
  change: [changes: Partial<CameraState>]
}

/**
 * The device side of PCP, as the reference firmware behaves: answers ID/GET/SET/PING, validates
 * like the hardware, replays the last answer when a frame is repeated with the same sequence id (so
 * a host retry never applies a command twice), sends EVT frames when its buttons are pressed or a
 * head is unplugged, and can inject faults. It keeps its state across attach/detach, like a
 * controller that stays powered while its USB cable is pulled.
 */
export class PcpEmulator extends EventEmitter<PcpEmulatorEvents> {
  readonly firmware: string
  readonly model: string
  fault: Fault = { kind: 'none' }
  #state: CameraState
  #transport: Transport | undefined
  #splitter = new LineSplitter()
  #evtSeq = 0
  #last: { line: string; reply: string } | undefined
  #corrupted = new Set<number>()
  #timers = new Set<NodeJS.Timeout>()
  #onData = (b: Uint8Array) => this.#receive(b)
  #onClose = () => this.#detach()

  constructor(opts: PcpEmulatorOptions = {}) {
    super()
    this.firmware = opts.firmware ?? '1.0.0'
    this.model = opts.model ?? 'pitwall-pcp-emulator'
    this.#state = { ...defaultCameraState(), ...opts.initial }
  }

  get state(): Readonly<CameraState> {
    return this.#state
  }

  get attached(): boolean {
    return this.#transport?.isOpen ?? false
  }

  /** Connects the emulator to a line (its device-side end). `boot` sends the power-up event. */
  attach(transport: Transport, opts: { boot?: boolean } = {}): void {
    this.#detach()
    this.#transport = transport
    this.#splitter.reset()
    this.#last = undefined
    transport.on('data', this.#onData)
    transport.once('close', this.#onClose)
    if (opts.boot) this.reboot()
  }

  /** Pulls the cable: closes the device side of the line. */
  unplug(): void {
    const t = this.#transport
    this.#detach()
    t?.close(null)
  }

  /** Simulates a power cycle: event counter restarts, the host is told to resync. */
  reboot(): void {
    this.#evtSeq = 0
    this.#last = undefined
    this.#event([['BOOT', '1'], ['FW', this.firmware]])
  }

  /** Presses a button on the device, as a person at the pit wall would. */
  press(button: PcpButton): Partial<CameraState> {
    const s = this.#state
    const changes: Partial<CameraState> = {}
    switch (button) {
      case 'light1':
        changes['cam1-light'] = !s['cam1-light']
        break
      case 'light2':
        if (s['cam2-exists']) changes['cam2-light'] = !s['cam2-light']
        break
      case 'record':
        changes.record = s.record === 'off' ? 'on' : 'off'
        break
      case 'main':
        if (s['cam2-exists']) changes['main-camera'] = s['main-camera'] === 1 ? 2 : 1
        break
      case 'head2':
        this.setHead2(!s['cam2-exists'])
        return this.#state['cam2-exists'] ? { 'cam2-exists': true } : { 'cam2-exists': false }
    }
    this.#changeAndNotify(changes)
    return changes
  }

  /** Plugs or unplugs camera head 2 (the light goes off and the main camera falls back to 1). */
  setHead2(present: boolean): void {
    const changes: Partial<CameraState> = { 'cam2-exists': present }
    if (!present) {
      if (this.#state['cam2-light']) changes['cam2-light'] = false
      if (this.#state['main-camera'] === 2) changes['main-camera'] = 1
    }
    this.#changeAndNotify(changes)
  }

  /**
   * Changes values as if done on the device (menu, knob) and tells the host. A device's own controls only
   * produce valid values: anything else is refused here, so the emulator never holds a state it could not
   * put on the wire (it would fail later, answering the host's reads).
   */
  setLocal(changes: Partial<CameraState>): void {
    for (const [k, v] of Object.entries(changes)) {
      const def = PCP_KEYS.find((p) => p.key === k)?.def
      if (!def || !isCanonicalValue(def, v)) throw new RangeError(`not a valid ${k}: ${JSON.stringify(v)}`)
    }
    this.#changeAndNotify(changes)
  }

  /**
   * A misbehaving device: sends an event frame with these raw `code=token` pairs without changing its own
   * state (tests of what the host does with values outside the key table). Throws when the pairs cannot
   * form a frame at all (over 255 bytes, not printable ASCII).
   */
  rawEvent(pairs: Array<[code: string, token: string]>): void {
    this.#event(pairs)
  }

  stop(): void {
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

  #changeAndNotify(changes: Partial<CameraState>): void {
    const real = Object.entries(changes).filter(([k, v]) => this.#state[k as CameraKey] !== v)
    if (real.length === 0) return
    Object.assign(this.#state, Object.fromEntries(real))
    this.emit('change', Object.fromEntries(real))
    this.#event(real.map(([k, v]) => [pcpCode(k as CameraKey), encodeValue(PCP_KEYS.find((p) => p.key === k)!.def, v as CameraValue)]))
  }

  #event(pairs: Array<[string, string]>): void {
    if (this.fault.kind === 'silent') return
    const seq = this.#evtSeq
    this.#evtSeq = (this.#evtSeq + 1) & 0xff
    this.#send(encodeFrame(seq, 'EVT', pairs.map(([k, v]) => `${k}=${v}`)), 0)
  }

  #receive(bytes: Uint8Array): void {
    for (const ev of this.#splitter.push(bytes)) {
      if (ev.kind === 'error') {
        this.emit('frame', 'rx', ev.raw)
        this.#reply(0, 'NAK', [pad(ev.code), '-', NAK_TEXT[ev.code]!])
        continue
      }
      this.emit('frame', 'rx', ev.text)
      this.#handle(ev.text)
    }
  }

  #handle(line: string): void {
    if (this.fault.kind === 'silent') return
    // A repeated frame (host retry after a lost answer): answer again, do not apply again.
    if (this.#last && this.#last.line === line) {
      this.#send(this.#last.reply, this.#delay())
      return
    }
    const parsed = parseFrame(line)
    if (!parsed.ok) {
      this.#reply(parsed.code === NAK.BAD_CHECKSUM ? (parsed.seq ?? 0) : (parsed.seq ?? 0), 'NAK', [pad(parsed.code), '-', parsed.message], line)
      return
    }
    const { seq, verb, args } = parsed.frame
    if (seq === 0) return this.#reply(0, 'NAK', [pad(NAK.BAD_FRAME), '-', 'sequence id 00 is reserved'], line)
    switch (verb) {
      case 'ID':
        return this.#reply(seq, 'ACK', ['ID', `PCP=${PCP_VERSION}`, `FW=${this.firmware}`, `MODEL=${this.model}`, 'HEADS=2', `SENSORS=${MAX_SENSORS}`, `KEYS=${PCP_KEYS.map((k) => k.code).join(',')}`], line)
      case 'PING':
        return this.#reply(seq, 'ACK', ['PING'], line)
      case 'GET': {
        const codes = args.length ? args : PCP_KEYS.map((k) => k.code)
        const pairs: string[] = []
        for (const code of codes) {
          const k = pcpKeyByCode(code)
          if (!k) return this.#nak(seq, NAK.UNKNOWN_KEY, code, line)
          pairs.push(`${code}=${encodeValue(k.def, this.#state[k.key])}`)
        }
        return this.#reply(seq, 'ACK', ['GET', ...pairs], line)
      }
      case 'SET':
        return this.#set(seq, args, line)
      default:
        return this.#nak(seq, NAK.UNKNOWN_VERB, verb, line)
    }
  }

  #set(seq: number, args: string[], line: string): void {
    const pairs = parsePairs(args)
    if (!pairs || pairs.length === 0) return this.#nak(seq, NAK.BAD_FRAME, '-', line, 'SET needs KEY=VALUE arguments')
    if (this.fault.kind === 'nak') return this.#nak(seq, NAK.HARDWARE, pairs[0]![0], line, 'injected fault')
    const next: Partial<CameraState> = {}
    for (const [code, token] of pairs) {
      const k = pcpKeyByCode(code)
      if (!k) return this.#nak(seq, NAK.UNKNOWN_KEY, code, line)
      if (k.def.readOnly) return this.#nak(seq, NAK.READ_ONLY, code, line)
      const v = decodeValue(k.def, token)
      if (!v.ok || (k.def.type === 'action' && v.value !== true)) return this.#nak(seq, NAK.BAD_VALUE, code, line, v.ok ? 'write 1 to trigger' : v.message)
      ;(next as Record<string, unknown>)[k.key] = v.value
    }
    const after = { ...this.#state, ...next }
    if (after['main-camera'] === 2 && !after['cam2-exists']) return this.#nak(seq, NAK.NOT_AVAILABLE, 'MAIN', line, 'head 2 not attached')
    if (next['cam2-light'] && !after['cam2-exists']) return this.#nak(seq, NAK.NOT_AVAILABLE, 'L2', line, 'head 2 not attached')
    if (next.record === 'pause' && this.#state.record === 'off') return this.#nak(seq, NAK.NOT_AVAILABLE, 'REC', line, 'not recording')
    // snap is an action: the device takes the picture, its value stays 0.
    if (next.snap) next.snap = false
    Object.assign(this.#state, next)
    this.#reply(seq, 'ACK', ['SET', ...pairs.map(([code, token]) => (code === 'SNAP' ? `${code}=1` : `${code}=${token}`))], line)
  }

  #nak(seq: number, code: NakCode, key: string, line: string, text?: string): void {
    this.#reply(seq, 'NAK', [pad(code), key, text ?? NAK_TEXT[code]!], line)
  }

  #reply(seq: number, verb: 'ACK' | 'NAK', args: string[], line?: string): void {
    if (this.fault.kind === 'silent') return
    // A NAK may echo what the host sent (an unknown key or verb): keep it printable, free of '*' and
    // short, so even an answer to garbage is a valid frame.
    let words = args.flatMap((a) => a.split(' ')).filter(Boolean)
    if (verb === 'NAK') {
      words = words.map((w) => w.replace(/[^\x21-\x29\x2b-\x7e]/g, '?').slice(0, 40))
      while (words.join(' ').length > 180) words.pop()
    }
    const reply = encodeFrame(seq, verb, words)
    if (line !== undefined) this.#last = { line, reply }
    if (this.fault.kind === 'corrupt' && !this.#corrupted.has(seq)) {
      // Garble the first answer to this sequence id; the host's retry gets the good one.
      this.#corrupted.add(seq)
      if (this.#corrupted.size > 256) this.#corrupted.clear()
      this.#send(reply.slice(0, -3) + (reply.slice(-3, -1) === '00' ? '01' : '00') + '\n', this.#delay())
      return
    }
    this.#send(reply, this.#delay())
  }

  #delay(): number {
    return this.fault.kind === 'slow' ? (this.fault.delayMs ?? 800) : 0
  }

  #send(text: string, delayMs: number): void {
    const go = () => {
      const t = this.#transport
      if (!t?.isOpen) return
      if (this.fault.kind === 'garbage') t.write(noiseBytes())
      this.emit('frame', 'tx', text.trimEnd())
      t.write(text)
    }
    if (delayMs <= 0) return go()
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      go()
    }, delayMs)
    this.#timers.add(timer)
  }
}

const pad = (n: number) => String(n).padStart(2, '0')
