// The rooms API's public types, as the RNode WebSocket spec declares them (specs/rooms-websocket-api.md).

export interface WebSocketEventData {
  connectionId: string
  path: string
  handlerId: string
  /** The raw text frame (onMessage), room id (join/leave), binary size (onBinaryMessage) or the event's payload. */
  data?: any
  timestamp?: string
  client_id?: string
  room_id?: string
  target_client_id?: string
  from_client_id?: string
  message?: string
  error?: string
  error_type?: string
  type?: string
}

export interface WebSocketEventResult {
  /** Stop the event: the client gets `{type:"error", error_type:"message_blocked", error}`. */
  shouldCancel?: boolean
  /** Replace the event's data (e.g. rewrite `message`, or `data` for onMessage) before it is processed. */
  modifiedEvent?: any
  error?: string
}

export type WebSocketCallback = (data: WebSocketEventData) => WebSocketEventResult | void | Promise<WebSocketEventResult | void>

export interface WebSocketOptions {
  onConnect?: WebSocketCallback
  onMessage?: WebSocketCallback
  onClose?: WebSocketCallback
  onError?: WebSocketCallback
  onJoinRoom?: WebSocketCallback
  onLeaveRoom?: WebSocketCallback
  onPing?: WebSocketCallback
  onPong?: WebSocketCallback
  onBinaryMessage?: WebSocketCallback
  onWelcome?: WebSocketCallback
  onMessageAck?: WebSocketCallback
  onRoomMessage?: WebSocketCallback
  onDirectMessage?: WebSocketCallback
  onServerError?: WebSocketCallback
}

export interface WebSocketRoom {
  id: string
  name: string
  description?: string
  maxConnections?: number
  connections: string[]
  connectionsCount?: number
  metadata: Record<string, string>
  createdAt: string
}

export interface WebSocketSocket {
  id: string
  clientId: string
  path: string
  /** The first room the connection is in (the spec's single-room field); `rooms` lists them all. */
  roomId?: string
  rooms: string[]
  handlerId: string
  /** Token subject, when the connection logged in. */
  user: string | null
  metadata: Record<string, string>
  createdAt: string
  lastPing: string
}

/** `error_type` values sent by the rooms dialect. */
export type RoomsErrorType =
  | 'invalid_json'
  | 'invalid_format'
  | 'room_not_found'
  | 'room_full'
  | 'already_in_room'
  | 'not_in_room'
  | 'client_not_found'
  | 'message_blocked'
  | 'unauthorized'
  | 'rate_limited'
  | 'message_too_large'
  | 'unsupported'
  | 'connection_rejected'
  | 'server_error'
