import type { DirectItem, MessageItem, MessagingLiveEvent, MessagingOverview, PresenceEntry } from '../../shared/ui-api/index.ts'
import { LOCAL_ADMIN } from '../../shared/auth.ts'
import type { CoreContext } from '../core/engine.ts'
import { UiError } from '../uiapi/index.ts'
import { randomUUID } from 'node:crypto'
import { type HubConnection, type MessagingHub, newId, RESERVED_ROOTS } from './hub.ts'
import type { RoomsServer } from './rooms.ts'
import { checkFilter, checkTopic } from './topics.ts'
import type { BusSubscriber, DirectEnvelope, Publication } from './types.ts'

const RECENT_DIRECTS = 500
/** The page's default: everything but per-car timing (many messages a second). */
const DEFAULT_FILTERS = ['#']
const EXCLUDED_BY_DEFAULT = 'timing.car.'

function textOrPayload(m: { text: string } | { payload?: unknown }): unknown {
  return 'text' in m ? { message: m.text } : (m.payload ?? null)
}

function item(pub: Publication): MessageItem {
  return { topic: pub.topic, ...(pub.offset !== undefined ? { offset: pub.offset, epoch: pub.epoch } : {}), messageId: pub.messageId, sentAt: pub.sentAt, from: pub.from.user ?? pub.from.clientId ?? null, payload: pub.payload, priority: pub.priority }
}

