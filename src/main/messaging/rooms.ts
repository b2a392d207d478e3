import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { Principal } from '../../shared/auth.ts'
import type { Auth } from '../auth/index.ts'
import { type LanServer, refuseUpgrade } from '../lan/index.ts'
import type { Logger } from '../log/index.ts'
import type { Store } from '../store/index.ts'
import type { MessagingHub } from './hub.ts'
import { RoomsConnection } from './rooms-conn.ts'
import type { WebSocketOptions, WebSocketRoom, WebSocketSocket } from './rooms-types.ts'
import { authenticateUpgrade, type RtcLimits } from './rtc.ts'

export type * from './rooms-types.ts'

export interface Room {
  id: string
  name: string
  description?: string
  maxConnections?: number
  metadata: Record<string, string>
  createdAt: string
  members: Set<RoomsConnection>
}

/** A room as instances share it (config `redis`): members are per instance. */
export interface RoomDefinition {
  id: string
  name: string
  description?: string
  maxConnections?: number
  createdAt: string
}
export type RoomChange = { kind: 'upsert'; room: RoomDefinition } | { kind: 'delete'; id: string }

export class RoomsError extends Error {
  override name = 'RoomsError'
}

const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,64}$/

export const roomTopic = (roomId: string) => `rooms.${roomId}`

/**
 * The rooms API (RNode-style WebSocket rooms) on the shared bus: each room is the topic
 * `rooms.<id>`, so a /ws client subscribed to `rooms.*` sees room traffic and a /ws Broadcast to a
 * room's topic reaches its members. Its methods are the spec's server API.
 */
export class RoomsServer {
  readonly hub: MessagingHub
  #lan: LanServer
  #auth: Auth
  #store: Store
  #log: Logger
  #limits: RtcLimits
  #anonymousRead: boolean
  #rooms = new Map<string, Room>()
  /** A room created or deleted here (the scale-out announces it to the other instances). */
  onRoomChange: ((change: RoomChange) => void) | undefined
  #conns = new Set<RoomsConnection>()
  #handlers = 0
  #sweep: NodeJS.Timeout

