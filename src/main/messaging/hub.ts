import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Store } from '../store/index.ts'
import type { BusBackplane } from './backplane.ts'
import { MessageBus } from './bus.ts'
import { PresenceTracker } from './presence.ts'
import { type DmQueue, type History, HistoryStore, OfflineQueue } from './storage.ts'
import { checkTopic } from './topics.ts'
import type { BusSubscriber, Dialect, DirectEnvelope, PresenceInfo, Priority, Publication, Sender } from './types.ts'

export interface NotificationInfo {
  level: 'info' | 'warning' | 'error' | 'success'
  title: string
  message: string
  actions?: Array<{ label: string; url?: string; action?: string }>
}

/** A live connection of either dialect, as the hub sees it. */
export interface HubConnection extends BusSubscriber {
  readonly id: string
  readonly dialect: Dialect
  /** Token subject; null for anonymous connections. */
  readonly user: string | null
  readonly clientId: string
  readonly path: string
  readonly address: string
  readonly createdAt: number
  /** Last heartbeat exchange (ms). */
  lastPing: number
  readonly metadata: Record<string, string>
  /**
   * Hands a direct message to the peer; false when it could not be sent. `written` is called once
   * the bytes are out (without an error) — queued messages are removed from the store only then.
   */
  deliverDirect(dm: DirectEnvelope, queued?: boolean, written?: () => void): boolean
  /** Server notification; dialects without one ignore it. */
  notify(n: NotificationInfo): boolean
  close(code: number, reason: string): void
}

export interface ConnectionInfo {
  id: string
  dialect: Dialect
  user: string | null
  clientId: string
  path: string
  address: string
  createdAt: number
  lastPing: number
  subscriptions: string[]
}

export type DirectResult =
  | { status: 'delivered'; deliveredTo: string[] }
  | { status: 'queued' }
  | { status: 'unknown_user' }
  | { status: 'queue_full' }

export interface CustomTypeContext {
  connectionId: string
  user: string | null
  data: unknown
  id?: string | number
}
/** Handles an `X-` message; a returned value is sent back as `{type: <same X- type>, data: value}`. */
export type CustomTypeHandler = (ctx: CustomTypeContext) => unknown | Promise<unknown>

/** Topics only Pitwall publishes (clients get 403). */
export const RESERVED_ROOTS = new Set(['timing', 'device', 'presence', 'system'])
export const SERVER: Sender = Object.freeze({ user: null, dialect: 'server' as const })

/**
 * The other instances on the Redis backplane (scale-cluster.ts): where a user's other connections
 * are. Absent on a single instance.
 */
export interface MessagingCluster {
  /** Hands a direct message to the user's connections on other instances: which ones took it, and whether the user is connected elsewhere at all. */
  direct(dm: DirectEnvelope): Promise<{ deliveredTo: string[]; connected: boolean }>
}

export interface HubEvents {
  direct: [dm: DirectEnvelope, result: DirectResult]
  presence: [info: PresenceInfo]
  connections: []
}

let counter = 0
/** Short unique ids: instance-independent random prefix + counter. */
export function newId(prefix: string): string {
  return `${prefix}_${ID_PREFIX}${(++counter).toString(36)}`
}
const ID_PREFIX = randomBytes(4).toString('hex')

/**
 * The messaging domain under both wire dialects: the bus, history, the offline queue, presence,
 * the connection registry and direct-message routing.
 */
export class MessagingHub {
  readonly bus: MessageBus
  readonly history: History
  readonly queue: DmQueue
  /** Set by the scale-out (config `redis`): direct messages and presence across instances. */
  cluster: MessagingCluster | undefined
  readonly presence: PresenceTracker
  readonly events = new EventEmitter<HubEvents>()
  readonly instanceId: string
  #connections = new Map<string, HubConnection>()
  #byUser = new Map<string, Set<HubConnection>>()
  #customTypes = new Map<string, CustomTypeHandler>()
  #userExists: (user: string) => string | undefined
  #dmTtlSec: number

