import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import { can, type Principal } from '../../shared/auth.ts'
import type { Auth } from '../auth/index.ts'
import type { Logger } from '../log/index.ts'
import type { HubConnection, NotificationInfo } from './hub.ts'
import { preFrame, sendFrame } from '../lan/frames.ts'
import { TokenBucket } from './limits.ts'
import type { Room, RoomsServer } from './rooms.ts'
import type { RoomsErrorType, WebSocketEventData, WebSocketEventResult, WebSocketOptions } from './rooms-types.ts'
import type { RtcLimits } from './limits.ts'
import type { DirectEnvelope, Publication } from './types.ts'

type Maybe = void | Promise<void>
const CALLBACK_TIMEOUT_MS = 5000
/** Frames waiting while an async callback runs (per connection). */
const MAX_BACKLOG = 256

const iso = (ms = Date.now()) => new Date(ms).toISOString()
const isThenable = (v: unknown): v is Promise<unknown> => !!v && typeof (v as { then?: unknown }).then === 'function'

interface Deps {
  server: RoomsServer
  auth: Auth
  principal: Principal
  clientId: string
  path: string
  handlerId: string
  options: WebSocketOptions
  limits: RtcLimits
  log: Logger
  anonymousRead: boolean
}

/** The text of a room message delivered to rooms clients, from any publisher on the bus. */
function roomMessageText(payload: unknown): string {
  if (typeof payload === 'string') return payload
  const m = (payload as { message?: unknown } | null)?.message
  return typeof m === 'string' ? m : JSON.stringify(payload)
}

/**
 * One rooms-dialect connection. Frames are handled in order; a callback that returns a promise
 * holds the following frames back until it settles (bounded), and events without a callback go
 * straight through (no event object is even built).
 */
export class RoomsConnection implements HubConnection {
  readonly id = randomUUID()
  readonly dialect = 'rooms' as const
  readonly user: string | null
  readonly clientId: string
  readonly path: string
  readonly handlerId: string
  readonly address: string
  readonly createdAt = Date.now()
  readonly metadata: Record<string, string> = {}
  lastPing = Date.now()
  lastSeq = 0
  #ws: WebSocket
  #d: Deps
  #cb: WebSocketOptions
  #rooms = new Set<Room>()
  #bucket: TokenBucket
  #busy = false
  #backlog: Array<[Buffer, boolean]> = []
  #closed = false
  #registered = false
  #lastInbound = Date.now()
  #lastPingSent = Date.now()
  #rttMs = 0

