import { connect, type Socket } from 'node:net'
import { LineSplitter } from './parser.ts'

export interface RMonitorClientOptions {
  host: string
  port: number
  /** Reconnect delays in ms; the last one repeats. */
  backoffMs?: number[]
  /** A silent connection (no heartbeat) is dropped and redialled after this long. */
  idleTimeoutMs?: number
  onLine(line: string): void
  /** One TCP read is done: close the batch. */
  onChunkEnd(): void
  onBroken(line: string, reason: string): void
  onState(state: 'connecting' | 'live' | 'error', detail?: string): void
}

export const DEFAULT_RMONITOR_PORT = 50000

/** TCP client of an Orbits-style RMonitor server. Reconnects with backoff for as long as it runs. */
export class RMonitorClient {
  readonly #opts: Required<Pick<RMonitorClientOptions, 'backoffMs' | 'idleTimeoutMs'>> & RMonitorClientOptions
  #socket: Socket | null = null
  #timer: NodeJS.Timeout | null = null
  #attempt = 0
  #stopped = true
  connects = 0

  constructor(opts: RMonitorClientOptions) {
    this.#opts = { backoffMs: [500, 1000, 2000, 5000, 10_000], idleTimeoutMs: 30_000, ...opts }
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#dial()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#socket?.destroy()
    this.#socket = null
  }

  #dial(): void {
    if (this.#stopped) return
    const o = this.#opts
    o.onState('connecting', `${o.host}:${o.port}`)
    const socket = connect({ host: o.host, port: o.port })
    this.#socket = socket
    const splitter = new LineSplitter(o.onLine, () => o.onBroken('', 'line longer than the limit'))
    socket.setEncoding('latin1')
    socket.setKeepAlive(true, 10_000)
    socket.setTimeout(o.idleTimeoutMs)
    socket.on('close', () => {
      if (this.#socket !== socket) return
      this.#socket = null
      splitter.end()
      o.onChunkEnd()
      if (this.#stopped) return
      const delays = o.backoffMs
      const delay = delays[Math.min(this.#attempt++, delays.length - 1)]!
      o.onState('error', `connection to ${o.host}:${o.port} lost; retrying in ${delay} ms`)
      this.#timer = setTimeout(() => this.#dial(), delay)
    })
    socket.on('error', () => {
      /* 'close' follows and schedules the retry */
    })
    socket.on('timeout', () => socket.destroy())
    socket.on('connect', () => {
      this.#attempt = 0
      this.connects++
      o.onState('live', `${o.host}:${o.port}`)
    })
    socket.on('data', (chunk: string) => {
      splitter.push(chunk)
      o.onChunkEnd()
    })
  }
}
