import { EventEmitter } from 'node:events'
import { CAMERA_KEY_NAMES, type CameraChanges, type CameraKey } from '../../shared/camera-keys.ts'
import type { ApplyResults, CameraController, CameraControllerEvents, ExtraControl, LinkStatus } from '../camera/controller.ts'
import type { DeviceStatus } from '../../shared/ui-api/camera.ts'
import type { Logger } from '../log/index.ts'
import { PcpEmulator } from './emulators/pcp-emulator.ts'
import { UsbHotplug, type UsbLike } from './hotplug.ts'
import { PCP_DEFAULT_BAUD } from './pcp/codec.ts'
import { PcpSession } from './pcp/driver.ts'
import { DeviceError, type DeviceInfo, type DeviceSession, type Protocol, type TrafficEntry } from './session.ts'
import { type DeviceSource, formatDeviceSource, KNOWN_USB_IDS, matchesUsbId, parseDeviceSource } from './source.ts'
import { TrafficLog } from './traffic.ts'
import { memoryPair } from './transport/memory.ts'
import { type BindingInterface, listSerialPorts, SerialTransport } from './transport/serial.ts'
import type { Transport } from './transport/transport.ts'
import { VISCA_DEFAULT_BAUD } from './visca/codec.ts'
import { ViscaSession } from './visca/driver.ts'
import { VISCA_KEYS } from './visca/mapping.ts'

export interface DeviceTimings {
  /** Send a heartbeat when the line has been quiet this long. */
  pingIntervalMs: number
  /** Declare the device gone when nothing valid arrived for this long (unplug detection ≤ 2 s). */
  deadAfterMs: number
  /** Per-attempt answer timeout of the drivers. */
  answerTimeoutMs: number
  /** Whole identify + full read must finish within this. */
  handshakeTimeoutMs: number
  backoffMinMs: number
  backoffMaxMs: number
}

export const DEFAULT_TIMINGS: DeviceTimings = { pingIntervalMs: 400, deadAfterMs: 1500, answerTimeoutMs: 500, handshakeTimeoutMs: 4000, backoffMinMs: 250, backoffMaxMs: 5000 }

export interface DeviceControllerOptions {
  source: string | DeviceSource
  log: Logger
  /** Extra "vvvv:pppp" ids for `auto` (config.device.usbIds). */
  usbIds?: readonly string[]
  /** serialport binding (tests inject @serialport/binding-mock); the platform's otherwise. */
  binding?: BindingInterface
  /** USB hotplug rescans (off in tests that do not want libusb). */
  hotplug?: boolean
  /** node-usb loader (tests pass a fake emitter). */
  usb?: () => Promise<UsbLike>
  hotplugDebounceMs?: number
  timings?: Partial<DeviceTimings>
  trafficSize?: number
  /** When > 0, the simulated controller changes an image value by itself this often (config.camera.simDriftMs). */
  simDriftMs?: number
}

export type DeviceStatusInfo = DeviceStatus

/** Events beyond the CameraController's (kept apart so the controller's event map stays the interface's). */
export interface DeviceSideEvents {
  status: [status: DeviceStatusInfo]
}

interface Opened {
  transport: Transport
  session: DeviceSession
  info: DeviceInfo
  port: string
}

const ALL_KEYS: ReadonlySet<CameraKey> = new Set(CAMERA_KEY_NAMES)
const VISCA_CAPS: ReadonlySet<CameraKey> = new Set(VISCA_KEYS.map((k) => k.key))

/**
 * The CameraController the camera model talks to, whatever is attached: it owns the line (sim
 * emulator in-process, a serial port, or whatever `auto` finds), runs the driver for it, watches it
 * with a heartbeat, and when it goes away fails what was in flight, says so on the link, and
 * reopens with backoff (sooner when USB hotplug reports a change), then resyncs from the device.
 * One object for the life of the app: the source can be switched at runtime.
 */
export class DeviceController extends EventEmitter<CameraControllerEvents> implements CameraController {
  readonly traffic: TrafficLog
  /** Status changes for the Device page and /api/status. */
  readonly side = new EventEmitter<DeviceSideEvents>()
  #source: DeviceSource
  #log: Logger
  #usbIds: readonly string[]
  #binding: BindingInterface | undefined
  #t: DeviceTimings
  #hotplug: UsbHotplug | undefined
  #link: LinkStatus = { state: 'disconnected', detail: 'not opened' }
  #open: Opened | undefined
  #caps: ReadonlySet<CameraKey>
  #extras: readonly ExtraControl[] = []
  #protocol: Protocol | null = null
  #running = false
  #gen = 0
  #wake: (() => void) | undefined
  #watchdog: NodeJS.Timeout | undefined
  #pinging = false
  #reconnects = 0
  #lastError: string | null = null
  #sim: PcpEmulator | undefined
  #simPlugged = true
  #loop: Promise<void> | undefined
  /** Aborts the handshake under way, so close() never waits for a silent device. */
  #attempt: AbortController | undefined
  #lastLogged = ''
  #simDriftMs: number
  #drift: NodeJS.Timeout | undefined