  constructor(ws: WebSocket, req: IncomingMessage, deps: Deps) {
    this.#ws = ws
    this.#d = deps
    this.#cb = deps.options
    this.user = deps.principal.username
    this.clientId = deps.clientId
    this.path = deps.path
    this.handlerId = deps.handlerId
    this.address = req.socket.remoteAddress ?? ''
    this.#bucket = new TokenBucket(deps.limits.ratePerSec, deps.limits.rateBurst)
    ws.once('close', (code, reason) => this.#cleanup(code, reason.toString()))
    ws.on('error', (err) => {
      if (this.#cb.onError) this.#safe('onError', this.#event({ type: 'error', error: err.message }))
      ws.terminate()
    })
    ws.on('message', (data: Buffer, isBinary) => this.#onFrame(data, isBinary))
    this.#task(() => this.#start())
  }

  roomIds(): string[] {
    return [...this.#rooms].map((r) => r.id)
  }

  // ---- bus / hub delivery ----

  deliver(pub: Publication): boolean {
    if (pub.kind !== 'broadcast' || !pub.topic.startsWith('rooms.')) return false
    pub.wire.rooms ??= Buffer.from(
      JSON.stringify({
        type: 'room_message',
        message: roomMessageText(pub.payload),
        room_id: pub.topic.slice('rooms.'.length),
        ...(pub.from.clientId || pub.from.user ? { from_client_id: pub.from.clientId ?? pub.from.user } : {}),
        timestamp: iso(pub.sentAt),
      }),
    )
    if (!this.#writable(pub.priority === 'low')) return false
    sendFrame(this.#ws, (pub.wire.roomsFrame ??= preFrame(pub.wire.rooms, false)), pub.wire.rooms, false)
    return true
  }

  /** Direct messages of the rooms dialect go client to client; users' direct messages are a /ws feature. */
  deliverDirect(_dm: DirectEnvelope): boolean {
    return false
  }

  notify(_n: NotificationInfo): boolean {
    return false
  }

  sendDirect(message: string, fromClientId: string): boolean {
    return this.#send(JSON.stringify({ type: 'direct_message', message, from_client_id: fromClientId, timestamp: iso() }))
  }

  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#ws.close(code, reason)
    this.#cleanup(code, reason)
  }

  tick(now: number): void {
    if (this.#closed) return
    if (now - this.#lastInbound > this.#d.limits.idleTimeoutMs) return this.close(4008, 'Idle timeout')
    if (now - this.#lastPingSent >= this.#d.limits.heartbeatMs) {
      this.#lastPingSent = now
      this.#send(JSON.stringify({ type: 'ping', timestamp: iso(now) }))
    }
  }

  /** Joins a room; returns the error type when it cannot. */
  join(room: Room, programmatic = false): RoomsErrorType | undefined {
    if (this.#rooms.has(room)) return 'already_in_room'
    if (room.maxConnections !== undefined && room.members.size >= room.maxConnections) return 'room_full'
    this.#rooms.add(room)
    room.members.add(this)
    this.#d.server.hub.bus.subscribe(this, `rooms.${room.id}`)
    this.#send(JSON.stringify({ type: 'room_joined', room_id: room.id, room_name: room.name, timestamp: iso() }))
    if (programmatic) this.#d.server.hub.events.emit('connections')
    return undefined
  }

  leave(room: Room, notify: boolean): void {
    const was = this.#rooms.delete(room)
    room.members.delete(this)
    this.#d.server.hub.bus.unsubscribe(this, `rooms.${room.id}`)
    if (notify) this.#send(JSON.stringify({ type: 'room_left', room_id: room.id, timestamp: iso() }))
    if (was) this.#d.server.hub.events.emit('connections')
  }

  // ---- plumbing ----

  #send(data: string | Buffer, droppable = false): boolean {
    if (!this.#writable(droppable)) return false
    this.#ws.send(data, { binary: false })
    return true
  }

  #writable(droppable: boolean): boolean {
    if (this.#closed) return false
    const buffered = this.#ws.bufferedAmount
    if (buffered > this.#d.limits.maxBufferedBytes) {
      this.#d.log.warn({ connection: this.id, clientId: this.clientId, buffered }, 'slow reader cut off')
      this.#ws.terminate()
      this.#cleanup(1006, 'slow reader')
      return false
    }
    return !(droppable && buffered > this.#d.limits.maxBufferedBytes / 4)
  }

  #event(fields: Partial<WebSocketEventData>): WebSocketEventData {
    return { connectionId: this.id, path: this.path, handlerId: this.handlerId, timestamp: iso(), client_id: this.clientId, ...fields }
  }

  /** Runs a callback if there is one; `proceed` gets the event (or its replacement), unless the callback cancels. */
  #gate(name: keyof WebSocketOptions, make: () => WebSocketEventData, proceed: (ev: WebSocketEventData | undefined) => Maybe, onCancel?: (error: string) => Maybe): Maybe {
    const cb = this.#cb[name]
    if (!cb) return proceed(undefined)
    const ev = make()
    const cancel = onCancel ?? ((error: string) => this.#error('message_blocked', error))
    const apply = (r: WebSocketEventResult | void): Maybe => {
      if (r && r.shouldCancel) return cancel(r.error ?? `Blocked by the server (${name})`)
      return proceed(r && r.modifiedEvent !== undefined ? { ...ev, ...r.modifiedEvent } : ev)
    }
    const failed = (err: unknown): Maybe => {
      this.#d.log.warn({ err, callback: name, connection: this.id }, 'rooms callback failed; event cancelled')
      return cancel(`Server callback ${name} failed`)
    }
    let r: ReturnType<typeof cb>
    try {
      r = cb(ev)
    } catch (err) {
      return failed(err)
    }
    if (!isThenable(r)) return apply(r)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} timed out`)), CALLBACK_TIMEOUT_MS)))
    return Promise.race([r, timeout]).then(apply, failed).finally(() => clearTimeout(timer))
  }

  /** Informational callbacks (close, error): result ignored, failures logged. */
  #safe(name: keyof WebSocketOptions, ev: WebSocketEventData): void {
    try {
      const r = this.#cb[name]?.(ev)
      if (isThenable(r)) r.catch((err) => this.#d.log.warn({ err, callback: name }, 'rooms callback failed'))
    } catch (err) {
      this.#d.log.warn({ err, callback: name }, 'rooms callback failed')
    }
  }

  #task(fn: () => Maybe): void {
    let r: Maybe
    try {
      r = fn()
    } catch (err) {
      this.#d.log.error({ err, connection: this.id }, 'rooms message handling failed')
      r = this.#error('server_error', 'Internal error')
    }
    if (!isThenable(r)) return
    this.#busy = true
    r.catch((err) => {
      this.#d.log.error({ err, connection: this.id }, 'rooms message handling failed')
    }).finally(() => {
      this.#busy = false
      while (!this.#busy && !this.#closed && this.#backlog.length) {
        const [d, b] = this.#backlog.shift()!
        this.#task(() => this.#process(d, b))
      }
    })
  }

  #error(type: RoomsErrorType, error: string, extra: Record<string, unknown> = {}): Maybe {
    return this.#gate(
      'onServerError',
      () => this.#event({ type: 'error', error, error_type: type }),
      (ev) => void this.#send(JSON.stringify({ type: 'error', error: ev?.error ?? error, error_type: ev?.error_type ?? type, ...extra, timestamp: iso() })),
      () => undefined,
    )
  }

  #ack(raw: string): Maybe {
    return this.#gate(
      'onMessageAck',
      () => this.#event({ type: 'message_ack', message: raw }),
      (ev) => void this.#send(JSON.stringify({ type: 'message_ack', message: ev?.message ?? raw, timestamp: iso() })),
      () => undefined,
    )
  }

  #cleanup(code: number, reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#backlog.length = 0
    for (const room of [...this.#rooms]) this.leave(room, false)
    if (this.#registered) this.#d.server.hub.unregister(this)
    if (this.#cb.onClose) this.#safe('onClose', this.#event({ type: 'close', data: { code, reason } }))
  }

  // ---- inbound ----

  #start(): Maybe {
    return this.#gate(
      'onConnect',
      () => this.#event({ type: 'connect' }),
      () => {
        if (this.#closed) return
        this.#registered = true
        this.#d.server.hub.register(this)
        const welcome = { type: 'welcome', connection_id: this.id, client_id: this.clientId, path: this.path, timestamp: iso(), user_id: this.user }
        return this.#gate(
          'onWelcome',
          () => this.#event({ type: 'welcome', data: welcome }),
          (ev) => void this.#send(JSON.stringify(ev?.data && typeof ev.data === 'object' ? ev.data : welcome)),
          () => undefined,
        )
      },
      (error) => {
        this.#send(JSON.stringify({ type: 'error', error, error_type: 'connection_rejected', timestamp: iso() }))
        this.close(1008, 'Connection rejected')
      },
    )
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return
    this.#lastInbound = Date.now()
    const sid = this.#d.principal.sid
    if (sid) {
      if (!this.#d.auth.sessionAlive(sid)) return this.close(4001, 'Session ended')
      this.#d.auth.touch(sid)
    }
    const wait = this.#bucket.take()
    if (wait > 0) return void this.#error('rate_limited', 'Rate limit exceeded', { retry_after_ms: wait })
    if (data.length > this.#d.limits.maxFrameBytes) return void this.#error('message_too_large', `Frame of ${data.length} bytes exceeds the ${this.#d.limits.maxFrameBytes}-byte limit`)
    if (this.#busy) {
      if (this.#backlog.length >= MAX_BACKLOG) return void this.#error('rate_limited', 'Too many messages waiting for server callbacks')
      this.#backlog.push([data, isBinary])
      return
    }
    this.#task(() => this.#process(data, isBinary))
  }

  #process(data: Buffer, isBinary: boolean): Maybe {
    if (isBinary) {
      return this.#gate(
        'onBinaryMessage',
        () => this.#event({ type: 'binary', data: `Binary data: ${data.length} bytes` }),
        (ev) => (ev ? undefined : this.#error('unsupported', 'Binary frames are not routed on the rooms API; use /ws')),
      )
    }
    const text = data.toString('utf8')
    return this.#gate(
      'onMessage',
      () => this.#event({ type: 'message', data: text }),
      (ev) => {
        const d: unknown = ev ? ev.data : text
        let msg: unknown = d
        if (typeof d === 'string') {
          try {
            msg = JSON.parse(d)
          } catch {
            return this.#error('invalid_json', 'Invalid JSON')
          }
        }
        if (!msg || typeof msg !== 'object' || Array.isArray(msg) || typeof (msg as { type?: unknown }).type !== 'string') {
          return this.#error('invalid_format', 'Expected a JSON object with a string "type"')
        }
        return this.#handle(msg as Record<string, unknown>, typeof d === 'string' ? d : JSON.stringify(d))
      },
    )
  }

  #canWrite(): boolean {
    return can(this.#d.principal, 'Messages_rw', this.#d.anonymousRead)
  }

  #handle(msg: Record<string, unknown>, raw: string): Maybe {
    const server = this.#d.server
    switch (msg.type) {
      case 'join_room': {
        if (typeof msg.room_id !== 'string') return this.#error('invalid_format', 'join_room needs a string room_id')
        const roomId = msg.room_id
        return this.#gate(
          'onJoinRoom',
          () => this.#event({ type: 'join_room', room_id: roomId, data: roomId }),
          (ev) => {
            const id = typeof ev?.room_id === 'string' ? ev.room_id : roomId
            const room = server.room(id)
            if (!room) return this.#error('room_not_found', `Room ${id} not found`, { room_id: id })
            const err = this.join(room)
            if (err === 'room_full') return this.#error('room_full', `Room ${id} is full (${room.maxConnections} connections)`, { room_id: id })
            if (err === 'already_in_room') return this.#error('already_in_room', `Already in room ${id}`, { room_id: id })
          },
        )
      }
      case 'leave_room': {
        if (typeof msg.room_id !== 'string') return this.#error('invalid_format', 'leave_room needs a string room_id')
        const roomId = msg.room_id
        return this.#gate(
          'onLeaveRoom',
          () => this.#event({ type: 'leave_room', room_id: roomId, data: roomId }),
          (ev) => {
            const id = typeof ev?.room_id === 'string' ? ev.room_id : roomId
            const room = server.room(id)
            if (room && this.#rooms.has(room)) this.leave(room, true)
            else this.#send(JSON.stringify({ type: 'room_left', room_id: id, timestamp: iso() }))
          },
        )
      }
      case 'room_message': {
        const message = textOf(msg)
        if (typeof msg.room_id !== 'string' || message === undefined) return this.#error('invalid_format', 'room_message needs a string room_id and a string message')
        if (!this.#canWrite()) return this.#error('unauthorized', 'Log in to post (needs Messages_rw)')
        const roomId = msg.room_id
        const room = server.room(roomId)
        if (!room) return this.#error('room_not_found', `Room ${roomId} not found`, { room_id: roomId })
        if (!this.#rooms.has(room)) return this.#error('not_in_room', `Join room ${roomId} before posting to it`, { room_id: roomId })
        return this.#gate(
          'onRoomMessage',
          () => this.#event({ type: 'room_message', room_id: roomId, message, from_client_id: this.clientId, data: msg }),
          (ev) => {
            const text = typeof ev?.message === 'string' ? ev.message : message
            void server.hub.publish({ topic: `rooms.${room.id}`, payload: { message: text }, from: { user: this.user, clientId: this.clientId, connectionId: this.id, dialect: 'rooms' } }).catch(() => undefined)
          },
        )
      }
      case 'direct_message': {
        const message = textOf(msg)
        if (typeof msg.target_client_id !== 'string' || message === undefined) return this.#error('invalid_format', 'direct_message needs a string target_client_id and a string data (or message)')
        if (!this.#canWrite()) return this.#error('unauthorized', 'Log in to send direct messages (needs Messages_rw)')
        const target = msg.target_client_id
        return this.#gate(
          'onDirectMessage',
          () => this.#event({ type: 'direct_message', target_client_id: target, message, from_client_id: this.clientId, data: msg }),
          (ev) => {
            const to = typeof ev?.target_client_id === 'string' ? ev.target_client_id : target
            const text = typeof ev?.message === 'string' ? ev.message : message
            const targets = server.findClients(to)
            if (targets.length === 0) return this.#error('client_not_found', `Client ${to} not found`, { target_client_id: to })
            for (const t of targets) t.sendDirect(text, this.clientId)
            return this.#ack(raw)
          },
        )
      }
      case 'ping':
        return this.#gate(
          'onPing',
          () => this.#event({ type: 'ping', data: msg }),
          () => {
            const sent = typeof msg.timestamp === 'number' ? msg.timestamp : typeof msg.timestamp === 'string' ? Date.parse(msg.timestamp) : NaN
            const latency = Number.isFinite(sent) ? Math.max(0, Date.now() - sent) : this.#rttMs
            this.lastPing = Date.now()
            this.#send(JSON.stringify({ type: 'pong', latency, timestamp: iso() }))
          },
        )
      case 'pong':
        this.lastPing = Date.now()
        this.#rttMs = Date.now() - this.#lastPingSent
        // The RNode client measures its latency from the ack of its pong.
        return this.#gate('onPong', () => this.#event({ type: 'pong', data: msg }), () => this.#ack(raw))
      default:
        return this.#ack(raw)
    }
  }
}

/** `message`, or `data` when it is a string, or `data.message` (the forms RNode clients send). */
function textOf(msg: Record<string, unknown>): string | undefined {
  if (typeof msg.message === 'string') return msg.message
  if (typeof msg.data === 'string') return msg.data
  const inner = (msg.data as { message?: unknown } | null)?.message
  return typeof inner === 'string' ? inner : undefined
}