  constructor(opts: { lan: LanServer; auth: Auth; hub: MessagingHub; store: Store; log: Logger; limits: RtcLimits; anonymousRead: boolean }) {
    this.hub = opts.hub
    this.#lan = opts.lan
    this.#auth = opts.auth
    this.#store = opts.store
    this.#log = opts.log.child({ area: 'messaging', dialect: 'rooms' })
    this.#limits = opts.limits
    this.#anonymousRead = opts.anonymousRead
    for (const r of this.#store.prepare('SELECT * FROM msg_rooms ORDER BY created_at').all() as Array<Record<string, unknown>>) {
      this.#rooms.set(r.id as string, {
        id: r.id as string,
        name: r.name as string,
        ...(r.description ? { description: r.description as string } : {}),
        ...(r.max_connections ? { maxConnections: r.max_connections as number } : {}),
        metadata: JSON.parse(r.metadata as string),
        createdAt: r.created_at as string,
        members: new Set(),
      })
    }
    const sweepMs = Math.max(10, Math.min(this.#limits.heartbeatMs, this.#limits.idleTimeoutMs) / 2)
    this.#sweep = setInterval(() => {
      const now = Date.now()
      for (const c of this.#conns) c.tick(now)
    }, sweepMs)
    this.#sweep.unref()
  }

  /** Registers a rooms WebSocket endpoint. Only the callbacks given are ever called (the others cost nothing). */
  websocket(path: string, options: WebSocketOptions = {}): void {
    const handlerId = `ws_handler_${++this.#handlers}`
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.#limits.maxFrameBytes * 16, perMessageDeflate: false })
    const log = this.#log
    this.#lan.ws(path, (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.hub.connectionCount >= this.#limits.maxConnections) return refuseUpgrade(socket, 503, 'Server at capacity', { 'Retry-After': '5' })
      const url = new URL(req.url ?? '/', 'http://x')
      const clientId = url.searchParams.get('clientId') ?? url.searchParams.get('client_id') ?? `client_${randomBytes(4).toString('hex')}`
      if (!CLIENT_ID.test(clientId)) return refuseUpgrade(socket, 400, 'clientId: 1-64 letters, digits, . _ : @ -')
      authenticateUpgrade(req, this.#auth, this.#anonymousRead).then((r) => {
        if (!r.ok) return refuseUpgrade(socket, r.status, r.text)
        if (socket.destroyed) return
        wss.handleUpgrade(req, socket, head, (ws) => {
          const c = new RoomsConnection(ws, req, {
            server: this,
            auth: this.#auth,
            principal: r.principal as Principal,
            clientId,
            path,
            handlerId,
            options,
            limits: this.#limits,
            log,
            anonymousRead: this.#anonymousRead,
          })
          this.#conns.add(c)
          ws.once('close', () => this.#conns.delete(c))
        })
      })
    })
  }

  /** `id`: a fixed id (the default room has the same id on every instance); random otherwise. */
  createRoom(name: string, description?: string, maxConnections?: number, id = `room_${randomBytes(16).toString('hex')}`): string {
    if (typeof name !== 'string' || !name.trim() || name.length > 100) throw new RoomsError('Room name is required (1-100 characters)')
    if (maxConnections !== undefined && (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 100_000)) throw new RoomsError('maxConnections must be an integer 1-100000')
    const def: RoomDefinition = { id, name: name.trim(), ...(description ? { description } : {}), ...(maxConnections ? { maxConnections } : {}), createdAt: new Date().toISOString() }
    this.#upsert(def)
    this.onRoomChange?.({ kind: 'upsert', room: def })
    return id
  }

  /** Rooms as definitions (shared with the other instances by the scale-out). */
  definitions(): RoomDefinition[] {
    return [...this.#rooms.values()].map((r) => ({ id: r.id, name: r.name, ...(r.description ? { description: r.description } : {}), ...(r.maxConnections ? { maxConnections: r.maxConnections } : {}), createdAt: r.createdAt }))
  }

  /** A room created or deleted on another instance (not announced again). */
  applyRemote(change: RoomChange): void {
    if (change.kind === 'delete') this.#delete(change.id)
    else if (typeof change.room?.id === 'string' && typeof change.room.name === 'string' && !this.#rooms.has(change.room.id)) this.#upsert(change.room)
  }

  #upsert(def: RoomDefinition): void {
    const room: Room = { ...def, metadata: {}, members: new Set() }
    this.#store
      .prepare('INSERT OR REPLACE INTO msg_rooms(id, name, description, max_connections, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(def.id, def.name, def.description ?? null, def.maxConnections ?? null, '{}', def.createdAt)
    this.#rooms.set(def.id, room)
    this.hub.events.emit('connections')
  }

  /** Deletes a room: its members are told (`room_left`) and removed. */
  deleteRoom(roomId: string): boolean {
    if (!this.#delete(roomId)) return false
    this.onRoomChange?.({ kind: 'delete', id: roomId })
    return true
  }

  #delete(roomId: string): boolean {
    const room = this.#rooms.get(roomId)
    if (!room) return false
    for (const c of [...room.members]) c.leave(room, true)
    this.#rooms.delete(roomId)
    this.#store.prepare('DELETE FROM msg_rooms WHERE id = ?').run(roomId)
    this.hub.events.emit('connections')
    return true
  }

  /** Sends a server message to every member (no `from_client_id`). False for an unknown room. */
  sendRoomMessage(roomId: string, message: string, from?: { user: string | null }): boolean {
    const room = this.#rooms.get(roomId)
    if (!room || typeof message !== 'string') return false
    void this.hub.publish({ topic: roomTopic(roomId), payload: { message }, from: { user: from?.user ?? null, dialect: 'server' } }).catch(() => undefined)
    return true
  }

  getRoomInfo(roomId: string): WebSocketRoom | null {
    const room = this.#rooms.get(roomId)
    return room ? roomInfo(room) : null
  }

  getAllRooms(): WebSocketRoom[] {
    return [...this.#rooms.values()].map(roomInfo)
  }

  joinRoom(connectionId: string, roomId: string): boolean {
    const c = this.#roomsConnection(connectionId)
    const room = this.#rooms.get(roomId)
    if (!c || !room) return false
    return c.join(room, true) === undefined
  }

  leaveRoom(connectionId: string, roomId: string): boolean {
    const c = this.#roomsConnection(connectionId)
    const room = this.#rooms.get(roomId)
    if (!c || !room || !room.members.has(c)) return false
    c.leave(room, true)
    return true
  }

  getClientInfo(connectionId: string): WebSocketSocket | null {
    const c = this.hub.connection(connectionId)
    if (!c) return null
    const rooms = c instanceof RoomsConnection ? c.roomIds() : []
    return {
      id: c.id,
      clientId: c.clientId,
      path: c.path,
      ...(rooms[0] ? { roomId: rooms[0] } : {}),
      rooms,
      handlerId: c instanceof RoomsConnection ? c.handlerId : c.dialect,
      user: c.user,
      metadata: { ...c.metadata, dialect: c.dialect },
      createdAt: new Date(c.createdAt).toISOString(),
      lastPing: new Date(c.lastPing).toISOString(),
    }
  }

  getUserRooms(connectionId: string): WebSocketRoom[] {
    const c = this.#roomsConnection(connectionId)
    return c ? c.roomIds().flatMap((id) => (this.#rooms.has(id) ? [roomInfo(this.#rooms.get(id)!)] : [])) : []
  }

  /** Internal: used by connections. */
  room(id: string): Room | undefined {
    return this.#rooms.get(id)
  }

  /** Rooms-dialect connections with this client id or connection id. */
  findClients(target: string): RoomsConnection[] {
    const byId = this.hub.connection(target)
    if (byId instanceof RoomsConnection) return [byId]
    return [...this.#conns].filter((c) => c.clientId === target)
  }

  close(): void {
    clearInterval(this.#sweep)
    for (const c of this.#conns) c.close(1001, 'Server shutting down')
  }

  #roomsConnection(id: string): RoomsConnection | undefined {
    const c = this.hub.connection(id)
    return c instanceof RoomsConnection ? c : undefined
  }
}

function roomInfo(r: Room): WebSocketRoom {
  return {
    id: r.id,
    name: r.name,
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.maxConnections !== undefined ? { maxConnections: r.maxConnections } : {}),
    connections: [...r.members].map((c) => c.id),
    connectionsCount: r.members.size,
    metadata: { ...r.metadata },
    createdAt: r.createdAt,
  }
}
