import { create } from 'zustand'
import type { DirectItem, MessageItem, MessagingLiveEvent, MessagingOverview, PresenceEntry } from '../../../../shared/ui-api/index.ts'

/** A conversation: a topic (rooms are topics `rooms.<id>`) or a direct conversation with a person. */
export type ConvKey = `topic:${string}` | `dm:${string}`

const MAX_PER_CONV = 500

export interface MessagesState {
  overview: MessagingOverview | null
  selected: ConvKey | null
  /** Loaded history + live messages per topic conversation. */
  messages: Record<string, MessageItem[]>
  directs: DirectItem[]
  unread: Record<string, number>
  /** Topics seen live that have no history entry in the overview yet. */
  liveTopics: string[]
  setOverview(o: MessagingOverview): void
  select(key: ConvKey | null): void
  setHistory(topic: string, items: MessageItem[]): void
  setDirects(items: DirectItem[]): void
  apply(e: MessagingLiveEvent): void
}

export const dmPeer = (d: DirectItem, me: string | null) => (d.from === me ? d.to : (d.from ?? 'Pitwall'))

export const useMessages = create<MessagesState>((set, get) => ({
  overview: null,
  selected: null,
  messages: {},
  directs: [],
  unread: {},
  liveTopics: [],
  setOverview: (overview) => set({ overview }),
  select: (selected) => set((s) => ({ selected, unread: selected ? { ...s.unread, [selected]: 0 } : s.unread })),
  setHistory: (topic, items) =>
    set((s) => {
      // Merge by messageId: live messages may have arrived while history was loading.
      const live = s.messages[topic] ?? []
      const seen = new Set(items.map((m) => m.messageId))
      const merged = [...items, ...live.filter((m) => !seen.has(m.messageId))].sort((a, b) => (a.offset ?? a.sentAt) - (b.offset ?? b.sentAt))
      return { messages: { ...s.messages, [topic]: merged.slice(-MAX_PER_CONV) } }
    }),
  setDirects: (directs) => set({ directs }),
  apply: (e) => {
    const s = get()
    if (e.kind === 'message') {
      const topic = e.message.topic
      const list = [...(s.messages[topic] ?? [])]
      if (list.some((m) => m.messageId === e.message.messageId)) return
      list.push(e.message)
      const key: ConvKey = `topic:${topic}`
      const known = s.overview?.topics.some((t) => t.topic === topic) || s.liveTopics.includes(topic)
      set({
        messages: { ...s.messages, [topic]: list.slice(-MAX_PER_CONV) },
        unread: s.selected === key ? s.unread : { ...s.unread, [key]: (s.unread[key] ?? 0) + 1 },
        liveTopics: known ? s.liveTopics : [...s.liveTopics, topic],
      })
    } else if (e.kind === 'direct') {
      if (s.directs.some((d) => d.messageId === e.direct.messageId)) return
      const me = s.overview?.me ?? null
      const key: ConvKey = `dm:${dmPeer(e.direct, me)}`
      const incoming = e.direct.from !== me
      set({ directs: [...s.directs, e.direct].slice(-MAX_PER_CONV), unread: incoming && s.selected !== key ? { ...s.unread, [key]: (s.unread[key] ?? 0) + 1 } : s.unread })
    } else if (e.kind === 'presence') {
      if (!s.overview) return
      const others = s.overview.presence.filter((p: PresenceEntry) => p.user_id !== e.presence.user_id)
      set({ overview: { ...s.overview, presence: [e.presence, ...others] } })
    }
  },
}))

/** A message's text: `payload.message` when it is a string, else the JSON. */
export function textOf(payload: unknown): string {
  if (typeof payload === 'string') return payload
  const m = (payload as { message?: unknown } | null)?.message
  return typeof m === 'string' ? m : JSON.stringify(payload)
}
