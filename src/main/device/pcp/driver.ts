import { EventEmitter } from 'node:events'
import type { CameraChanges, CameraKey, CameraValue } from '../../../shared/camera-keys.ts'
import type { ApplyResults, ExtraControl } from '../../camera/controller.ts'
import { DeviceError, type DeviceInfo, type DeviceSession, NOT_SUPPORTED, type SessionEvents, type TrafficEntry } from '../session.ts'
import type { Transport } from '../transport/transport.ts'
import { encodeFrame, LineSplitter, NAK_TEXT, PCP_VERSION, type PcpFrame, parseFrame, parsePairs } from './codec.ts'
import { decodeValue, encodeValue, PCP_KEYS, pcpKeyByCode } from './keys.ts'

export interface PcpSessionOptions {
  /** How long one attempt may wait for its answer (the command is sent twice before failing). */
  answerTimeoutMs?: number
  /** Commands waiting behind the one in flight; more are refused ("busy"). */
  maxQueue?: number
  /** Least time between two resyncs caused by unreadable frames. */
  resyncIntervalMs?: number
  /**
   * How many times the handshake asks ID before giving up (each ask = 2 attempts): an Arduino that
   * resets when the port opens needs about 2 s before it answers.
   */
  idRounds?: number
}

interface Pending {
  verb: string
  args: string[]
  text: string
  seq: number
  attempts: number
  resolve: (f: PcpFrame) => void
  reject: (e: Error) => void
  signal?: AbortSignal
  onAbort?: () => void
}

const ATTEMPTS = 2

/**
 * PCP host side over one open line: a stop-and-wait command queue (one frame in flight, a bounded
 * queue behind it), answer timeouts with one retry under the same sequence id (the device replays
 * its answer instead of applying twice), stale answers ignored, EVT frames turned into changes with
 * gap detection, and a full-state resync after anything unreadable.
 */
export class PcpSession extends EventEmitter<SessionEvents> implements DeviceSession {
  readonly protocol = 'pcp' as const
  readonly reportsState = true
  readonly extras: readonly ExtraControl[] = []
  capabilities: ReadonlySet<CameraKey> = new Set()
  lastRxAt = Date.now()
  #t: Transport
  #splitter = new LineSplitter()
  #queue: Pending[] = []
  #inflight: Pending | undefined
  #timer: NodeJS.Timeout | undefined
  #seq = 0
  #evtSeq: number | undefined
  #known: CameraChanges = {}
  #closed: Error | undefined
  #answerTimeoutMs: number
  #maxQueue: number
  #resyncIntervalMs: number
  #lastResync = 0
  #resyncTimer: NodeJS.Timeout | undefined
  #ready = false
  #idRounds: number
  #onData = (b: Uint8Array) => this.#receive(b)
  #onClose = (reason: Error | null) => this.#lost(reason ?? new DeviceError('disconnected', 'line closed'))

