// Shapes that travel on the bus, shared by both wire dialects and the backplane.

export type Priority = 'low' | 'normal' | 'high'
/** `ui`: a person on the Messages page (UI API), which counts as that user's connection. */
export type Dialect = 'rtc' | 'rooms' | 'ui'

/** Who sent a message: a user (token subject), a connection, or Pitwall itself (`server`). */
export interface Sender {
  user: string | null
  connectionId?: string
  /** Rooms dialect client id (`?clientId=`). */
  clientId?: string
  dialect: Dialect | 'server'
}

export interface PresenceInfo {
  user_id: string
  status: 'online' | 'offline'
  last_seen: number
  metadata: Record<string, unknown>
}

/** One message on a topic. `wire` caches each dialect's serialized frame so it is built once for every recipient. */
export interface Publication {
  kind: 'broadcast' | 'presence' | 'binary'
  topic: string
  /** JSON value (broadcast), PresenceInfo (presence). */
  payload: unknown
  /** The whole binary frame as delivered (kind 'binary'). */
  binary?: Uint8Array
  messageId: string
  sentAt: number
  from: Sender
  priority: Priority
  /** Seconds the message stays in history. */
  ttl?: number
  /** Position in the topic's history stream (when history is kept). */
  offset?: number
  epoch?: string
  /** Instance that published it (backplane). */
  origin: string
  wire: { rtc?: Buffer; rtcFrame?: Buffer; rooms?: Buffer; roomsFrame?: Buffer; binFrame?: Buffer }
}

export interface DirectEnvelope {
  targetUser: string
  from: Sender
  payload: unknown
  messageId: string
  sentAt: number
  priority: Priority
  ttl: number
  binary?: Uint8Array
}

/** Something that receives publications: a connection of either dialect, or an in-core listener (UI). */
export interface BusSubscriber {
  readonly id: string
  /** Set by the bus: the sequence number of the last publication delivered, so overlapping filters deliver once. */
  lastSeq: number
  /** Returns whether the message was handed to the peer (false: dropped, e.g. a slow reader). */
  deliver(pub: Publication): boolean
}

/** What goes to other instances through a backplane. Buffers are carried as base64 by transports that need text. */
export type BackplaneMessage =
  | { kind: 'publish'; origin: string; pub: Omit<Publication, 'wire'> }
  | { kind: 'direct'; origin: string; dm: DirectEnvelope }
