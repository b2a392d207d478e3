import { createServer, type Server, type Socket } from 'node:net'
import { formatRecord, type RMonitorRecord } from './parser.ts'

/**
 * An Orbits-like RMonitor TCP server: every connected client gets the current picture first (the
 * latest run, settings, classes, competitors, positions and heartbeat), then the live stream.
 * Slow clients are dropped instead of buffering without bound.
 */
export class RMonitorServer {
  readonly #server: Server
  readonly #clients = new Set<Socket>()
  readonly #cache = new RecordCache()
  readonly #maxBuffered: number
  sent = 0

  constructor(opts: { maxBufferedBytes?: number } = {}) {
    this.#maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024
    this.#server = createServer((socket) => this.#accept(socket))
  }

  listen(port: number, host = '0.0.0.0'): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject)
        const a = this.#server.address()
        resolve(typeof a === 'object' && a ? { host: a.address, port: a.port } : { host, port })
      })
    })
  }

  get clientCount(): number {
    return this.#clients.size
  }

  /** Sends one batch of records to every client (one write each). */
  broadcast(records: readonly RMonitorRecord[]): void {
    if (records.length === 0) return
    for (const r of records) this.#cache.add(r)
    const text = records.map(formatRecord).join('\r\n') + '\r\n'
    this.sent += records.length
    for (const c of this.#clients) this.#write(c, text)
  }

  /** Sends raw lines (file replay keeps the capture's text as it is). */
  broadcastLines(lines: readonly string[], parsed: readonly RMonitorRecord[]): void {
    if (lines.length === 0) return
    for (const r of parsed) this.#cache.add(r)
    const text = lines.join('\r\n') + '\r\n'
    this.sent += lines.length
    for (const c of this.#clients) this.#write(c, text)
  }

  close(): Promise<void> {
    for (const c of this.#clients) c.destroy()
    this.#clients.clear()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }

  #accept(socket: Socket): void {
    this.#clients.add(socket)
    socket.on('close', () => this.#clients.delete(socket))
    socket.on('error', () => socket.destroy())
    socket.on('data', () => {
      /* RMonitor is one-way; input is ignored */
    })
    const dump = this.#cache.dump()
    if (dump.length) this.#write(socket, dump.map(formatRecord).join('\r\n') + '\r\n')
  }

  #write(socket: Socket, text: string): void {
    if (socket.writableLength > this.#maxBuffered) {
      socket.destroy()
      return
    }
    socket.write(text, 'latin1')
  }
}

/** The latest record of each kind, so a new client starts with the full picture. */
export class RecordCache {
  #run: RMonitorRecord | null = null
  #heartbeat: RMonitorRecord | null = null
  #settings = new Map<string, RMonitorRecord>()
  #classes = new Map<number, RMonitorRecord>()
  #competitors = new Map<string, RMonitorRecord>()
  #comp = new Map<string, RMonitorRecord>()
  #race = new Map<string, RMonitorRecord>()
  #pq = new Map<string, RMonitorRecord>()
  #track: RMonitorRecord | null = null

  add(r: RMonitorRecord): void {
    switch (r.type) {
      case 'I':
        if (r.time.trim() === '00:00:00' && r.date.trim() === '0/0/0000') return
        this.#competitors.clear()
        this.#comp.clear()
        this.#race.clear()
        this.#pq.clear()
        return
      case 'B':
        this.#run = r
        return
      case 'F':
        this.#heartbeat = r
        return
      case 'E':
        this.#settings.set(r.name, r)
        return
      case 'C':
        this.#classes.set(r.classNo, r)
        return
      case 'A':
        this.#competitors.set(r.regNo, r)
        return
      case 'COMP':
        this.#comp.set(r.regNo, r)
        return
      case 'G':
        this.#race.set(r.regNo, r)
        return
      case 'H':
        this.#pq.set(r.regNo, r)
        return
      case 'T':
        this.#track = r
        return
      default:
        return
    }
  }

  dump(): RMonitorRecord[] {
    const out: RMonitorRecord[] = []
    if (this.#run) out.push(this.#run)
    out.push(...this.#settings.values())
    if (this.#track) out.push(this.#track)
    out.push(...this.#classes.values(), ...this.#competitors.values(), ...this.#comp.values())
    out.push(...[...this.#race.values()].sort((a, b) => (a as { position: number }).position - (b as { position: number }).position))
    out.push(...this.#pq.values())
    if (this.#heartbeat) out.push(this.#heartbeat)
    return out
  }
}