/** UI API handlers of the messaging section (the Messages page). */
export function registerMessagingUi(ctx: CoreContext, hub: MessagingHub, rooms: RoomsServer, controller: () => { state: string; detail: string } | undefined): void {
  const { ui } = ctx
  // Recent direct messages, in memory, for the page's conversation view.
  const recent: DirectItem[] = []
  const remember = (dm: DirectEnvelope, status: DirectItem['status']): DirectItem => {
    const entry: DirectItem = { messageId: dm.messageId, from: dm.from.user, to: dm.targetUser, sentAt: dm.sentAt, payload: dm.payload, status }
    recent.push(entry)
    if (recent.length > RECENT_DIRECTS) recent.shift()
    return entry
  }
  hub.events.on('direct', (dm: DirectEnvelope, r) => {
    const text = (dm.payload as { message?: unknown } | null)?.message
    remember(dm, r.status)
    if (r.status === 'delivered' || r.status === 'queued') {
      const body = typeof text === 'string' ? text : dm.binary ? `(${dm.binary.length} bytes)` : JSON.stringify(dm.payload)
      ctx.events.emit('messaging.direct', { from: dm.from.user, to: dm.targetUser, text: body, messageId: dm.messageId, sentAt: dm.sentAt, status: r.status })
      // For the person at the desktop (user `local`), the shell shows a native notification (mutable per kind there).
      if (dm.targetUser === LOCAL_ADMIN.username) ctx.events.emit('notify', { kind: 'dm', title: `Message from ${dm.from.user ?? 'Pitwall'}`, body: body.slice(0, 200) })
    }
  })

  ui.handle('messaging.overview', 'Messages_r', async (_p, c): Promise<MessagingOverview> => ({
    me: c.principal.username,
    topics: await hub.history.topics(),
    rooms: rooms.getAllRooms().map((r) => ({ id: r.id, name: r.name, ...(r.description ? { description: r.description } : {}), ...(r.maxConnections ? { maxConnections: r.maxConnections } : {}), connectionsCount: r.connectionsCount ?? 0, topic: `rooms.${r.id}` })),
    presence: hub.presence.list(),
    connections: [...hub.connections()].map((x) => hub.infoOf(x)),
    stats: { connections: hub.connectionCount, ...pick(hub.bus.stats) },
    ...(controller() ? { controller: controller() } : {}),
  }))

  ui.handle('messaging.history', 'Messages_r', async (p) => {
    const c = checkTopic(p.topic)
    if (!c.ok) throw new UiError('invalid_params', c.reason)
    const page = await hub.history.read(p.topic, { limit: p.limit ?? 100, before: p.before })
    return {
      topic: page.topic,
      epoch: page.epoch,
      top: page.top,
      messages: page.publications.map((x) => ({ topic: p.topic, offset: x.offset, epoch: page.epoch, messageId: x.messageId, sentAt: x.sentAt, from: x.from.user ?? x.from.clientId ?? null, payload: x.payload, priority: x.priority })),
    }
  })

  ui.handle('messaging.publish', 'Messages_rw', async (p, c) => {
    const t = checkTopic(p.topic)
    if (!t.ok) throw new UiError('invalid_params', t.reason)
    if (RESERVED_ROOTS.has(t.levels[0]!)) throw new UiError('forbidden', `Topics under ${t.levels[0]}. are published by Pitwall only`)
    const { pub, recipients } = await hub.publish({ topic: p.topic, payload: textOrPayload(p.message), from: { user: c.principal.username, dialect: 'server' }, priority: p.priority })
    return { recipients, messageId: pub.messageId, ...(pub.offset !== undefined ? { offset: pub.offset } : {}) }
  })

  ui.handle('messaging.direct', 'Messages_rw', async (p, c) => {
    const messageId = newId('dm')
    const r = await hub.direct({ targetUser: p.user, payload: textOrPayload(p.message), from: { user: c.principal.username, dialect: 'server' }, messageId })
    if (r.status === 'unknown_user') throw new UiError('not_found', `No user ${p.user}`)
    if (r.status === 'queue_full') throw new UiError('unavailable', `Offline queue for ${p.user} is full; retry later`)
    return recent.findLast((d) => d.messageId === messageId)!
  })

  ui.handle('messaging.directs', 'Messages_r', (_p, c) => {
    const me = c.principal.username
    if (me === null) return [] // anonymous readers have no conversations
    return recent.filter((d) => d.from === me || d.to === me)
  })

  ui.handle('messaging.rooms.create', 'Messages_rw', (p) => {
    try {
      return { roomId: rooms.createRoom(p.name, p.description, p.maxConnections) }
    } catch (err) {
      throw new UiError('invalid_params', (err as Error).message)
    }
  })

  ui.handle('messaging.notify', 'Messages_rw', (p) => ({ delivered: hub.notify({ level: p.level ?? 'info', title: p.title, message: p.message }, p.user) }))

  ui.topic('messaging.live', 'Messages_r', (p, c, emit) => {
    const filters = p.filters ?? DEFAULT_FILTERS
    for (const f of filters) {
      const r = checkFilter(f)
      if (!r.ok) throw new UiError('invalid_params', r.reason)
    }
    const skipCars = !p.filters
    const me = c.principal.username
    const sub: BusSubscriber = {
      id: `ui_${newId('sub')}`,
      lastSeq: 0,
      deliver: (pub) => {
        if (pub.kind === 'binary') return false
        if (pub.kind === 'presence') return false // presence comes from the hub event below (also for users without a topic-safe name)
        if (skipCars && pub.topic.startsWith(EXCLUDED_BY_DEFAULT)) return false
        emit({ kind: 'message', message: item(pub) } satisfies MessagingLiveEvent)
        return true
      },
    }
    for (const f of filters) hub.bus.subscribe(sub, f)
    // A logged-in person on this page is one of their connections: direct messages to them are
    // delivered here (not queued), and presence shows them online.
    const person: HubConnection | undefined = me
      ? {
          id: randomUUID(),
          dialect: 'ui',
          user: me,
          clientId: `ui_${me}`,
          path: 'ui',
          address: c.transport,
          createdAt: Date.now(),
          lastPing: Date.now(),
          metadata: { transport: c.transport },
          lastSeq: 0,
          deliver: () => false,
          deliverDirect: (dm, queued, written) => {
            // Live ones reach the page through the 'direct' event below; queued ones are replayed from here.
            if (queued) emit({ kind: 'direct', direct: remember(dm, 'delivered') })
            written?.()
            return true
          },
          notify: () => false,
          close: () => {},
        }
      : undefined
    const onDirect = (dm: DirectEnvelope) => {
      if (me === null || (dm.from.user !== me && dm.targetUser !== me)) return
      const d = recent.findLast((x) => x.messageId === dm.messageId)
      if (d) emit({ kind: 'direct', direct: d })
    }
    const onPresence = (info: PresenceEntry) => emit({ kind: 'presence', presence: info })
    const onChanged = () => emit({ kind: 'changed' })
    // Registered after the recorder above, so `recent` already has the entry.
    hub.events.on('direct', onDirect)
    hub.events.on('presence', onPresence)
    hub.events.on('connections', onChanged)
    if (person) {
      hub.register(person)
      void hub.flushQueued(person).catch(() => undefined)
    }
    return () => {
      if (person) hub.unregister(person)
      hub.bus.unsubscribeAll(sub)
      hub.events.off('direct', onDirect)
      hub.events.off('presence', onPresence)
      hub.events.off('connections', onChanged)
    }
  })
}

function pick(s: { subscriptions: number; published: number; delivered: number }) {
  return { subscriptions: s.subscriptions, published: s.published, delivered: s.delivered }
}
