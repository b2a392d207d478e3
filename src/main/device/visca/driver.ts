import { EventEmitter } from 'node:events'
import type { CameraChanges, CameraKey, CameraValue } from '../../../shared/camera-keys.ts'
import type { ApplyResults, ExtraControl } from '../../camera/controller.ts'
import { DeviceError, type DeviceInfo, type DeviceSession, NOT_SUPPORTED, type SessionEvents, type TrafficEntry } from '../session.ts'
import type { Transport } from '../transport/transport.ts'
import { ADDRESS_SET, fromNibbles, IF_CLEAR_BROADCAST, packet, parseReply, salvageReply, toHex, toNibbles, VISCA_ERROR_TEXT, ViscaSplitter, type ViscaReply } from './codec.ts'
import { FOCUS_MAX, FOCUS_MIN, PRESETS, scale, unscale, VISCA_KEY_MAP, VISCA_KEYS, ZOOM_MAX } from './mapping.ts'

export interface ViscaSessionOptions {
  /** Camera address on the chain (1–7). */
  address?: number
  /** How long the camera may take to ACK a command or answer an inquiry. */
  answerTimeoutMs?: number
  /** How long an ACKed command may take to complete (lens moves, presets take longer). */
  completionTimeoutMs?: number
}

type Kind = 'command' | 'inquiry' | 'broadcast'

interface Pending {
  kind: Kind
  bytes: Uint8Array
  label: string
  /** For broadcasts: which reply ends it. */
  expect?: ViscaReply['kind']
  completionMs: number
  retried: boolean
  resolve: (data: number[]) => void
  reject: (e: Error) => void
  timer?: NodeJS.Timeout
  signal?: AbortSignal
  onAbort?: () => void
}

export const VISCA_EXTRAS: readonly ExtraControl[] = [
  { name: 'power', label: 'Power', kind: 'select', options: ['on', 'standby'], description: 'CAM_Power (standby refuses most commands)' },
  { name: 'zoom', label: 'Zoom', kind: 'range', min: 0, max: 100, step: 1, description: 'CAM_Zoom direct: 0 = wide, 100 = optical tele' },
  { name: 'zoom-drive', label: 'Zoom drive', kind: 'select', options: ['tele', 'wide', 'stop'], description: 'CAM_Zoom tele/wide/stop (standard speed)' },
  { name: 'focus-mode', label: 'Focus mode', kind: 'select', options: ['auto', 'manual'], description: 'CAM_Focus auto/manual' },
  { name: 'focus', label: 'Focus', kind: 'range', min: 0, max: 100, step: 1, description: 'CAM_Focus direct (manual focus only): 0 = infinity, 100 = near' },
  { name: 'focus-one-push', label: 'One-push AF', kind: 'action', description: 'One-push auto focus (manual focus only)' },
  { name: 'preset-recall', label: 'Recall preset', kind: 'range', min: 1, max: PRESETS, step: 1, description: 'CAM_Memory recall' },
  { name: 'preset-store', label: 'Store preset', kind: 'range', min: 1, max: PRESETS, step: 1, description: 'CAM_Memory set (stores zoom and focus)' },
]

/**
 * VISCA host side over one serial line (research/anchors.md §4.7): one message waits for its
 * first answer at a time (so ACKs, inquiry answers and errors match unambiguously), ACKed commands
 * wait in their socket for Completion while the next message goes out, at most two commands are
 * in the camera at once (a third would get "buffer full"; if one still does, it is sent again once).
 * Every error reply fails the right command with a readable reason; unknown packets are logged and
 * salvaged when a valid reply ends them.
 */
export class ViscaSession extends EventEmitter<SessionEvents> implements DeviceSession {
  readonly protocol = 'visca' as const
  readonly reportsState = true
  readonly capabilities: ReadonlySet<CameraKey> = new Set(VISCA_KEYS.map((k) => k.key))
  readonly extras = VISCA_EXTRAS
  lastRxAt = Date.now()
  #t: Transport
  #address: number
  #answerMs: number
  #completionMs: number
  #splitter = new ViscaSplitter()
  #queue: Pending[] = []
  #waiting: Pending | undefined
  #sockets = new Map<number, Pending>()
  #known: CameraChanges = {}
  #poll = 0
  #closed: Error | undefined
  #ready = false
  #onData = (b: Uint8Array) => this.#receive(b)
  #onClose = (reason: Error | null) => this.#lost(reason ?? new DeviceError('disconnected', 'line closed'))

