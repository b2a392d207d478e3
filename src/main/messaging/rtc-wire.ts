import { z } from 'zod'
import type { NotificationInfo } from './hub.ts'
import type { StoredPublication } from './storage.ts'
import type { DirectEnvelope, Publication } from './types.ts'

// The "real-time protocol" dialect at /ws: envelope {type, data, id?, timestamp?, metadata?}.

export const PROTOCOL_VERSION = '1.0'
export const FEATURES = ['broadcast', 'direct_message', 'presence', 'history', 'recovery', 'wildcards', 'binary', 'notifications', 'custom_types']

export const envelopeSchema = z.object({
  type: z.string().min(1).max(64),
  data: z.unknown().optional(),
  id: z.union([z.string().max(128), z.number()]).optional(),
  timestamp: z.number().optional(),
  metadata: z
    .object({
      priority: z.enum(['low', 'normal', 'high']).optional(),
      /** Seconds a message is kept (history, offline queue). */
      ttl: z.number().int().min(1).max(30 * 24 * 3600).optional(),
      encryption: z.string().max(32).optional(),
      compression: z.string().max(32).optional(),
    })
    .loose()
    .optional(),
})
export type Envelope = z.infer<typeof envelopeSchema>

const position = z.object({ offset: z.number().int().min(0), epoch: z.string().max(64) }).strict()

export const schemas = {
  Ping: z.object({ timestamp: z.number().optional() }).loose().optional(),
  Pong: z.object({ timestamp: z.number().optional() }).loose().optional(),
  Subscribe: z.object({ topics: z.array(z.string()).min(1).max(64), recover: z.record(z.string(), position).optional() }).strict(),
  Unsubscribe: z.object({ topics: z.array(z.string()).min(1).max(64) }).strict(),
  Broadcast: z.object({ topic: z.string(), payload: z.unknown().refine((v) => v !== undefined, 'payload is required') }).strict(),
  DirectMessage: z.object({ target_user: z.string().min(1).max(64), payload: z.unknown().refine((v) => v !== undefined, 'payload is required') }).strict(),
  History: z.object({ topic: z.string(), limit: z.number().int().min(1).max(1000).default(50), since: position.optional(), before: z.number().int().min(1).optional() }).strict(),
}

export function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ')
}

interface DeliveryMeta {
  sent_at: number
  message_id: string
  from_user: string | null
  priority: string
  offset?: number
  epoch?: string
  recovered?: boolean
}

function broadcastFrame(topic: string, payload: unknown, metadata: DeliveryMeta): string {
  return JSON.stringify({ type: 'Broadcast', data: { topic, payload, metadata } })
}

/** The frame every /ws subscriber of a publication receives: built once per publication. */
export function renderPublication(pub: Publication): Buffer {
  if (pub.kind === 'presence') return Buffer.from(JSON.stringify({ type: 'Presence', data: pub.payload }))
  const meta: DeliveryMeta = { sent_at: pub.sentAt, message_id: pub.messageId, from_user: pub.from.user, priority: pub.priority }
  if (pub.offset !== undefined) {
    meta.offset = pub.offset
    meta.epoch = pub.epoch
  }
  return Buffer.from(broadcastFrame(pub.topic, pub.payload, meta))
}

export function renderReplay(topic: string, epoch: string, p: StoredPublication): string {
  return broadcastFrame(topic, p.payload, { sent_at: p.sentAt, message_id: p.messageId, from_user: p.from.user, priority: p.priority, offset: p.offset, epoch, recovered: true })
}

export function renderDirect(dm: DirectEnvelope, queued: boolean): string {
  return JSON.stringify({
    type: 'DirectMessage',
    data: { from_user: dm.from.user, payload: dm.payload, metadata: { sent_at: dm.sentAt, message_id: dm.messageId, priority: dm.priority, ...(queued ? { queued: true } : {}) } },
  })
}

export function renderNotification(n: NotificationInfo): string {
  return JSON.stringify({ type: 'Notification', data: { level: n.level, title: n.title, message: n.message, actions: n.actions ?? [] } })
}
