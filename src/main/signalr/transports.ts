// Server ends of the three SignalR transports (TransportProtocols.md). Each one moves whole transport
// messages and reports data and loss to its connection; none of them knows hub messages.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebSocket } from 'ws'
import type { TransportName } from './hub.ts'
import { textDecoder } from './protocol.ts'

export interface TransportEvents {
  /** One whole transport message from the client. */
  onData(data: Uint8Array): void
  /** The transport is gone (peer closed, network cut). Not called after `abandon()`. */
  onClose(error?: string): void
  /** The peer does not read fast enough: more than the allowed bytes are queued for it. */
  onOverflow(): void
}

export interface ServerTransport {
  readonly name: TransportName
  /** Queues one transport message; `text` picks a WebSocket text frame. */
  send(data: Uint8Array, text: boolean): void
  /** Bytes queued but not yet handed to the network. */
  readonly bufferedBytes: number
  /** True while the transport itself proves the client is there (a parked long poll). */
  readonly alive: boolean
  /** Flushes what is queued, then ends the transport. */
  close(): void
  /** Drops the transport at once without reporting (a stateful reconnect replaced it). */
  abandon(): void
  /** Cuts the transport as a network failure would; the connection hears about it as a loss. */
  cut(): void
}

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, no-store' }

export class WebSocketTransport implements ServerTransport {
  readonly name = 'WebSockets' as const
  readonly alive = false
  #ws: WebSocket
  #events: TransportEvents
  #maxBuffered: number
  #done = false

  constructor(ws: WebSocket, events: TransportEvents, maxBuffered: number) {
    this.#ws = ws
    this.#events = events
    this.#maxBuffered = maxBuffered
    ws.on('close', (code: number, reason: Buffer) => this.#closed(code === 1000 || code === 1001 ? undefined : `WebSocket closed with status code: ${code} (${reason.toString() || 'no reason given'}).`))
    ws.on('error', () => {}) // 'close' follows
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      if (this.#done) return
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data
      this.#events.onData(bytes)
    })
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount
  }

