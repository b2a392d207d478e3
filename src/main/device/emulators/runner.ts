import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { type CameraState, cameraKeyDef } from '../../../shared/camera-keys.ts'
import { PCP_DEFAULT_BAUD } from '../pcp/codec.ts'
import { decodeValue, pcpKeyByCode } from '../pcp/keys.ts'
import { type BindingInterface, SerialTransport } from '../transport/serial.ts'
import type { Transport } from '../transport/transport.ts'
import { VISCA_DEFAULT_BAUD } from '../visca/codec.ts'
import { FAULT_HELP, parseFault } from './faults.ts'
import { PCP_BUTTONS, type PcpButton, PcpEmulator } from './pcp-emulator.ts'
import { type ViscaCameraState, ViscaEmulator } from './visca-emulator.ts'

// Runs an emulator on a serial port (a socat PTY end, or a real port wired to a second adapter)
// and takes control commands: `pitwall emulate` reads them from stdin, tests may call `control()`.

export interface EmulatorRunOptions {
  protocol: 'pcp' | 'visca'
  port: string
  baudRate?: number
  binding?: BindingInterface
  /** Where events go (one JSON object per call). */
  out: (event: Record<string, unknown>) => void
  /** Log every frame (rx/tx) as an event. */
  frames?: boolean
}

export const CONTROL_HELP = `Control commands (one per line):
  press BUTTON          pcp: ${PCP_BUTTONS.join(' | ')}
  set KEY=VALUE ...     a change made on the device itself (pcp: v1 key or PCP code; visca: state field, e.g. wbMode=1)
  fault KIND            ${FAULT_HELP}
  unplug | plug         close the port / open it again
  reboot                pcp: power cycle (BOOT event); visca: power cycle (network change)
  state                 print the device state
  quit`

export class EmulatorRunner {
  readonly protocol: 'pcp' | 'visca'
  readonly pcp: PcpEmulator | undefined
  readonly visca: ViscaEmulator | undefined
  #opts: EmulatorRunOptions
  #transport: Transport | undefined
  #wantOpen = true
  #retry: NodeJS.Timeout | undefined
  #stopped = false

  constructor(opts: EmulatorRunOptions) {
    this.#opts = opts
    this.protocol = opts.protocol
    if (opts.protocol === 'pcp') this.pcp = new PcpEmulator()
    else this.visca = new ViscaEmulator()
    const emu = this.pcp ?? this.visca!
    if (opts.frames) emu.on('frame', (dir: 'rx' | 'tx', frame: string) => opts.out({ event: dir, frame }))
  }

  /** Opens the port (and keeps reopening it while it is gone, e.g. a PTY pair being recreated). */
  async start(): Promise<void> {
    await this.#open()
  }

  async #open(): Promise<void> {
    if (this.#stopped || !this.#wantOpen || this.#transport?.isOpen) return
    const baudRate = this.#opts.baudRate ?? (this.protocol === 'pcp' ? PCP_DEFAULT_BAUD : VISCA_DEFAULT_BAUD)
    try {
      const t = await SerialTransport.open({ path: this.#opts.port, baudRate, binding: this.#opts.binding })
      if (this.#stopped || !this.#wantOpen) return t.close()
      this.#transport = t
      t.once('close', (reason) => {
        this.#opts.out({ event: 'port', state: 'closed', reason: reason?.message ?? null })
        this.#scheduleOpen()
      })
      if (this.pcp) this.pcp.attach(t, { boot: true })
      else this.visca!.attach(t)
      this.#opts.out({ event: 'port', state: 'open', port: t.description })
    } catch (err) {
      this.#opts.out({ event: 'port', state: 'unavailable', reason: (err as Error).message })
      this.#scheduleOpen()
    }
  }

  #scheduleOpen(): void {
    if (this.#stopped || !this.#wantOpen) return
    clearTimeout(this.#retry)
    this.#retry = setTimeout(() => void this.#open(), 200)
  }

  /** Runs one control command; returns what to print. */
  async control(line: string): Promise<Record<string, unknown>> {
    const [cmd, ...args] = line.trim().split(/\s+/)
    try {
      switch (cmd) {
        case 'press': {
          if (!this.pcp) return err('press is for the pcp emulator (VISCA cameras change through set)')
          if (!(PCP_BUTTONS as readonly string[]).includes(args[0] ?? '')) return err(`press: button must be one of ${PCP_BUTTONS.join(', ')}`)
          return { event: 'ok', cmd, changes: this.pcp.press(args[0] as PcpButton) }
        }
        case 'set':
          return this.#set(args)
        case 'fault': {
          const f = parseFault(args)
          if (typeof f === 'string') return err(f)
          ;(this.pcp ?? this.visca!).fault = f
          return { event: 'ok', cmd, fault: f }
        }
        case 'unplug':
          this.#wantOpen = false
          clearTimeout(this.#retry)
          this.#transport?.close()
          return { event: 'ok', cmd }
        case 'plug':
          this.#wantOpen = true
          await this.#open()
          return { event: 'ok', cmd }
        case 'reboot':
          if (this.pcp) this.pcp.reboot()
          else this.visca!.powerCycle()
          return { event: 'ok', cmd }
        case 'state':
          return { event: 'state', state: this.pcp ? this.pcp.state : this.visca!.state }
        case 'help':
          return { event: 'help', text: CONTROL_HELP }
        case 'quit':
          await this.stop()
          return { event: 'ok', cmd }
        case undefined:
        case '':
          return { event: 'noop' }
        default:
          return err(`unknown command '${cmd}' (try help)`)
      }
    } catch (e) {
      return err((e as Error).message)
    }
  }

  #set(args: string[]): Record<string, unknown> {
    const changes: Record<string, unknown> = {}
    for (const a of args) {
      const eq = a.indexOf('=')
      if (eq <= 0) return err(`set: '${a}' is not KEY=VALUE`)
      const [k, v] = [a.slice(0, eq), a.slice(eq + 1)]
      if (this.pcp) {
        const def = cameraKeyDef(k) ?? pcpKeyByCode(k)?.def
        if (!def) return err(`set: unknown key '${k}'`)
        const token = def.type === 'boolean' ? (v === 'true' ? '1' : v === 'false' ? '0' : v) : v
        const d = decodeValue(def, token)
        if (!d.ok) return err(`set: ${d.message}`)
        changes[def.key] = d.value
      } else {
        const state = this.visca!.state as unknown as Record<string, unknown>
        if (!(k in state)) return err(`set: unknown field '${k}' (fields: ${Object.keys(state).join(', ')})`)
        const n = Number(v)
        changes[k] = typeof state[k] === 'boolean' ? v === 'true' : n
        if (typeof state[k] === 'number' && !Number.isInteger(n)) return err(`set: ${k} must be an integer`)
      }
    }
    if (this.pcp) this.pcp.setLocal(changes as Partial<CameraState>)
    else this.visca!.remote(changes as Partial<ViscaCameraState>)
    return { event: 'ok', cmd: 'set', changes }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#retry)
    ;(this.pcp ?? this.visca)!.stop()
    this.#transport?.close()
  }

  /** Reads control commands from a stream until it ends or `quit`. */
  async serve(input: Readable): Promise<void> {
    const rl = createInterface({ input })
    for await (const line of rl) {
      const r = await this.control(line)
      if (r.event !== 'noop') this.#opts.out(r)
      if (this.#stopped) break
    }
    rl.close()
  }
}

const err = (message: string) => ({ event: 'error', message })
