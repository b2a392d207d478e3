// One SignalR connection: handshake, hub message dispatch, invocations and streams both ways, client
// results, keepalive/timeouts and stateful reconnect (sequence ids, bounded replay buffer).
import type { z } from 'zod'
import type { Logger } from '../log/index.ts'
import { can, type Principal } from '../../shared/auth.ts'
import type { HubContext } from './context.ts'
import { type CallContext, HubError, type HubConnectionInfo, type HubMethod, type StreamParam, type TransportName } from './hub.ts'
import { type CompletionMessage, type HubMessage, type InvocationMessage, isTrackable, MessageType, type StreamInvocationMessage } from './messages.ts'
import { type HubProtocol, HubProtocolError, parseHandshake, textEncoder, writeHandshakeResponse } from './protocol.ts'
import type { ServerTransport, TransportEvents } from './transports.ts'

/** Resolved per-hub settings (see HubOptions in runtime.ts for the meaning of each). */
export interface ConnectionSettings {
  keepAliveMs: number
  clientTimeoutMs: number
  handshakeTimeoutMs: number
  maxMessageBytes: number
  maxParallelInvocations: number
  maxQueuedInvocations: number
  streamBufferCapacity: number
  statefulBufferBytes: number
  reconnectWindowMs: number
  clientResultTimeoutMs: number
  maxBufferedBytes: number
  anonymousRead: boolean
  /** Login sessions (ctx.auth): a connection keeps its session alive and closes when it ends. */
  sessions: SessionCheck | undefined
}

export interface SessionCheck {
  sessionAlive(sid: string): boolean
  touch(sid: string): void
}

/** What a connection needs from its hub. */
export interface HubHost {
  readonly path: string
  readonly settings: ConnectionSettings
  readonly log: Logger
  readonly context: HubContext
  protocol(name: string): HubProtocol | undefined
  method(name: string): HubMethod | undefined
  /** Handshake done: the connection joins broadcasts and onConnected runs. */
  opened(conn: Connection): void
  /** The connection is over (onDisconnected runs when it had opened). */
  closed(conn: Connection, error: string | undefined, wasOpen: boolean): void
}

type State = 'pending' | 'handshake' | 'open' | 'detached' | 'closed'

interface ClientStream {
  spec: StreamParam
  items: unknown[]
  waiter: (() => void) | undefined
  done: boolean
  error: string | undefined
}

interface PendingResult {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

const MAX_HANDSHAKE_BYTES = 4096
const ACK_DELAY_MS = 1000

export class Connection implements HubConnectionInfo {
  readonly connectionId: string
  /** Secret id the transports use (`?id=`); equals connectionId for negotiateVersion 0 and skipNegotiation. */
  readonly token: string
  readonly user: Principal
  readonly items = new Map<string, unknown>()
  readonly remoteAddress: string | undefined
  readonly createdAt = Date.now()
  /** Groups this connection belongs to (the hub keeps the reverse index). */
  readonly groups = new Set<string>()
  #host: HubHost
  #s: ConnectionSettings
  #state: State = 'pending'
  #transport: ServerTransport | undefined
  #transportName: TransportName
  #protocol: HubProtocol | undefined
  #text = true
  #handshakeBuf: Uint8Array = new Uint8Array(0)
  #attachedAt = 0
  #lastReceived = Date.now()
  #lastSent = Date.now()
  #detachedAt = 0
  // Stateful reconnect: allowed by negotiate, active once the handshake asked for version >= 2.
  #statefulAllowed: boolean
  #stateful = false
  #sentCount = 0
  #replay: Array<{ id: number; bytes: Uint8Array }> = []
  #replayBytes = 0
  #recvNext = 1
  #recvLatest = 0
  #ackTimer: NodeJS.Timeout | undefined
  // Invocations.
  #running = new Map<string, LazyAbort>()
  #anonymousRunning = new Set<LazyAbort>()
  #active = 0
  #queue: Array<() => void> = []
  #clientStreams = new Map<string, ClientStream>()
  #pendingResults = new Map<string, PendingResult>()
  #resultCounter = 0

