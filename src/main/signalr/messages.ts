// SignalR hub messages (HubProtocol.md): the shapes every HubProtocol parses to and writes from.

/** Message type ids, identical in every protocol (JSON `type`, MessagePack array slot 0). */
export const MessageType = {
  Invocation: 1,
  StreamItem: 2,
  Completion: 3,
  StreamInvocation: 4,
  CancelInvocation: 5,
  Ping: 6,
  Close: 7,
  Ack: 8,
  Sequence: 9,
} as const
export type MessageTypeId = (typeof MessageType)[keyof typeof MessageType]

export type MessageHeaders = Record<string, string>

export interface InvocationMessage {
  type: 1
  headers?: MessageHeaders
  /** Absent: fire-and-forget, the callee must not answer. */
  invocationId?: string
  target: string
  arguments: unknown[]
  /** Ids of client-to-server streams that fill the method's stream parameters, in order. */
  streamIds?: string[]
}

export interface StreamItemMessage {
  type: 2
  headers?: MessageHeaders
  invocationId: string
  item: unknown
}

/** `error` set: failed; otherwise `result` present (`'result' in msg`): a value; neither: void. */
export interface CompletionMessage {
  type: 3
  headers?: MessageHeaders
  invocationId: string
  error?: string
  result?: unknown
}

export interface StreamInvocationMessage {
  type: 4
  headers?: MessageHeaders
  invocationId: string
  target: string
  arguments: unknown[]
  streamIds?: string[]
}

export interface CancelInvocationMessage {
  type: 5
  headers?: MessageHeaders
  invocationId: string
}

export interface PingMessage {
  type: 6
}

export interface CloseMessage {
  type: 7
  error?: string
  allowReconnect?: boolean
}

export interface AckMessage {
  type: 8
  sequenceId: number
}

export interface SequenceMessage {
  type: 9
  sequenceId: number
}

export type HubMessage =
  | InvocationMessage
  | StreamItemMessage
  | CompletionMessage
  | StreamInvocationMessage
  | CancelInvocationMessage
  | PingMessage
  | CloseMessage
  | AckMessage
  | SequenceMessage

/** Messages that count for stateful reconnect (sequence ids, replay buffer). */
export function isTrackable(m: HubMessage): boolean {
  return m.type >= 1 && m.type <= 5
}