  constructor(transport: Transport, opts: ViscaSessionOptions = {}) {
    super()
    this.#t = transport
    this.#address = opts.address ?? 1
    this.#answerMs = opts.answerTimeoutMs ?? 500
    this.#completionMs = opts.completionTimeoutMs ?? 3000
    transport.once('close', this.#onClose)
    transport.on('data', this.#onData)
  }

  async handshake(signal?: AbortSignal): Promise<DeviceInfo> {
    await this.#init(signal)
    const v = await this.#inquiry([0x09, 0x00, 0x02], 'CAM_VersionInq', signal)
    const vendor = v.length >= 7 ? toHex(v.slice(0, 2)).replace(' ', '') : '?'
    const model = v.length >= 7 ? toHex(v.slice(2, 4)).replace(' ', '') : '?'
    const rom = v.length >= 7 ? toHex(v.slice(4, 6)).replace(' ', '') : '?'
    const state = await this.readAll(signal)
    this.#ready = true
    const vendorName = vendor === '0001' ? 'Sony' : vendor === '0020' ? 'Sony FCB' : `vendor ${vendor}`
    return { protocol: 'visca', model: `${vendorName} model ${model}`, firmware: rom, summary: `VISCA camera ${this.#address}, ${vendorName} model ${model}, ROM ${rom}`, state }
  }

  async readAll(signal?: AbortSignal): Promise<CameraChanges> {
    const out: Record<string, unknown> = {}
    for (const k of VISCA_KEYS) {
      try {
        const v = k.decode(await this.#inquiry(k.inquiry, `${k.key}?`, signal))
        if (v !== undefined) out[k.key] = v
      } catch (err) {
        // A camera model without this inquiry answers "syntax error": the key just stays unknown.
        if ((err as DeviceError).code !== 'refused') throw err
      }
    }
    this.#known = { ...(out as CameraChanges) }
    return out as CameraChanges
  }

  async apply(changes: CameraChanges, signal?: AbortSignal): Promise<ApplyResults> {
    if (this.#closed) throw new DeviceError('disconnected', `Device not connected (${this.#closed.message})`)
    const results: ApplyResults = {}
    for (const [key, value] of Object.entries(changes) as Array<[CameraKey, CameraValue]>) {
      const map = VISCA_KEY_MAP.get(key)
      if (!map) {
        results[key] = { ok: false, reason: NOT_SUPPORTED }
        continue
      }
      const messages = map.encode(value)
      if (typeof messages === 'string') {
        results[key] = { ok: false, reason: messages }
        continue
      }
      try {
        for (const m of messages) await this.#command(m, `${key}=${value}`, signal, map.notExecutableHint)
        const read = map.decode(await this.#inquiry(map.inquiry, `${key}?`, signal))
        if (read === undefined) results[key] = { ok: false, reason: 'Camera answered the read-back with an unexpected value' }
        else {
          ;(this.#known as Record<string, unknown>)[key] = read
          results[key] = { ok: true, value: read }
        }
      } catch (err) {
        const code = (err as DeviceError).code
        if (code === 'disconnected' || code === 'aborted') throw err
        results[key] = { ok: false, reason: (err as Error).message }
      }
    }
    return results
  }

  async command(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    const value = args.value
    const num = (min: number, max: number) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new DeviceError('refused', `${name}: value must be an integer from ${min} to ${max}`)
      return value
    }
    const pick = (options: readonly string[]) => {
      if (typeof value !== 'string' || !options.includes(value)) throw new DeviceError('refused', `${name}: value must be one of ${options.join(', ')}`)
      return value
    }
    switch (name) {
      case 'power':
        await this.#command([0x01, 0x04, 0x00, pick(['on', 'standby']) === 'on' ? 0x02 : 0x03], `power ${value}`, signal)
        // cam1-exists follows the power state: the model hears of it like any device-side change.
        this.#emitDiff({ 'cam1-exists': value === 'on' })
        break
      case 'zoom':
        await this.#command([0x01, 0x04, 0x47, ...toNibbles(scale(num(0, 100), 0, ZOOM_MAX), 4)], `zoom ${value}`, signal)
        break
      case 'zoom-drive':
        await this.#command([0x01, 0x04, 0x07, { tele: 0x02, wide: 0x03, stop: 0x00 }[pick(['tele', 'wide', 'stop']) as 'tele']], `zoom ${value}`, signal)
        break
      case 'focus-mode':
        await this.#command([0x01, 0x04, 0x38, pick(['auto', 'manual']) === 'auto' ? 0x02 : 0x03], `focus ${value}`, signal)
        break
      case 'focus':
        await this.#command([0x01, 0x04, 0x48, ...toNibbles(scale(num(0, 100), FOCUS_MIN, FOCUS_MAX), 4)], `focus ${value}`, signal, 'focus needs focus-mode = manual')
        break
      case 'focus-one-push':
        await this.#command([0x01, 0x04, 0x18, 0x01], 'one-push AF', signal, 'one-push AF needs focus-mode = manual')
        break
      case 'preset-recall':
        await this.#command([0x01, 0x04, 0x3f, 0x02, num(1, PRESETS) - 1], `recall preset ${value}`, signal, undefined, 10_000)
        break
      case 'preset-store':
        await this.#command([0x01, 0x04, 0x3f, 0x01, num(1, PRESETS) - 1], `store preset ${value}`, signal)
        break
      case 'status':
        break
      default:
        throw new DeviceError('unsupported', `VISCA has no extra control '${name}'`)
    }
    return this.#extrasStatus(signal)
  }

  /** Power inquiry (liveness) plus one more inquiry in rotation, to notice changes made with the camera's remote. */
  async ping(): Promise<void> {
    const power = VISCA_KEY_MAP.get('cam1-exists')!
    const polled = [power, VISCA_KEYS[1 + (this.#poll++ % (VISCA_KEYS.length - 1))]!]
    for (const k of polled) {
      const v = k.decode(await this.#inquiry(k.inquiry, `${k.key}?`))
      if (v !== undefined && this.#ready) this.#emitDiff({ [k.key]: v } as CameraChanges)
    }
  }

  close(reason: Error): void {
    if (this.#closed) return
    this.#closed = reason
    this.#t.off('data', this.#onData)
    this.#t.off('close', this.#onClose)
    const all = [...(this.#waiting ? [this.#waiting] : []), ...this.#sockets.values(), ...this.#queue]
    this.#waiting = undefined
    this.#sockets.clear()
    this.#queue = []
    for (const p of all) this.#settle(p, reason)
  }

  async #extrasStatus(signal?: AbortSignal): Promise<Record<string, unknown>> {
    const ask = async (m: number[], label: string) => {
      try {
        return await this.#inquiry(m, label, signal)
      } catch (err) {
        if ((err as DeviceError).code === 'refused') return undefined
        throw err
      }
    }
    const zoom = await ask([0x09, 0x04, 0x47], 'zoom?')
    const fm = await ask([0x09, 0x04, 0x38], 'focus mode?')
    const focus = await ask([0x09, 0x04, 0x48], 'focus?')
    const power = await ask([0x09, 0x04, 0x00], 'power?')
    const preset = await ask([0x09, 0x04, 0x3f], 'preset?')
    return {
      power: power?.[0] === 2 ? 'on' : power?.[0] === 3 ? 'standby' : undefined,
      zoom: zoom?.length === 4 ? unscale(fromNibbles(zoom), 0, ZOOM_MAX) : undefined,
      'focus-mode': fm?.[0] === 2 ? 'auto' : fm?.[0] === 3 ? 'manual' : undefined,
      focus: focus?.length === 4 ? unscale(fromNibbles(focus), FOCUS_MIN, FOCUS_MAX) : undefined,
      preset: preset?.length === 1 ? preset[0]! + 1 : undefined,
    }
  }

  async #init(signal?: AbortSignal): Promise<void> {
    // AddressSet numbers the chain; IF_Clear empties every camera's buffers (FCB-EV7500 p.30).
    await this.#enqueue({ kind: 'broadcast', bytes: ADDRESS_SET, label: 'AddressSet', expect: 'address-set' }, signal)
    await this.#enqueue({ kind: 'broadcast', bytes: IF_CLEAR_BROADCAST, label: 'IF_Clear', expect: 'if-clear-broadcast' }, signal)
  }

  #inquiry(message: number[], label: string, signal?: AbortSignal): Promise<number[]> {
    return this.#enqueue({ kind: 'inquiry', bytes: packet(this.#address, message), label }, signal)
  }

  #command(message: number[], label: string, signal?: AbortSignal, hint?: string, completionMs?: number): Promise<number[]> {
    return this.#enqueue({ kind: 'command', bytes: packet(this.#address, message), label, completionMs }, signal).catch((err: DeviceError) => {
      if (err.code === 'refused' && /not executable/.test(err.message)) {
        const why = this.#known['cam1-exists'] === false ? 'the camera is in standby (power it on)' : hint
        throw new DeviceError('refused', why ? `${err.message}: ${why}` : err.message)
      }
      throw err
    })
  }

  #enqueue(p: { kind: Kind; bytes: Uint8Array; label: string; expect?: ViscaReply['kind']; completionMs?: number }, signal?: AbortSignal): Promise<number[]> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new DeviceError('disconnected', `Device not connected (${this.#closed.message})`))
      if (signal?.aborted) return reject(new DeviceError('aborted', 'Command aborted'))
      if (this.#queue.length >= 64) return reject(new DeviceError('busy', 'Device busy: 64 commands already waiting'))
      const item: Pending = { ...p, completionMs: p.completionMs ?? this.#completionMs, retried: false, resolve, reject, signal }
      if (signal) {
        item.onAbort = () => this.#abort(item)
        signal.addEventListener('abort', item.onAbort, { once: true })
      }
      this.#queue.push(item)
      this.#pump()
    })
  }

  #abort(p: Pending): void {
    const i = this.#queue.indexOf(p)
    if (i >= 0) this.#queue.splice(i, 1)
    if (this.#waiting === p) {
      clearTimeout(p.timer)
      this.#waiting = undefined
      setImmediate(() => this.#pump())
    }
    for (const [s, q] of this.#sockets) {
      if (q === p) {
        clearTimeout(p.timer)
        this.#sockets.delete(s)
        // Tell the camera too, so its socket frees up (answer: canceled or no socket).
        this.#write(packet(this.#address, [0x20 | s]), `CommandCancel socket ${s}`)
      }
    }
    this.#settle(p, new DeviceError('aborted', 'Command aborted'))
  }

  #settle(p: Pending, err: Error | null, data: number[] = []): void {
    clearTimeout(p.timer)
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort)
    if (err) p.reject(err)
    else p.resolve(data)
  }

  #pump(): void {
    if (this.#waiting || this.#closed) return
    const head = this.#queue[0]
    if (!head) return
    if (head.kind === 'command' && this.#sockets.size >= 2) return // both sockets busy: wait for a Completion
    this.#queue.shift()
    this.#waiting = head
    this.#write(head.bytes, head.label)
    head.timer = setTimeout(() => this.#answerTimeout(head), this.#answerMs)
  }

  #answerTimeout(p: Pending): void {
    if (this.#waiting !== p) return
    this.#waiting = undefined
    this.#settle(p, new DeviceError('timeout', `Camera did not answer ${p.label} within ${this.#answerMs} ms`))
    this.#pump()
  }

  #write(bytes: Uint8Array, label: string): void {
    if (!this.#t.isOpen) return
    try {
      this.#t.write(bytes)
      this.#entry('tx', toHex(bytes), label)
    } catch (err) {
      this.#lost(err as Error)
    }
  }

  #lost(reason: Error): void {
    if (this.#closed) return
    const err = reason instanceof DeviceError ? reason : new DeviceError('disconnected', `Device disconnected: ${reason.message}`)
    this.close(err)
    this.emit('lost', err)
  }

  #receive(bytes: Uint8Array): void {
    for (const ev of this.#splitter.push(bytes)) {
      if (this.#closed) return
      if (ev.kind === 'error') {
        this.#entry('error', toHex(ev.bytes), ev.message)
        continue
      }
      let reply = parseReply(ev.bytes)
      if (reply.kind === 'unknown') {
        const s = salvageReply(ev.bytes)
        if (!s) {
          this.#entry('error', toHex(ev.bytes), 'unknown packet: ignored')
          continue
        }
        this.#entry('error', toHex(ev.bytes.slice(0, s.dropped)), `${s.dropped} noise byte(s) before a reply dropped`)
        reply = s.reply
      }
      this.lastRxAt = Date.now()
      const about = this.#labelFor(reply)
      this.#entry('rx', toHex(ev.bytes), about ? `${describeReply(reply)} (${about})` : describeReply(reply))
      this.#reply(reply)
    }
  }

  /** Which message a reply is about, for the traffic log. */
  #labelFor(r: ViscaReply): string | undefined {
    if (r.kind === 'ack' || (r.kind === 'completion' && r.socket === 0)) return this.#waiting?.label
    if (r.kind === 'completion' || r.kind === 'error') return (r.socket ? this.#sockets.get(r.socket)?.label : undefined) ?? this.#waiting?.label
    return undefined
  }

  #reply(r: ViscaReply): void {
    const w = this.#waiting
    switch (r.kind) {
      case 'address-set':
      case 'if-clear-broadcast':
        if (w?.kind === 'broadcast' && w.expect === r.kind) return this.#done(w, [])
        return
      case 'network-change':
        this.#entry('note', '', 'camera announced a network change (power-up or chain change): re-initialising')
        this.#reinit()
        return
      case 'unknown':
        return
    }
    if (r.from !== this.#address) return this.#entry('note', '', `reply from camera ${r.from}, we talk to ${this.#address}: ignored`)
    switch (r.kind) {
      case 'ack': {
        if (w?.kind !== 'command') return this.#entry('error', '', `ACK for socket ${r.socket} with no command waiting: ignored`)
        clearTimeout(w.timer)
        this.#waiting = undefined
        const stale = this.#sockets.get(r.socket)
        if (stale) this.#settle(stale, new DeviceError('protocol', `Camera reused socket ${r.socket} before completing ${stale.label}`))
        this.#sockets.set(r.socket, w)
        w.timer = setTimeout(() => this.#completionTimeout(r.socket, w), w.completionMs)
        return this.#pump()
      }
      case 'completion': {
        if (r.socket === 0) {
          if (w && w.kind !== 'command') return this.#done(w, r.data)
          return this.#entry('error', '', 'inquiry answer with no inquiry waiting: ignored')
        }
        const p = this.#sockets.get(r.socket)
        if (!p) return this.#entry('error', '', `Completion for socket ${r.socket}, which holds no command: ignored`)
        this.#sockets.delete(r.socket)
        this.#settle(p, null, r.data)
        return this.#pump()
      }
      case 'error': {
        const text = VISCA_ERROR_TEXT[r.code] ?? `error ${r.code.toString(16)}`
        const inSocket = r.socket ? this.#sockets.get(r.socket) : undefined
        if (inSocket && (r.code === 0x41 || r.code === 0x04)) {
          this.#sockets.delete(r.socket)
          this.#settle(inSocket, new DeviceError('refused', `${text} (${inSocket.label})`))
          return this.#pump()
        }
        if (!w) return this.#entry('error', '', `${text} with nothing waiting: ignored`)
        if (r.code === 0x03 && !w.retried) {
          // Buffer full: the camera is still busy with earlier commands; send this one again shortly.
          clearTimeout(w.timer)
          w.retried = true
          this.#waiting = undefined
          this.#queue.unshift(w)
          setTimeout(() => this.#pump(), 50)
          return
        }
        clearTimeout(w.timer)
        this.#waiting = undefined
        const why = r.code === 0x02 ? `${text}: the camera does not know ${w.label} or its value` : `${text} (${w.label})`
        this.#settle(w, new DeviceError(r.code === 0x03 ? 'busy' : 'refused', why))
        return this.#pump()
      }
    }
  }

  #done(w: Pending, data: number[]): void {
    clearTimeout(w.timer)
    this.#waiting = undefined
    this.#settle(w, null, data)
    this.#pump()
  }

  #completionTimeout(socket: number, p: Pending): void {
    if (this.#sockets.get(socket) !== p) return
    this.#sockets.delete(socket)
    this.#settle(p, new DeviceError('timeout', `Camera did not complete ${p.label} within ${p.completionMs} ms`))
    this.#pump()
  }

  #reinit(): void {
    if (!this.#ready) return
    const before = { ...this.#known }
    this.#init()
      .then(() => this.readAll())
      .then((values) => {
        this.#known = before
        this.#emitDiff(values)
      })
      .catch((err: Error) => this.#entry('error', '', `re-initialising failed: ${err.message}`))
  }

  #emitDiff(values: CameraChanges): void {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(values)) if ((this.#known as Record<string, unknown>)[k] !== v) out[k] = v
    Object.assign(this.#known, out)
    if (Object.keys(out).length) this.emit('change', out as CameraChanges)
  }

  #entry(dir: TrafficEntry['dir'], raw: string, text: string): void {
    if (this.listenerCount('traffic')) this.emit('traffic', { t: Date.now(), dir, raw, text })
  }
}

export function describeReply(r: ViscaReply): string {
  switch (r.kind) {
    case 'ack':
      return `ACK socket ${r.socket}`
    case 'completion':
      return r.socket ? `Completion socket ${r.socket}` : r.data.length ? `answer ${toHex(r.data)}` : 'Completion'
    case 'error':
      return `${VISCA_ERROR_TEXT[r.code] ?? 'error'}${r.socket ? ` (socket ${r.socket})` : ''}`
    case 'network-change':
      return 'network change'
    case 'address-set':
      return `AddressSet: next address ${r.next}`
    case 'if-clear-broadcast':
      return 'IF_Clear done'
    case 'unknown':
      return 'unknown'
  }
}