  constructor(host: HubHost, opts: { connectionId: string; token: string; user: Principal; remoteAddress?: string; stateful: boolean; transport: TransportName }) {
    this.#host = host
    this.#s = host.settings
    this.connectionId = opts.connectionId
    this.token = opts.token
    this.user = opts.user
    this.remoteAddress = opts.remoteAddress
    this.#statefulAllowed = opts.stateful
    this.#transportName = opts.transport
  }

  get userId(): string | null {
    return this.user.username
  }
  get transport(): TransportName {
    return this.#transportName
  }
  get protocol(): string | undefined {
    return this.#protocol?.name
  }
  get state(): State {
    return this.#state
  }
  get statefulReconnect(): boolean {
    return this.#stateful
  }
  get currentTransport(): ServerTransport | undefined {
    return this.#transport
  }

  /** Events a transport reports to this connection; stale transports (replaced on reconnect) are ignored. */
  eventsFor(getTransport: () => ServerTransport | undefined): TransportEvents {
    return {
      onData: (data) => {
        if (getTransport() === this.#transport) this.receive(data)
      },
      onClose: (error) => {
        if (getTransport() === this.#transport) this.#transportLost(error)
      },
      onOverflow: () => {
        if (getTransport() === this.#transport) this.close('The client does not read fast enough: too much data is queued for it.')
      },
    }
  }

  /** Whether a new transport may attach now: the first one, or a WebSocket resuming a stateful connection. */
  canAttach(name: TransportName): 'ok' | 'conflict' | 'gone' {
    if (this.#state === 'closed') return 'gone'
    if (this.#state === 'pending') return 'ok'
    if (this.#stateful && name === 'WebSockets' && this.#transportName === 'WebSockets') return 'ok'
    return 'conflict'
  }

  attach(transport: ServerTransport): void {
    this.#transportName = transport.name
    if (this.#state === 'pending') {
      this.#transport = transport
      this.#state = 'handshake'
      this.#attachedAt = Date.now()
      this.#lastReceived = Date.now()
      return
    }
    // Stateful reconnect: the new WebSocket replaces the old one; tell the client where our numbering
    // resumes, then replay everything it has not acknowledged.
    const old = this.#transport
    this.#transport = transport
    old?.abandon()
    this.#state = 'open'
    this.#lastReceived = Date.now()
    const first = this.#replay[0]?.id ?? this.#sentCount + 1
    this.#raw(this.#protocol!.write({ type: MessageType.Sequence, sequenceId: first }))
    for (const entry of this.#replay) this.#raw(entry.bytes)
    this.#host.log.debug({ connectionId: this.connectionId, replayed: this.#replay.length }, 'stateful reconnect: transport resumed')
  }

  /** One whole transport message from the client. */
  receive(data: Uint8Array): void {
    if (this.#state === 'closed' || this.#state === 'pending') return
    this.#lastReceived = Date.now()
    if (!this.#sessionOk()) return
    if (data.length > this.#s.maxMessageBytes) {
      return this.close(`Message of ${data.length} bytes exceeds the maximum message size of ${this.#s.maxMessageBytes} bytes.`)
    }
    if (this.#state === 'handshake') return this.#handshake(data)
    let messages: HubMessage[]
    try {
      messages = this.#protocol!.parse(data)
    } catch (err) {
      const msg = err instanceof HubProtocolError ? err.message : 'Message could not be parsed.'
      this.#host.log.info({ connectionId: this.connectionId, err: msg }, 'closing connection: invalid message')
      return this.close(`Connection closed with an error. InvalidDataException: ${msg}`)
    }
    for (const m of messages) {
      if ((this.#state as State) === 'closed') return
      try {
        this.#dispatch(m)
      } catch (err) {
        // A bug in a hub (e.g. a throwing schema refinement) must cost this connection, never the process.
        this.#host.log.error({ connectionId: this.connectionId, err }, 'hub message dispatch failed')
        return this.close('Connection closed with an error.')
      }
    }
  }

  /** Marks activity without data (a long poll arriving). */
  touch(): void {
    this.#lastReceived = Date.now()
  }

  /** Periodic check from the hub's sweep: handshake timeout, client timeout, keepalive, reconnect window. */
  tick(now: number): void {
    switch (this.#state) {
      case 'handshake':
        if (now - this.#attachedAt > this.#s.handshakeTimeoutMs) {
          this.#host.log.info({ connectionId: this.connectionId }, 'handshake timed out')
          this.#teardown('Handshake timed out.', true)
        }
        return
      case 'pending':
        if (now - this.createdAt > this.#s.handshakeTimeoutMs + this.#s.clientTimeoutMs) this.#teardown('The client never connected a transport.', false)
        return
      case 'detached':
        if (now - this.#detachedAt > this.#s.reconnectWindowMs) this.#teardown('The client did not reconnect in time.', false)
        return
      case 'open': {
        const t = this.#transport
        if (!t) return
        if (!this.#sessionOk(false)) return
        if (!t.alive && now - this.#lastReceived > this.#s.clientTimeoutMs) {
          this.#host.log.info({ connectionId: this.connectionId }, 'client timed out')
          return this.close(`Client timeout: nothing received for ${this.#s.clientTimeoutMs} ms.`)
        }
        // Long polling keeps itself alive (each poll ends by timeout); the others get a Ping when idle.
        if (t.name !== 'LongPolling' && now - this.#lastSent >= this.#s.keepAliveMs) this.send({ type: MessageType.Ping })
        return
      }
    }
  }

  /** Sends one hub message to this client (serialised with its protocol). No-op before the handshake. */
  send(message: HubMessage): void {
    if (!this.#protocol || this.#state === 'closed' || this.#state === 'handshake' || this.#state === 'pending') return
    let bytes: Uint8Array
    try {
      bytes = this.#protocol.write(message)
    } catch (err) {
      this.#host.log.warn({ connectionId: this.connectionId, err: (err as Error).message }, 'message could not be serialised')
      if (message.type === MessageType.Completion) {
        bytes = this.#protocol.write({ type: 3, invocationId: message.invocationId, error: 'The result could not be serialised.' })
      } else return
    }
    this.sendBytes(bytes, isTrackable(message))
  }

  /** Sends a frame already written with this connection's protocol (broadcasts serialise once per protocol). */
  sendBytes(bytes: Uint8Array, trackable: boolean): void {
    if (this.#state === 'closed' || !this.#protocol) return
    if (this.#stateful && trackable) {
      this.#sentCount++
      this.#replay.push({ id: this.#sentCount, bytes })
      this.#replayBytes += bytes.length
      if (this.#replayBytes > this.#s.statefulBufferBytes) {
        return this.close('The stateful reconnect buffer is full: the client did not acknowledge messages in time.', true)
      }
    }
    if (this.#state === 'open') this.#raw(bytes)
  }

  /** The protocol this connection speaks (after the handshake). */
  get hubProtocol(): HubProtocol | undefined {
    return this.#protocol
  }

  /** Server-to-client invocation that waits for the client's result (client `connection.on(target, fn)` returning a value). */
  invokeClient(target: string, args: unknown[], timeoutMs = this.#s.clientResultTimeoutMs, signal?: AbortSignal): Promise<unknown> {
    if (this.#state !== 'open' && this.#state !== 'detached') return Promise.reject(new HubError('The connection is not open.'))
    const invocationId = `s${++this.#resultCounter}`
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(() => reject(new HubError(`The client did not return a result for '${target}' within ${timeoutMs} ms.`))), timeoutMs)
      const onAbort = () => settle(() => reject(new HubError('The client result was cancelled.')))
      const settle = (fn: () => void) => {
        if (!this.#pendingResults.delete(invocationId)) return
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        fn()
      }
      this.#pendingResults.set(invocationId, { resolve: (v) => settle(() => resolve(v)), reject: (e) => settle(() => reject(e)), timer })
      signal?.addEventListener('abort', onAbort, { once: true })
      this.send({ type: MessageType.Invocation, invocationId, target, arguments: args })
    })
  }

  /** Closes with a Close message (error, allowReconnect) and ends the transport. */
  close(error?: string, allowReconnect?: boolean): void {
    if (this.#state === 'closed') return
    if (this.#state === 'open' && this.#protocol) {
      const msg: HubMessage = { type: MessageType.Close }
      if (error !== undefined) msg.error = error
      if (allowReconnect) msg.allowReconnect = true
      try {
        this.#raw(this.#protocol.write(msg))
      } catch {
        /* closing anyway */
      }
    }
    this.#teardown(error, true)
  }

  /** Test hook: drop the transport as a network cut would (no close handshake). */
  cutTransport(): void {
    this.#transport?.cut()
  }

  // ---- internals ----

  /** False (and the connection closed) once the login session behind the token has ended. */
  #sessionOk(touch = true): boolean {
    const sid = this.user.sid
    const sessions = this.#s.sessions
    if (!sid || !sessions) return true
    if (!sessions.sessionAlive(sid)) {
      this.close('The login session has ended (logged out or expired); log in again.')
      return false
    }
    if (touch) sessions.touch(sid)
    return true
  }

  #raw(bytes: Uint8Array): void {
    const t = this.#transport
    if (!t) return
    this.#lastSent = Date.now()
    t.send(bytes, this.#text)
  }

  #handshake(data: Uint8Array): void {
    const buf = this.#handshakeBuf.length ? Buffer.concat([this.#handshakeBuf, data]) : data
    let parsed
    try {
      parsed = parseHandshake(buf)
    } catch (err) {
      return this.#failHandshake((err as Error).message)
    }
    if (!parsed) {
      if (buf.length > MAX_HANDSHAKE_BYTES) return this.#failHandshake('Handshake request is too large or not terminated by the record separator.')
      this.#handshakeBuf = buf
      return
    }
    this.#handshakeBuf = new Uint8Array(0)
    const { request, rest } = parsed
    const protocol = this.#host.protocol(request.protocol)
    if (!protocol) return this.#failHandshake(`Requested protocol '${request.protocol}' is not available.`)
    if (request.version > protocol.version) return this.#failHandshake(`The server does not support version ${request.version} of the '${protocol.name}' protocol.`)
    if (this.#transportName === 'ServerSentEvents' && protocol.transferFormat === 'Binary') {
      return this.#failHandshake(`Cannot use the '${protocol.name}' protocol on the current transport. The transport does not support 'Binary' transfer format.`)
    }
    this.#protocol = protocol
    this.#text = protocol.transferFormat === 'Text'
    this.#stateful = this.#statefulAllowed && request.version >= 2 && this.#transportName === 'WebSockets'
    this.#state = 'open'
    // The handshake answer is always a text frame: JSON + 0x1E.
    const t = this.#transport!
    t.send(textEncoder.encode(writeHandshakeResponse()), true)
    // Spread the first keepalive over half an interval so clients that connect together (a restart, a
    // venue's Wi-Fi coming back) are not all pinged in the same sweep.
    this.#lastSent = Date.now() - Math.floor(Math.random() * this.#s.keepAliveMs * 0.5)
    this.#host.opened(this)
    if (rest.length && this.#state === 'open') this.receive(rest)
  }

  #failHandshake(error: string): void {
    this.#host.log.info({ connectionId: this.connectionId, error }, 'handshake refused')
    this.#transport?.send(textEncoder.encode(writeHandshakeResponse(error)), true)
    this.#teardown(error, true)
  }

  #dispatch(m: HubMessage): void {
    if (this.#stateful && isTrackable(m)) {
      const id = this.#recvNext++
      if (id <= this.#recvLatest) return // already processed before the reconnect
      this.#recvLatest = id
      this.#scheduleAck()
    }
    switch (m.type) {
      case MessageType.Invocation:
      case MessageType.StreamInvocation:
        return this.#invocation(m)
      case MessageType.StreamItem:
        return this.#streamItem(m.invocationId, m.item)
      case MessageType.Completion:
        return this.#completion(m)
      case MessageType.CancelInvocation:
        this.#running.get(m.invocationId)?.abort()
        return
      case MessageType.Ping:
        return
      case MessageType.Close:
        return this.#teardown(m.error, true)
      case MessageType.Ack: {
        let drop = 0
        while (drop < this.#replay.length && this.#replay[drop]!.id <= m.sequenceId) this.#replayBytes -= this.#replay[drop++]!.bytes.length
        if (drop) this.#replay.splice(0, drop)
        return
      }
      case MessageType.Sequence:
        if (!this.#stateful) return
        if (m.sequenceId > this.#recvNext) return this.close('Sequence ID greater than the number of messages received.')
        this.#recvNext = m.sequenceId
        return
    }
  }

  #scheduleAck(): void {
    if (this.#ackTimer) return
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined
      if (this.#state === 'open' && this.#protocol) this.#raw(this.#protocol.write({ type: MessageType.Ack, sequenceId: this.#recvLatest }))
    }, ACK_DELAY_MS)
    this.#ackTimer.unref()
  }

  #completeWith(invocationId: string | undefined, error: string): void {
    if (invocationId !== undefined) this.send({ type: MessageType.Completion, invocationId, error })
  }

  #invocation(m: InvocationMessage | StreamInvocationMessage): void {
    const id = m.invocationId
    if (id !== undefined && (this.#running.has(id) || this.#clientStreams.has(id))) {
      return this.close(`Invocation ID '${id}' is already in use.`)
    }
    const method = this.#host.method(m.target)
    const streamIds = m.streamIds ?? []
    if (!method) return this.#completeWith(id, `Unknown hub method '${m.target}'`)
    if (m.type === MessageType.StreamInvocation && method.kind === 'method') {
      return this.#completeWith(id, `The client attempted to invoke the non-streaming '${m.target}' method with a streaming invocation.`)
    }
    if (m.type === MessageType.Invocation && method.kind === 'stream') {
      return this.#completeWith(id, `The client attempted to invoke the streaming '${m.target}' method with a non-streaming invocation.`)
    }
    if (method.permission && !can(this.user, method.permission, this.#s.anonymousRead)) {
      return this.#completeWith(id, `Failed to invoke '${m.target}' because user is unauthorized`)
    }
    // Bind: plain arguments in order, stream parameters filled from streamIds in order.
    const { plain, streams } = shapeOf(method)
    if (streamIds.length !== streams) {
      return this.#completeWith(id, `Failed to invoke '${m.target}': the client sent ${streamIds.length} stream(s), the method expects ${streams}.`)
    }
    if (m.arguments.length > plain) {
      return this.#completeWith(id, `Failed to invoke '${m.target}': invocation provides ${m.arguments.length} argument(s) but target expects ${plain}.`)
    }
    if (streamIds.some((s) => this.#clientStreams.has(s) || this.#running.has(s))) return this.close('A stream ID is already in use.')
    const bound: unknown[] = []
    let argIndex = 0
    let streamIndex = 0
    for (const spec of method.args) {
      if (isStreamParam(spec)) {
        const sid = streamIds[streamIndex++]!
        bound.push(this.#openClientStream(sid, spec))
        continue
      }
      const i = argIndex++
      const r = (spec as z.ZodType).safeParse(m.arguments[i])
      if (!r.success) {
        for (const sid of streamIds) this.#clientStreams.delete(sid)
        const issue = r.error.issues[0]
        const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : ''
        return this.#completeWith(id, `Failed to invoke '${m.target}': argument ${i + 1}${where}: ${issue?.message ?? 'invalid value'}.`)
      }
      bound.push(r.data)
    }
    const ac = new LazyAbort()
    if (id !== undefined) this.#running.set(id, ac)
    else this.#anonymousRunning.add(ac)
    const call = new Call(this, this.#host.context, id, ac)
    const done = () => {
      if (id !== undefined) this.#running.delete(id)
      else this.#anonymousRunning.delete(ac)
      for (const sid of streamIds) this.#clientStreams.delete(sid)
    }
    if (method.kind === 'stream') {
      // Server-to-client streams run beside the invocation limit, as in ASP.NET Core.
      void this.#runStream(m.target, id!, method, call, bound, ac)
        .catch((err) => this.#host.log.error({ err }, 'stream invocation failed'))
        .finally(done)
      return
    }
    const job = () => this.#runMethod(m.target, id, method, call, bound, done)
    if (this.#active < this.#s.maxParallelInvocations) {
      job()
    } else {
      if (this.#queue.length >= this.#s.maxQueuedInvocations) {
        done()
        return this.close(`Too many pending invocations (more than ${this.#s.maxQueuedInvocations} waiting).`)
      }
      this.#queue.push(job)
    }
  }

  /**
   * Runs a method and sends its Completion. A method that returns a plain value completes synchronously
   * (no promise round); one that returns a promise holds its invocation slot until it settles.
   */
  #runMethod(target: string, id: string | undefined, method: HubMethod, call: CallContext, args: unknown[], done: () => void): void {
    this.#active++
    let result: unknown
    try {
      result = method.run(call, args)
    } catch (err) {
      this.#failed(target, id, err)
      return this.#release(done)
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      Promise.resolve(result as PromiseLike<unknown>)
        .then(
          (value) => this.#completed(id, value),
          (err) => this.#failed(target, id, err),
        )
        .catch((err) => this.#host.log.error({ err }, 'invocation failed'))
        .finally(() => this.#release(done))
      return
    }
    this.#completed(id, result)
    this.#release(done)
  }

  #release(done: () => void): void {
    done()
    this.#active--
    const next = this.#queue.shift()
    if (next && this.#state !== 'closed') next()
  }

  #completed(id: string | undefined, result: unknown): void {
    if (id === undefined) return
    const msg: CompletionMessage = { type: MessageType.Completion, invocationId: id }
    if (result !== undefined) msg.result = result
    this.send(msg)
  }

  #failed(target: string, id: string | undefined, err: unknown): void {
    if (id === undefined) {
      this.#host.log.warn({ connectionId: this.connectionId, target, err }, 'fire-and-forget invocation failed')
      return
    }
    this.send({ type: MessageType.Completion, invocationId: id, error: this.#errorText(`An unexpected error occurred invoking '${target}' on the server.`, err, target) })
  }

  async #runStream(target: string, id: string, method: HubMethod, call: CallContext, args: unknown[], ac: LazyAbort): Promise<void> {
    let iterator: AsyncIterator<unknown> | undefined
    const aborted = new Promise<'aborted'>((resolve) => ac.signal.addEventListener('abort', () => resolve('aborted'), { once: true }))
    try {
      const iterable = method.run(call, args) as AsyncIterable<unknown>
      if (!iterable || typeof (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') throw new Error(`stream method '${target}' did not return an async iterable`)
      iterator = iterable[Symbol.asyncIterator]()
      for (;;) {
        const next = await Promise.race([iterator.next(), aborted])
        if (next === 'aborted') return // cancelled by the client or the connection ended: no Completion
        if (next.done) break
        this.send({ type: MessageType.StreamItem, invocationId: id, item: next.value })
        await this.#drained(ac.signal)
        if (this.#state === 'closed') return
      }
      this.send({ type: MessageType.Completion, invocationId: id })
    } catch (err) {
      if (ac.signal.aborted) return
      this.send({ type: MessageType.Completion, invocationId: id, error: this.#errorText('An error occurred on the server while streaming results.', err, target) })
    } finally {
      if (ac.signal.aborted && iterator?.return) void Promise.resolve(iterator.return()).catch(() => {})
    }
  }

  /**
   * Waits while the transport holds more than half its allowed backlog, or (stateful reconnect) more than
   * half the replay buffer is unacknowledged: a slow reader throttles its streams instead of overflowing.
   */
  async #drained(signal: AbortSignal): Promise<void> {
    const limit = this.#s.maxBufferedBytes / 2
    const replayLimit = this.#s.statefulBufferBytes / 2
    for (let i = 0; i < 6000 && !signal.aborted; i++) {
      if (this.#state !== 'open' && this.#state !== 'detached') return
      const t = this.#transport
      if (t && t.bufferedBytes <= limit && this.#replayBytes <= replayLimit) return
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  #errorText(prefix: string, err: unknown, target: string): string {
    if (err instanceof HubError) return `${prefix} HubException: ${err.message}`
    this.#host.log.error({ connectionId: this.connectionId, target, err }, 'hub method failed')
    return prefix
  }

  #openClientStream(sid: string, spec: StreamParam): AsyncIterable<unknown> {
    const s: ClientStream = { spec, items: [], waiter: undefined, done: false, error: undefined }
    this.#clientStreams.set(sid, s)
    const self = this
    return {
      [Symbol.asyncIterator](): AsyncIterator<unknown> {
        return {
          async next(): Promise<IteratorResult<unknown>> {
            for (;;) {
              if (s.items.length) return { value: s.items.shift(), done: false }
              if (s.error !== undefined) throw new HubError(s.error)
              if (s.done || self.#state === 'closed') return { value: undefined, done: true }
              await new Promise<void>((r) => (s.waiter = r))
            }
          },
          async return(): Promise<IteratorResult<unknown>> {
            s.done = true
            self.#clientStreams.delete(sid)
            return { value: undefined, done: true }
          },
        }
      },
    }
  }

  #wake(s: ClientStream): void {
    const w = s.waiter
    s.waiter = undefined
    w?.()
  }

  #streamItem(sid: string, item: unknown): void {
    const s = this.#clientStreams.get(sid)
    if (!s || s.done) return // stream already ended on our side: ignored, as ASP.NET Core does
    const r = s.spec.item.safeParse(item)
    if (!r.success) {
      s.error = `Stream item rejected: ${r.error.issues[0]?.message ?? 'invalid value'}.`
      this.#clientStreams.delete(sid)
      return this.#wake(s)
    }
    if (s.items.length >= this.#s.streamBufferCapacity) {
      return this.close(`Client stream '${sid}' sent more than ${this.#s.streamBufferCapacity} items the method has not consumed.`)
    }
    s.items.push(r.data)
    this.#wake(s)
  }

  #completion(m: CompletionMessage): void {
    const s = this.#clientStreams.get(m.invocationId)
    if (s) {
      this.#clientStreams.delete(m.invocationId)
      s.done = true
      if (m.error !== undefined) s.error = m.error
      return this.#wake(s)
    }
    const pending = this.#pendingResults.get(m.invocationId)
    if (pending) {
      if (m.error !== undefined) pending.reject(new HubError(m.error))
      else pending.resolve(m.result)
      return
    }
    this.#host.log.debug({ connectionId: this.connectionId, invocationId: m.invocationId }, 'completion for an unknown invocation ignored')
  }

  #transportLost(error: string | undefined): void {
    this.#transport = undefined
    if (this.#state === 'closed') return
    if (this.#state === 'open' && this.#stateful) {
      this.#state = 'detached'
      this.#detachedAt = Date.now()
      this.#host.log.debug({ connectionId: this.connectionId, error }, 'transport lost; waiting for a stateful reconnect')
      return
    }
    this.#teardown(error, false)
  }

  #teardown(error: string | undefined, endTransport: boolean): void {
    if (this.#state === 'closed') return
    const wasOpen = this.#state === 'open' || this.#state === 'detached'
    this.#state = 'closed'
    if (this.#ackTimer) clearTimeout(this.#ackTimer)
    const t = this.#transport
    if (endTransport && t) t.close()
    for (const ac of this.#running.values()) ac.abort()
    for (const ac of this.#anonymousRunning) ac.abort()
    this.#queue = []
    for (const s of this.#clientStreams.values()) {
      s.done = true
      this.#wake(s)
    }
    this.#clientStreams.clear()
    for (const p of [...this.#pendingResults.values()]) p.reject(new HubError('The connection closed before the client returned a result.'))
    this.#replay = []
    this.#replayBytes = 0
    this.#host.closed(this, error, wasOpen)
  }
}


class Call implements CallContext {
  readonly connection: HubConnectionInfo
  readonly hub: HubContext
  readonly invocationId: string | undefined
  #abort: LazyAbort
  constructor(connection: HubConnectionInfo, hub: HubContext, invocationId: string | undefined, abort: LazyAbort) {
    this.connection = connection
    this.hub = hub
    this.invocationId = invocationId
    this.#abort = abort
  }
  get signal(): AbortSignal {
    return this.#abort.signal
  }
}

/** An AbortController made only when someone reads the signal: most calls never do, and creating one per call costs. */
class LazyAbort {
  #ac: AbortController | undefined
  #aborted = false
  get signal(): AbortSignal {
    if (!this.#ac) {
      this.#ac = new AbortController()
      if (this.#aborted) this.#ac.abort()
    }
    return this.#ac.signal
  }
  abort(): void {
    this.#aborted = true
    this.#ac?.abort()
  }
}

const shapes = new WeakMap<HubMethod, { plain: number; streams: number }>()
/** Plain and stream parameter counts of a method, computed once. */
function shapeOf(method: HubMethod): { plain: number; streams: number } {
  let shape = shapes.get(method)
  if (!shape) {
    const plain = method.args.filter((a) => !isStreamParam(a)).length
    shape = { plain, streams: method.args.length - plain }
    shapes.set(method, shape)
  }
  return shape
}

function isStreamParam(a: unknown): a is StreamParam {
  return typeof a === 'object' && a !== null && (a as StreamParam).kind === 'stream'
}