  constructor(opts: DeviceControllerOptions) {
    super()
    this.#source = typeof opts.source === 'string' ? parseDeviceSource(opts.source) : opts.source
    this.#log = opts.log
    this.#usbIds = [...KNOWN_USB_IDS, ...(opts.usbIds ?? [])]
    this.#binding = opts.binding
    this.#t = { ...DEFAULT_TIMINGS, ...opts.timings }
    this.traffic = new TrafficLog(opts.trafficSize ?? 300)
    if (opts.hotplug ?? true) this.#hotplug = new UsbHotplug(this.#log, opts.hotplugDebounceMs, opts.usb)
    this.#caps = this.#expectedCaps()
    this.#simDriftMs = opts.simDriftMs ?? 0
  }

  get kind(): string {
    return this.#protocol ?? (this.#source.kind === 'sim' ? 'pcp' : this.#source.kind)
  }

  get source(): DeviceSource {
    return this.#source
  }

  get link(): LinkStatus {
    return this.#link
  }

  /**
   * Hardware keeps its settings (the model reads them back); the simulator starts from factory
   * values each run, so the model restores the stored settings to it instead.
   */
  get reportsState(): boolean {
    return this.#source.kind !== 'sim'
  }

  get capabilities(): ReadonlySet<CameraKey> {
    return this.#caps
  }

  get extras(): readonly ExtraControl[] {
    return this.#extras
  }