  constructor(opts: {
    instanceId: string
    store: Store
    backplane: BusBackplane
    historySize: number
    historyTtlSec: number
    dmQueueSize: number
    dmTtlSec: number
    /** Canonical user name when the user exists (Pitwall's users). */
    userExists: (user: string) => string | undefined
    /** Shared storage (Redis) instead of this instance's SQLite. */
    history?: History
    queue?: DmQueue
  }) {
    this.instanceId = opts.instanceId
    this.bus = new MessageBus({ instanceId: opts.instanceId, backplane: opts.backplane })
    this.history = opts.history ?? new HistoryStore(opts.store, { size: opts.historySize, ttlSec: opts.historyTtlSec })
    this.queue = opts.queue ?? new OfflineQueue(opts.store, { maxPerUser: opts.dmQueueSize })
    this.presence = new PresenceTracker(opts.store, (info) => this.#publishPresence(info))
    this.#userExists = opts.userExists
    this.#dmTtlSec = opts.dmTtlSec
    this.events.setMaxListeners(100)
    this.bus.onDirect((dm) => this.deliverLocalDirect(dm))
  }

  get connectionCount(): number {
    return this.#connections.size
  }

  register(conn: HubConnection): void {
    this.#connections.set(conn.id, conn)
    if (conn.user) {
      let set = this.#byUser.get(conn.user)
      if (!set) this.#byUser.set(conn.user, (set = new Set()))
      set.add(conn)
      this.presence.connect(conn.user, conn.id, conn.dialect === 'rtc' ? 'ws' : conn.dialect)
    }
    this.events.emit('connections')
  }

  unregister(conn: HubConnection): void {
    if (!this.#connections.delete(conn.id)) return
    this.bus.unsubscribeAll(conn)
    if (conn.user) {
      const set = this.#byUser.get(conn.user)
      set?.delete(conn)
      if (set?.size === 0) this.#byUser.delete(conn.user)
      this.presence.disconnect(conn.user, conn.id)
    }
    this.events.emit('connections')
  }

  /**
   * Shutdown: forgets every connection now (recording each user's last_seen while the store is open).
   * Their sockets finish the close handshake later; by then unregister() has nothing left to do, so a
   * late close never touches a closed database.
   */
  unregisterAll(): void {
    for (const conn of [...this.#connections.values()]) this.unregister(conn)
  }

  connection(id: string): HubConnection | undefined {
    return this.#connections.get(id)
  }

  connections(): IterableIterator<HubConnection> {
    return this.#connections.values()
  }

  infoOf(c: HubConnection): ConnectionInfo {
    return { id: c.id, dialect: c.dialect, user: c.user, clientId: c.clientId, path: c.path, address: c.address, createdAt: c.createdAt, lastPing: c.lastPing, subscriptions: this.bus.filtersOf(c) }
  }

  /**
   * Stores (history) then delivers a message. `exclude` (the sender's connection) does not receive it.
   * Returns the publication (with offset/epoch when stored) and the local recipients.
   */
  async publish(input: { topic: string; payload: unknown; from: Sender; priority?: Priority; ttl?: number; store?: boolean; messageId?: string }, exclude?: BusSubscriber): Promise<{ pub: Publication; recipients: number }> {
    const pub: Publication = {
      kind: 'broadcast',
      topic: input.topic,
      payload: input.payload,
      messageId: input.messageId ?? newId('bc'),
      sentAt: Date.now(),
      from: input.from,
      priority: input.priority ?? 'normal',
      ...(input.ttl ? { ttl: input.ttl } : {}),
      origin: this.instanceId,
      wire: {},
    }
    if (input.store !== false) {
      // SQLite answers synchronously (delivery stays in the caller's turn); Redis asynchronously, in order.
      const stored = this.history.append(pub)
      if (stored) await stored
    }
    const recipients = this.bus.publish(pub, exclude)
    return { pub, recipients }
  }

  /** Live-only binary publication (not kept in history). */
  publishBinary(topic: string, frame: Uint8Array, from: Sender, exclude?: BusSubscriber): number {
    const pub: Publication = { kind: 'binary', topic, payload: null, binary: frame, messageId: newId('bin'), sentAt: Date.now(), from, priority: 'normal', origin: this.instanceId, wire: {} }
    return this.bus.publish(pub, exclude)
  }

  /** Pitwall's own events (`timing.*`, `device.camera`, ...). */
  publishSystem(topic: string, payload: unknown): void {
    if (!checkTopic(topic).ok) return
    void this.publish({ topic, payload, from: SERVER }).catch(() => undefined)
  }

  /**
   * Direct message to every connection of a user (except the sender's); stored for later when the
   * user is not connected anywhere.
   */
  async direct(input: { targetUser: string; payload: unknown; from: Sender; priority?: Priority; ttl?: number; binary?: Uint8Array; messageId?: string }, exclude?: HubConnection): Promise<DirectResult> {
    const user = this.#userExists(input.targetUser)
    const dm: DirectEnvelope = {
      targetUser: user ?? input.targetUser,
      from: input.from,
      payload: input.payload,
      messageId: input.messageId ?? newId('dm'),
      sentAt: Date.now(),
      priority: input.priority ?? 'normal',
      ttl: Math.min(input.ttl ?? this.#dmTtlSec, this.#dmTtlSec),
      ...(input.binary ? { binary: input.binary } : {}),
    }
    let result: DirectResult
    if (!user) result = { status: 'unknown_user' }
    else {
      const deliveredTo = this.deliverLocalDirect(dm, exclude)
      // Connections on other instances (the Ack lists them too).
      const remote = this.cluster ? await this.cluster.direct(dm) : { deliveredTo: [], connected: false }
      deliveredTo.push(...remote.deliveredTo)
      if (deliveredTo.length > 0) result = { status: 'delivered', deliveredTo }
      else if (this.#byUser.has(dm.targetUser)) result = { status: 'delivered', deliveredTo: [] } // only the sender's own connection
      else {
        const q = await this.queue.enqueue(dm)
        result = q.ok ? { status: 'queued' } : { status: 'queue_full' }
      }
    }
    this.events.emit('direct', dm, result)
    return result
  }

  /**
   * Sends the user's queued direct messages, in order; each is removed from the queue once written
   * to the socket (a connection lost before that gets it again next time).
   */
  async flushQueued(conn: HubConnection): Promise<number> {
    if (!conn.user) return 0
    return this.queue.drain(conn.user, (dm, written) => conn.deliverDirect(dm, true, written))
  }

  notify(n: NotificationInfo, user?: string): number {
    let count = 0
    const targets = user ? (this.#byUser.get(user) ?? []) : this.#connections.values()
    for (const c of targets) if (c.notify(n)) count++
    return count
  }

  registerType(type: string, handler: CustomTypeHandler): void {
    if (!type.startsWith('X-')) throw new Error('custom message types start with X-')
    this.#customTypes.set(type, handler)
  }

  customType(type: string): CustomTypeHandler | undefined {
    return this.#customTypes.get(type)
  }

  /** Hands a direct message to the user's connections here; returns the connection ids that took it. */
  deliverLocalDirect(dm: DirectEnvelope, exclude?: HubConnection): string[] {
    const out: string[] = []
    for (const c of this.#byUser.get(dm.targetUser) ?? []) {
      if (c === exclude) continue
      if (c.deliverDirect(dm)) out.push(c.id)
    }
    return out
  }

  #publishPresence(info: PresenceInfo): void {
    const topic = `presence.${info.user_id}`
    if (checkTopic(topic).ok) {
      const pub: Publication = { kind: 'presence', topic, payload: info, messageId: newId('pr'), sentAt: Date.now(), from: SERVER, priority: 'high', origin: this.instanceId, wire: {} }
      // Across instances every instance derives presence itself (scale-cluster.ts): local delivery only.
      if (this.cluster) this.bus.deliverLocal(pub)
      else this.bus.publish(pub)
    }
    this.events.emit('presence', info)
  }
}