  constructor(transport: Transport, opts: PcpSessionOptions = {}) {
    super()
    this.#t = transport
    this.#answerTimeoutMs = opts.answerTimeoutMs ?? 500
    this.#maxQueue = opts.maxQueue ?? 64
    this.#resyncIntervalMs = opts.resyncIntervalMs ?? 2000
    this.#idRounds = opts.idRounds ?? 1
    transport.once('close', this.#onClose)
    transport.on('data', this.#onData)
  }

  async handshake(signal?: AbortSignal): Promise<DeviceInfo> {
    // A lone newline ends whatever half line the device may hold from before.
    this.#write('\n')
    let id: PcpFrame | undefined
    for (let round = 1; !id; round++) {
      try {
        id = await this.#request('ID', [], signal)
      } catch (err) {
        if ((err as DeviceError).code !== 'timeout' || round >= this.#idRounds) throw err
      }
    }
    const info = Object.fromEntries(parsePairs(id.args.slice(1)) ?? [])
    if (id.args[0] !== 'ID' || info.PCP === undefined) throw new DeviceError('protocol', 'device answered ID without PCP=<version>')
    if (Number(info.PCP) !== PCP_VERSION) throw new DeviceError('protocol', `device speaks PCP ${info.PCP}, Pitwall speaks PCP ${PCP_VERSION}`)
    const caps = new Set<CameraKey>()
    for (const code of (info.KEYS ?? '').split(',')) {
      const k = pcpKeyByCode(code)
      if (k) caps.add(k.key)
    }
    this.capabilities = caps
    const state = await this.readAll(signal)
    this.#ready = true
    const model = info.MODEL ?? 'unknown'
    const firmware = info.FW ?? '?'
    return { protocol: 'pcp', model, firmware, summary: `PCP ${info.PCP}, ${model}, firmware ${firmware}`, state }
  }

  async readAll(signal?: AbortSignal): Promise<CameraChanges> {
    const reply = await this.#request('GET', [], signal)
    const values = this.#decodePairs(reply.args.slice(1), 'GET reply')
    this.#known = { ...values }
    return values
  }

  async apply(changes: CameraChanges, signal?: AbortSignal): Promise<ApplyResults> {
    if (this.#closed) throw new DeviceError('disconnected', `Device not connected (${this.#closed.message})`)
    const results: ApplyResults = {}
    for (const [key, value] of Object.entries(changes) as Array<[CameraKey, CameraValue]>) {
      const k = PCP_KEYS.find((p) => p.key === key)
      if (!k || !this.capabilities.has(key)) {
        results[key] = { ok: false, reason: NOT_SUPPORTED }
        continue
      }
      try {
        const reply = await this.#request('SET', [`${k.code}=${encodeValue(k.def, value)}`], signal)
        const applied = this.#decodePairs(reply.args.slice(1), 'SET reply')
        const v = key === 'snap' ? false : applied[key]
        if (v === undefined) results[key] = { ok: false, reason: 'Device answered without the value' }
        else {
          if (key !== 'snap') (this.#known as Record<string, unknown>)[key] = v
          results[key] = { ok: true, value: key === 'snap' ? true : v }
        }
      } catch (err) {
        if ((err as DeviceError).code === 'disconnected' || (err as DeviceError).code === 'aborted') throw err
        results[key] = { ok: false, reason: (err as Error).message }
      }
    }
    return results
  }

  command(name: string): Promise<unknown> {
    return Promise.reject(new DeviceError('unsupported', `PCP has no extra control '${name}'`))
  }

  async ping(): Promise<void> {
    await this.#request('PING', [])
  }

  close(reason: Error): void {
    if (this.#closed) return
    this.#closed = reason
    this.#t.off('data', this.#onData)
    this.#t.off('close', this.#onClose)
    clearTimeout(this.#timer)
    clearTimeout(this.#resyncTimer)
    const all = [...(this.#inflight ? [this.#inflight] : []), ...this.#queue]
    this.#inflight = undefined
    this.#queue = []
    for (const p of all) this.#settle(p, reason)
  }

  #lost(reason: Error): void {
    if (this.#closed) return
    const err = reason instanceof DeviceError ? reason : new DeviceError('disconnected', `Device disconnected: ${reason.message}`)
    this.close(err)
    this.emit('lost', err)
  }

  #request(verb: string, args: string[], signal?: AbortSignal): Promise<PcpFrame> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new DeviceError('disconnected', `Device not connected (${this.#closed.message})`))
      if (signal?.aborted) return reject(new DeviceError('aborted', 'Command aborted'))
      if (this.#queue.length >= this.#maxQueue) return reject(new DeviceError('busy', `Device busy: ${this.#maxQueue} commands already waiting`))
      const p: Pending = { verb, args, text: '', seq: 0, attempts: 0, resolve, reject, signal }
      if (signal) {
        p.onAbort = () => this.#abort(p)
        signal.addEventListener('abort', p.onAbort, { once: true })
      }
      this.#queue.push(p)
      this.#pump()
    })
  }

  #abort(p: Pending): void {
    const i = this.#queue.indexOf(p)
    if (i >= 0) this.#queue.splice(i, 1)
    if (this.#inflight === p) {
      // Forget it: a late answer carries an old sequence id and is ignored as stale.
      clearTimeout(this.#timer)
      this.#inflight = undefined
      setImmediate(() => this.#pump())
    }
    this.#settle(p, new DeviceError('aborted', 'Command aborted'))
  }

  #settle(p: Pending, err: Error | null, frame?: PcpFrame): void {
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort)
    if (err) p.reject(err)
    else p.resolve(frame!)
  }

  #pump(): void {
    if (this.#inflight || this.#closed) return
    const p = this.#queue.shift()
    if (!p) return
    this.#seq = this.#seq >= 255 ? 1 : this.#seq + 1
    p.seq = this.#seq
    p.text = encodeFrame(p.seq, p.verb, p.args)
    this.#inflight = p
    this.#send(p)
  }

  #send(p: Pending): void {
    p.attempts++
    this.#write(p.text)
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#timeout(p), this.#answerTimeoutMs)
  }

  #timeout(p: Pending): void {
    if (this.#inflight !== p) return
    if (p.attempts < ATTEMPTS) {
      this.#note('error', `no answer to ${p.verb} (seq ${hex(p.seq)}) within ${this.#answerTimeoutMs} ms: sending it again`)
      return this.#send(p)
    }
    this.#inflight = undefined
    this.#settle(p, new DeviceError('timeout', `Device did not answer ${p.verb} within ${this.#answerTimeoutMs * ATTEMPTS} ms`))
    this.#pump()
  }

  #write(text: string): void {
    if (!this.#t.isOpen) return
    try {
      this.#t.write(text)
      if (text.trim()) this.#traffic('tx', text.trimEnd())
    } catch (err) {
      this.#lost(err as Error)
    }
  }

  #receive(bytes: Uint8Array): void {
    for (const ev of this.#splitter.push(bytes)) {
      if (this.#closed) return
      if (ev.kind === 'error') {
        this.#entry('error', ev.raw, `unreadable line (${ev.message}): dropped`)
        this.#scheduleResync()
        continue
      }
      const parsed = parseFrame(ev.text)
      if (!parsed.ok) {
        this.#entry('error', ev.text, `bad frame (${parsed.message}): dropped`)
        this.#scheduleResync()
        continue
      }
      this.lastRxAt = Date.now()
      this.#traffic('rx', ev.text)
      this.#frame(parsed.frame)
    }
  }

  #frame(f: PcpFrame): void {
    if (f.verb === 'EVT') return this.#event(f)
    if (f.verb !== 'ACK' && f.verb !== 'NAK') {
      this.#note('error', `unexpected verb ${f.verb} from device: ignored`)
      return
    }
    const p = this.#inflight
    if (!p) {
      this.#note('error', `answer for seq ${hex(f.seq)} with nothing in flight: ignored (late answer)`)
      return
    }
    if (f.verb === 'NAK' && f.seq === 0) {
      // The device could not read our frame (noise on the line): send it again if we may.
      if (p.attempts < ATTEMPTS) {
        this.#note('note', `device could not read ${p.verb}: sending it again`)
        return this.#send(p)
      }
    } else if (f.seq !== p.seq) {
      this.#note('error', `answer for seq ${hex(f.seq)}, expected ${hex(p.seq)}: ignored (stale)`)
      return
    }
    clearTimeout(this.#timer)
    this.#inflight = undefined
    if (f.verb === 'ACK') this.#settle(p, null, f)
    else {
      const code = Number(f.args[0])
      const key = f.args[1] && f.args[1] !== '-' ? (pcpKeyByCode(f.args[1])?.key ?? f.args[1]) : undefined
      const text = f.args.slice(2).join(' ') || NAK_TEXT[code] || 'refused'
      this.#settle(p, new DeviceError('refused', `Device refused${key ? ` ${key}` : ''}: ${text} (NAK ${f.args[0] ?? '?'})`))
    }
    this.#pump()
  }

  #event(f: PcpFrame): void {
    const pairs = parsePairs(f.args)
    if (!pairs) return this.#note('error', 'EVT with malformed arguments: ignored, resyncing')
    if (pairs.some(([k]) => k === 'BOOT')) {
      this.#evtSeq = f.seq
      this.#note('note', 'device restarted: resyncing')
      this.#resyncNow()
      return
    }
    const expected = this.#evtSeq === undefined ? f.seq : (this.#evtSeq + 1) & 0xff
    this.#evtSeq = f.seq
    const changes = this.#decodePairs(f.args, 'EVT')
    delete changes.snap
    const diff = this.#diff(changes)
    if (Object.keys(diff).length) this.emit('change', diff)
    if (f.seq !== expected) {
      this.#note('error', `event seq ${hex(f.seq)}, expected ${hex(expected)}: events were lost, resyncing`)
      this.#resyncNow()
    }
  }

  #decodePairs(args: string[], what: string): CameraChanges {
    const out: Record<string, unknown> = {}
    for (const [code, token] of parsePairs(args) ?? []) {
      const k = pcpKeyByCode(code)
      if (!k) continue // newer firmware may know more keys
      const v = decodeValue(k.def, token)
      if (v.ok) out[k.key] = v.value
      else this.#note('error', `${what}: ${v.message}, got '${token}': ignored`)
    }
    return out as CameraChanges
  }

  #diff(values: CameraChanges): CameraChanges {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(values)) {
      if ((this.#known as Record<string, unknown>)[k] !== v) out[k] = v
    }
    Object.assign(this.#known, out)
    return out as CameraChanges
  }

  #scheduleResync(): void {
    if (!this.#ready || this.#resyncTimer) return
    const wait = Math.max(0, this.#lastResync + this.#resyncIntervalMs - Date.now())
    this.#resyncTimer = setTimeout(() => {
      this.#resyncTimer = undefined
      this.#resyncNow()
    }, wait)
  }

  #resyncNow(): void {
    if (!this.#ready || this.#closed) return
    this.#lastResync = Date.now()
    this.#request('GET', [])
      .then((reply) => {
        const values = this.#decodePairs(reply.args.slice(1), 'GET reply')
        const diff = this.#diff(values)
        if (Object.keys(diff).length) this.emit('change', diff)
      })
      .catch((err: Error) => this.#note('error', `resync failed: ${err.message}`))
  }

  #traffic(dir: 'tx' | 'rx', raw: string): void {
    if (this.listenerCount('traffic') === 0) return
    this.#entry(dir, raw, describe(raw))
  }

  #note(dir: 'note' | 'error', text: string): void {
    this.#entry(dir, '', text)
  }

  #entry(dir: TrafficEntry['dir'], raw: string, text: string): void {
    if (this.listenerCount('traffic')) this.emit('traffic', { t: Date.now(), dir, raw, text })
  }
}

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0')

/** A frame in words, with v1 key names: "SET brightness=40". */
export function describe(line: string): string {
  const parsed = parseFrame(line)
  if (!parsed.ok) return parsed.message
  const { verb, args, seq } = parsed.frame
  const named = args.map((a) => {
    const eq = a.indexOf('=')
    if (eq <= 0) return a
    const k = pcpKeyByCode(a.slice(0, eq))
    return k ? `${k.key}=${a.slice(eq + 1)}` : a
  })
  if (verb === 'NAK') return `#${hex(seq)} refused: ${NAK_TEXT[Number(args[0])] ?? args[0]}${args[1] && args[1] !== '-' ? ` (${named[1]})` : ''}${args.length > 2 ? ` - ${args.slice(2).join(' ')}` : ''}`
  return `#${hex(seq)} ${verb} ${named.join(' ')}`.trim()
}