  send(data: Uint8Array, text: boolean): void {
    if (this.#done || this.#ws.readyState !== this.#ws.OPEN) return
    if (this.#ws.bufferedAmount > this.#maxBuffered) return this.#events.onOverflow()
    this.#ws.send(data, { binary: !text })
  }

  close(): void {
    if (this.#done) return
    this.#done = true
    this.#ws.close(1000)
    // A peer that never answers the close handshake must not keep the socket.
    setTimeout(() => this.#ws.terminate(), 2000).unref()
  }

  abandon(): void {
    this.#done = true
    this.#ws.removeAllListeners('close')
    this.#ws.on('close', () => {})
    this.#ws.terminate()
  }

  cut(): void {
    this.#ws.terminate()
  }

  #closed(error: string | undefined): void {
    const wasDone = this.#done
    this.#done = true
    this.#events.onClose(wasDone ? undefined : error ?? 'WebSocket closed by the client.')
  }
}

/** Server-Sent Events: the response stream carries `data:` events (text only); the client POSTs its messages. */
export class SseTransport implements ServerTransport {
  readonly name = 'ServerSentEvents' as const
  readonly alive = false
  #res: ServerResponse
  #events: TransportEvents
  #maxBuffered: number
  #done = false

  constructor(res: ServerResponse, events: TransportEvents, maxBuffered: number) {
    this.#res = res
    this.#events = events
    this.#maxBuffered = maxBuffered
    res.on('error', () => {}) // 'close' follows
    res.on('close', () => {
      const wasDone = this.#done
      this.#done = true
      this.#events.onClose(wasDone ? undefined : 'Server-Sent Events stream closed by the client.')
    })
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' })
    // A comment line makes the browser fire `open` without delivering a message.
    res.write(':\r\n\r\n')
  }

  get bufferedBytes(): number {
    return this.#res.writableLength
  }

  send(data: Uint8Array): void {
    if (this.#done) return
    if (this.#res.writableLength > this.#maxBuffered) return this.#events.onOverflow()
    const text = textDecoder.decode(data)
    let out = ''
    for (const line of text.split('\n')) out += 'data: ' + line.replace(/\r$/, '') + '\r\n'
    this.#res.write(out + '\r\n')
  }

  close(): void {
    if (this.#done) return
    this.#done = true
    this.#res.end()
  }

  abandon(): void {
    this.#done = true
    this.#res.destroy()
  }

  cut(): void {
    this.#res.destroy()
  }
}

interface Parked {
  res: ServerResponse
  timer: NodeJS.Timeout
}

/**
 * Long polling: messages for the client queue here until a GET (poll) collects them; a poll with nothing
 * to collect is parked until data arrives or `pollTimeoutMs` passes (then 200 with an empty body, the
 * client polls again). 204 tells the client the connection is over.
 */
export class LongPollingTransport implements ServerTransport {
  readonly name = 'LongPolling' as const
  #events: TransportEvents
  #maxBuffered: number
  #pollTimeoutMs: number
  #binary = false
  #queue: Uint8Array[] = []
  #queued = 0
  #parked: Parked | undefined
  #ended = false
  #reported = false

  constructor(events: TransportEvents, opts: { maxBuffered: number; pollTimeoutMs: number }) {
    this.#events = events
    this.#maxBuffered = opts.maxBuffered
    this.#pollTimeoutMs = opts.pollTimeoutMs
  }

  get bufferedBytes(): number {
    return this.#queued
  }

  get alive(): boolean {
    return this.#parked !== undefined
  }

  /** The first GET after negotiate: answered at once so the client knows it is connected. */
  connect(res: ServerResponse): void {
    this.#respond(res, 200, undefined)
  }

  poll(_req: IncomingMessage, res: ServerResponse): void {
    if (this.#parked) {
      // One poll at a time: the older one ends empty.
      const old = this.#parked
      this.#parked = undefined
      clearTimeout(old.timer)
      this.#respond(old.res, 200, undefined)
    }
    if (this.#queue.length) return this.#flushTo(res)
    if (this.#ended) return this.#respond(res, 204, undefined)
    const timer = setTimeout(() => {
      if (this.#parked?.res !== res) return
      this.#parked = undefined
      this.#respond(res, 200, undefined)
    }, this.#pollTimeoutMs)
    this.#parked = { res, timer }
    res.on('error', () => {})
    res.once('close', () => {
      if (this.#parked?.res !== res) return
      clearTimeout(timer)
      this.#parked = undefined
    })
  }

  send(data: Uint8Array, text: boolean): void {
    if (this.#ended) return
    this.#binary = !text
    if (this.#queued + data.length > this.#maxBuffered) return this.#events.onOverflow()
    this.#queue.push(data)
    this.#queued += data.length
    if (this.#parked) {
      const { res, timer } = this.#parked
      this.#parked = undefined
      clearTimeout(timer)
      // Coalesce what is produced in the same tick into one response.
      setImmediate(() => this.#flushTo(res))
    }
  }

  /** The client's DELETE: the connection ends, a parked poll gets 204. */
  terminate(): void {
    this.#ended = true
    this.#queue = []
    this.#queued = 0
    this.#endParked()
    this.#report(undefined)
  }

  close(): void {
    if (this.#ended) return
    this.#ended = true
    if (!this.#queue.length) this.#endParked()
  }

  cut(): void {
    this.terminate()
  }

  abandon(): void {
    this.#ended = true
    this.#queue = []
    this.#queued = 0
    this.#reported = true
    this.#endParked()
  }

  #endParked(): void {
    if (!this.#parked) return
    const { res, timer } = this.#parked
    this.#parked = undefined
    clearTimeout(timer)
    this.#respond(res, 204, undefined)
  }

  #flushTo(res: ServerResponse): void {
    if (!this.#queue.length) {
      if (this.#ended) return this.#respond(res, 204, undefined)
      return this.#respond(res, 200, undefined)
    }
    const body = Buffer.concat(this.#queue)
    this.#queue = []
    this.#queued = 0
    this.#respond(res, 200, body)
  }

  #respond(res: ServerResponse, status: number, body: Buffer | undefined): void {
    if (res.writableEnded || res.destroyed) return
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': this.#binary ? 'application/octet-stream' : 'text/plain; charset=utf-8',
      'Content-Length': String(body?.length ?? 0),
    })
    res.end(body)
  }

  #report(error: string | undefined): void {
    if (this.#reported) return
    this.#reported = true
    this.#events.onClose(error)
  }
}
