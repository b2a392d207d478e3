import { z } from 'zod'
import { command, topic } from './define.ts'

// The messaging section of the UI API: the Messages page (topics, rooms, direct messages, presence).

export interface PresenceEntry {
  user_id: string
  status: 'online' | 'offline'
  last_seen: number
  metadata: Record<string, unknown>
}

export interface MessagingConnection {
  id: string
  dialect: 'rtc' | 'rooms' | 'ui'
  user: string | null
  clientId: string
  path: string
  address: string
  createdAt: number
  subscriptions: string[]
}

export interface MessagingRoom {
  id: string
  name: string
  description?: string
  maxConnections?: number
  connectionsCount: number
  /** The bus topic of the room (`rooms.<id>`). */
  topic: string
}

export interface MessagingOverview {
  me: string | null
  topics: Array<{ topic: string; top: number; epoch: string }>
  rooms: MessagingRoom[]
  presence: PresenceEntry[]
  connections: MessagingConnection[]
  stats: { connections: number; subscriptions: number; published: number; delivered: number }
  /** The camera controller's link (a device of the pit box), when known. */
  controller?: { state: string; detail: string }
}

export interface MessageItem {
  topic: string
  offset?: number
  epoch?: string
  messageId: string
  sentAt: number
  from: string | null
  payload: unknown
  priority: 'low' | 'normal' | 'high'
}

export interface DirectItem {
  messageId: string
  from: string | null
  to: string
  sentAt: number
  payload: unknown
  status: 'delivered' | 'queued' | 'unknown_user' | 'queue_full'
}

export type MessagingLiveEvent =
  | { kind: 'message'; message: MessageItem }
  | { kind: 'direct'; direct: DirectItem }
  | { kind: 'presence'; presence: PresenceEntry }
  /** Connections or rooms changed: refetch the overview. */
  | { kind: 'changed' }

const topicName = z.string().min(1).max(255)
const payload = z.union([z.object({ text: z.string().min(1).max(16_000) }).strict(), z.object({ payload: z.unknown() }).strict()])

export const messagingApi = {
  commands: {
    'messaging.overview': command(z.object({}).strict()).returns<MessagingOverview>(),
    'messaging.history': command(z.object({ topic: topicName, limit: z.number().int().min(1).max(500).default(100), before: z.number().int().min(1).optional() }).strict()).returns<{
      topic: string
      epoch: string
      top: number
      messages: MessageItem[]
    }>(),
    'messaging.publish': command(z.object({ topic: topicName, message: payload, priority: z.enum(['low', 'normal', 'high']).optional() }).strict()).returns<{ recipients: number; offset?: number; messageId: string }>(),
    'messaging.direct': command(z.object({ user: z.string().min(1).max(64), message: payload }).strict()).returns<DirectItem>(),
    /** Recent direct messages to or from the caller (kept in memory, newest last). */
    'messaging.directs': command(z.object({}).strict()).returns<DirectItem[]>(),
    'messaging.rooms.create': command(z.object({ name: z.string().min(1).max(100), description: z.string().max(500).optional(), maxConnections: z.number().int().min(1).max(100_000).optional() }).strict()).returns<{ roomId: string }>(),
    'messaging.notify': command(
      z.object({ level: z.enum(['info', 'warning', 'error', 'success']).default('info'), title: z.string().min(1).max(200), message: z.string().max(2000), user: z.string().max(64).optional() }).strict(),
    ).returns<{ delivered: number }>(),
  },
  topics: {
    /** Live publications matching `filters` (default everything except per-car timing), the caller's direct messages, presence and changes. */
    'messaging.live': topic(z.object({ filters: z.array(z.string().min(1).max(255)).max(64).optional() }).strict()).emits<MessagingLiveEvent>(),
  },
}