  /** The in-process PCP emulator behind `sim` (created on first use; keeps its state across reconnects). */
  get simDevice(): PcpEmulator {
    return (this.#sim ??= new PcpEmulator({ model: 'pitwall-sim' }))
  }

  status(): DeviceStatusInfo {
    const o = this.#open
    return {
      source: formatDeviceSource(this.#source),
      protocol: this.#protocol,
      port: o?.port ?? null,
      link: this.#link,
      device: o ? { model: o.info.model, firmware: o.info.firmware } : null,
      reconnects: this.#reconnects,
      lastError: this.#lastError,
      hotplug: this.#hotplug?.active ?? false,
      sim: this.#source.kind === 'sim' ? { attached: this.#simPlugged, fault: this.simDevice.fault.kind } : null,
    }
  }

  async connect(): Promise<void> {
    if (this.#running) return
    this.#running = true
    if (this.#hotplug && this.#source.kind !== 'sim') await this.#hotplug.start((what) => this.#onHotplug(what))
    const first = new Promise<void>((resolve) => {
      this.#loop = this.#run(++this.#gen, resolve)
    })
    this.#watchdog = setInterval(() => this.#tick(), 100)
    this.#watchdog.unref()
    if (this.#simDriftMs > 0) {
      // A demo of device-originated changes: someone turning the brightness knob on the simulator.
      this.#drift = setInterval(() => {
        if (this.#source.kind === 'sim') this.simDevice.setLocal({ brightness: Math.floor(Math.random() * 101) })
      }, this.#simDriftMs)
      this.#drift.unref()
    }
    await first
  }

  async close(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#gen++
    clearInterval(this.#watchdog)
    clearInterval(this.#drift)
    this.#hotplug?.stop()
    this.#dropLine(new DeviceError('disconnected', 'Device link closed'))
    this.#attempt?.abort()
    this.#wake?.()
    await this.#loop
    this.#sim?.stop()
    this.#setLink({ state: 'disconnected', detail: 'closed' })
  }

  /** Switches to another source at runtime (Device page, `device.setSource`). */
  async setSource(spec: string | DeviceSource): Promise<void> {
    const next = typeof spec === 'string' ? parseDeviceSource(spec) : spec
    const wasRunning = this.#running
    await this.close()
    this.#source = next
    this.#protocol = null
    this.#caps = this.#expectedCaps()
    this.#extras = []
    this.#reconnects = 0
    this.#lastError = null
    this.#simPlugged = true
    this.traffic.push({ t: Date.now(), dir: 'note', raw: '', text: `source set to ${formatDeviceSource(next)}` })
    if (wasRunning) await this.connect()
  }

  /** Pulls / plugs the simulated controller's cable (sim source only). */
  setSimPlugged(plugged: boolean): void {
    this.#simPlugged = plugged
    if (!plugged) this.#sim?.unplug()
    else this.#wake?.()
  }

  // async: "not connected" is a rejection, never a synchronous throw.
  async readAll(signal?: AbortSignal): Promise<CameraChanges> {
    return this.#session().readAll(signal)
  }

  async apply(changes: CameraChanges, signal?: AbortSignal): Promise<ApplyResults> {
    return this.#session().apply(changes, signal)
  }

  async command(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    return this.#session().command(name, args, signal)
  }

  #session(): DeviceSession {
    const o = this.#open
    if (!o) throw new DeviceError('disconnected', `Device not connected (${this.#link.detail})`)
    return o.session
  }

  #expectedCaps(): ReadonlySet<CameraKey> {
    return this.#source.kind === 'visca' ? VISCA_CAPS : ALL_KEYS
  }

  async #run(gen: number, firstDone: () => void): Promise<void> {
    let failures = 0
    let first = true
    while (this.#running && gen === this.#gen) {
      // Retries after a failure stay "disconnected" with the last reason (no flapping link events
      // every few seconds while nothing is attached); a new reason or success changes the link.
      if (failures === 0) this.#setLink({ state: 'connecting', detail: this.#connectingDetail() })
      let lost: Promise<Error> | undefined
      try {
        const opened = await this.#openLine()
        if (!this.#running || gen !== this.#gen) {
          opened.session.close(new DeviceError('disconnected', 'Device link closed'))
          opened.transport.close()
          break
        }
        lost = this.#attach(opened)
        failures = 0
      } catch (err) {
        failures++
        this.#lastError = (err as Error).message
        this.#setLink({ state: 'disconnected', detail: (err as Error).message })
      }
      if (first) {
        first = false
        firstDone()
      }
      if (lost) {
        const reason = await lost
        this.#dropLine(reason) // the session ended itself (close event): forget it and its port
        if (!this.#running || gen !== this.#gen) break
        this.#reconnects++
        this.#lastError = reason.message
        this.#setLink({ state: 'disconnected', detail: reason.message })
        failures = 1
      }
      await this.#sleep(Math.min(this.#t.backoffMaxMs, this.#t.backoffMinMs * 2 ** Math.max(0, failures - 1)))
    }
    if (first) firstDone()
  }

  #connectingDetail(): string {
    const s = this.#source
    return s.kind === 'sim' ? 'simulated controller' : s.kind === 'auto' ? 'searching for a controller' : `opening ${s.path}@${s.baudRate}`
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        resolve()
      }
      this.#wake = () => {
        this.#wake = undefined
        done()
      }
    })
  }

  #onHotplug(what: 'attach' | 'detach'): void {
    this.traffic.push({ t: Date.now(), dir: 'note', raw: '', text: `USB ${what}: rescanning` })
    // A detach of our port shows up as a close/heartbeat loss; an attach may bring it back now.
    if (!this.#open) this.#wake?.()
  }

  /** Opens the line for the current source and runs the driver's handshake. */
  async #openLine(): Promise<Opened> {
    const s = this.#source
    switch (s.kind) {
      case 'sim': {
        if (!this.#simPlugged) throw new DeviceError('disconnected', 'simulated controller unplugged')
        const [host, dev] = memoryPair('sim')
        this.simDevice.attach(dev)
        return this.#handshake(host, 'pcp', 'sim (in-process PCP emulator)')
      }
      case 'pcp':
      case 'visca': {
        const transport = await this.#openSerial(s.path, s.baudRate)
        return this.#handshake(transport, s.kind, transport.description)
      }
      case 'auto':
        return this.#autoDetect()
    }
  }

  async #openSerial(path: string, baudRate: number): Promise<Transport> {
    // Opening can block on a wedged driver: give up after a while (and close the port if it opens late).
    const opening = SerialTransport.open({ path, baudRate, binding: this.#binding })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`open took longer than ${this.#t.handshakeTimeoutMs} ms`)), this.#t.handshakeTimeoutMs)
    })
    try {
      return await Promise.race([opening, timeout])
    } catch (err) {
      opening.then((t) => t.close(), () => undefined)
      throw new DeviceError('disconnected', `cannot open ${path}: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
  }

  async #autoDetect(): Promise<Opened> {
    let ports
    try {
      ports = await listSerialPorts(this.#binding)
    } catch (err) {
      throw new DeviceError('disconnected', `cannot list serial ports: ${(err as Error).message}`)
    }
    const candidates = ports.filter((p) => matchesUsbId(p, this.#usbIds))
    if (candidates.length === 0) throw new DeviceError('disconnected', `no controller found (${ports.length} serial port(s), none with a known USB id)`)
    const tried: string[] = []
    for (const p of candidates) {
      for (const [protocol, baud] of [
        ['pcp', PCP_DEFAULT_BAUD],
        ['visca', VISCA_DEFAULT_BAUD],
      ] as const) {
        let transport: Transport | undefined
        try {
          transport = await this.#openSerial(p.path, baud)
          return await this.#handshake(transport, protocol, transport.description, Math.min(this.#t.answerTimeoutMs, 300), true)
        } catch (err) {
          transport?.close()
          tried.push(`${p.path} ${protocol}: ${(err as Error).message}`)
        }
      }
    }
    throw new DeviceError('disconnected', `no controller answered on ${candidates.length} port(s): ${tried.join('; ')}`)
  }

  async #handshake(transport: Transport, protocol: Protocol, port: string, answerTimeoutMs = this.#t.answerTimeoutMs, probing = false): Promise<Opened> {
    // A named PCP port may be an Arduino resetting on open: ask ID for up to ~3 s. Probing (auto) asks once.
    const session: DeviceSession = protocol === 'pcp' ? new PcpSession(transport, { answerTimeoutMs, idRounds: probing ? 1 : 3 }) : new ViscaSession(transport, { answerTimeoutMs })
    const onTraffic = (e: TrafficEntry) => this.traffic.push(e)
    session.on('traffic', onTraffic)
    const ac = new AbortController()
    this.#attempt = ac
    const timer = setTimeout(() => ac.abort(), this.#t.handshakeTimeoutMs)
    try {
      const info = await session.handshake(ac.signal)
      return { transport, session, info, port }
    } catch (err) {
      session.close(err as Error)
      transport.close()
      const e = err as DeviceError
      throw new DeviceError(e.code ?? 'protocol', `${port}: no ${protocol.toUpperCase()} device answered (${e.code === 'aborted' ? `handshake took over ${this.#t.handshakeTimeoutMs} ms` : e.message})`)
    } finally {
      clearTimeout(timer)
      if (this.#attempt === ac) this.#attempt = undefined
    }
  }

  /** Makes an opened line the current one; resolves with the reason when it is lost. */
  #attach(o: Opened): Promise<Error> {
    this.#open = o
    this.#protocol = o.session.protocol
    this.#caps = o.session.capabilities
    this.#extras = o.session.extras
    const lost = new Promise<Error>((resolve) => {
      o.session.once('lost', resolve)
      this.#resolveLost = resolve
    })
    o.session.on('change', (c) => this.emit('change', c))
    this.#lastError = null
    // The model answers 'connected' with readAll(): the device is the truth after a (re)connect.
    this.#setLink({ state: 'connected', detail: `${o.info.summary} on ${o.port}` })
    return lost
  }

  #resolveLost: ((e: Error) => void) | undefined

  #dropLine(reason: Error): void {
    const o = this.#open
    if (!o) return
    this.#open = undefined
    o.session.removeAllListeners('change')
    o.session.close(reason)
    o.transport.close()
    this.#resolveLost?.(reason)
    this.#resolveLost = undefined
  }

  /** Heartbeat and watchdog: a ping when quiet, and "gone" when nothing valid arrived in time. */
  #tick(): void {
    const o = this.#open
    if (!o) return
    const quiet = Date.now() - o.session.lastRxAt
    if (quiet > this.#t.deadAfterMs) {
      this.#log.warn({ port: o.port, quietMs: quiet }, 'device stopped answering')
      this.#dropLine(new DeviceError('timeout', `Device stopped answering (nothing for ${this.#t.deadAfterMs} ms)`))
      return
    }
    if (quiet >= this.#t.pingIntervalMs && !this.#pinging) {
      this.#pinging = true
      o.session
        .ping()
        .catch(() => undefined)
        .finally(() => (this.#pinging = false))
    }
  }

  #setLink(l: LinkStatus): void {
    if (l.state === this.#link.state && l.detail === this.#link.detail) return
    this.#link = l
    // Retries alternate connecting/disconnected every few seconds while nothing is attached: log a
    // settled state once, the attempts at debug.
    const settled = `${l.state} ${l.detail}`
    if (l.state === 'connecting') this.#log.debug({ link: l.state, detail: l.detail }, 'device link')
    else if (settled !== this.#lastLogged) {
      this.#lastLogged = settled
      this.#log.info({ link: l.state, detail: l.detail }, 'device link')
    }
    this.traffic.push({ t: Date.now(), dir: 'note', raw: '', text: `link ${l.state}: ${l.detail}` })
    this.emit('link', l)
    this.side.emit('status', this.status())
  }
}
