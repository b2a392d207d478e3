// One hub at runtime: its connections, groups, users, broadcasts and settings.
import { randomBytes } from 'node:crypto'
import type { Permission, Principal } from '../../shared/auth.ts'
import type { Logger } from '../log/index.ts'
import { Connection, type ConnectionSettings, type HubHost, type SessionCheck } from './connection.ts'
import type { ClientProxy, HubContext } from './context.ts'
import { ALL_TRANSPORTS, HubError, type HubConnectionInfo, type HubDefinition, type HubMethod, type TransportName } from './hub.ts'
import { type HubMessage, MessageType } from './messages.ts'
import type { HubProtocol } from './protocol.ts'

/** Per-hub options for `HubServer.addHub()`. Every field is optional; defaults in brackets. */
export interface HubOptions {
  /**
   * With a backplane (config `redis`), sends to all / allExcept / users / groups also reach the
   * connections on the other instances [true]. False for a hub whose pushes every instance derives
   * itself from replicated state (the RedMist status hub follows each instance's mirrored timing store).
   */
  scaleOut?: boolean
  /** Transports offered by negotiate and accepted [all three]. `['WebSockets']` makes a WebSockets-only hub like RedMist's. */
  transports?: readonly TransportName[]
  /** Protocols the handshake accepts [JSON, MessagePack]. Add your own HubProtocol here. */
  protocols?: readonly HubProtocol[]
  /** Permission needed to connect at all (negotiate / connect answer 401/403 without it) [none: anyone]. */
  permission?: Permission
  /** Idle time before the server sends a Ping [config.signalr.keepAliveMs, 15 s]. */
  keepAliveMs?: number
  /** A client silent this long is dropped [config.signalr.clientTimeoutMs, 30 s]. */
  clientTimeoutMs?: number
  /** Time from transport open to a complete handshake [config.signalr.handshakeTimeoutMs, 15 s]. */
  handshakeTimeoutMs?: number
  /** Largest transport message (WebSocket message, POST body) accepted [32 KiB, as ASP.NET Core]. */
  maxMessageBytes?: number
  /** Non-streaming invocations run at once per client [1, as ASP.NET Core]; more wait in order. */
  maxParallelInvocations?: number
  /** Invocations allowed to wait behind those; beyond it the connection is closed with an error [100]. */
  maxQueuedInvocations?: number
  /** Unconsumed items buffered per client-to-server stream before the connection is closed [100]. */
  streamBufferCapacity?: number
  /** Offer stateful reconnect to clients that ask (WebSockets + negotiate only) [true]. */
  statefulReconnect?: boolean
  /** Unacknowledged bytes kept for replay per connection; more closes the connection [1 MiB]. */
  statefulBufferBytes?: number
  /** How long a stateful connection waits for its client to reconnect [= clientTimeoutMs]. */
  reconnectWindowMs?: number
  /** Default timeout of `invokeClient` [30 s]. */
  clientResultTimeoutMs?: number
  /** Bytes queued for a slow client before it is dropped [4 MiB]. */
  maxBufferedBytes?: number
  /** Connections (including negotiated ones not yet connected) [10 000]. */
  maxConnections?: number
  /** How long a long poll is held when there is nothing to send [90 s]. */
  longPollTimeoutMs?: number
}

export interface HubDefaults {
  keepAliveMs: number
  clientTimeoutMs: number
  handshakeTimeoutMs: number
  anonymousRead: boolean
  sessions: SessionCheck | undefined
}

const GROUP_NAME_MAX = 256
/** Bounds the memory one client can make the server hold through Join-style methods. */
const GROUPS_PER_CONNECTION_MAX = 1000

/** Who a send is for, as forwarded to the other instances (connection ids are per instance). */
export type ScaleTarget =
  | { kind: 'all' }
  | { kind: 'allExcept'; ids: string[] }
  | { kind: 'users'; ids: string[] }
  | { kind: 'groups'; names: string[] }
  | { kind: 'groupExcept'; name: string; ids: string[] }

export class HubRuntime implements HubHost, HubContext {
  readonly path: string
  readonly settings: ConnectionSettings
  readonly log: Logger
  readonly transports: readonly TransportName[]
  readonly permission: Permission | undefined
  readonly statefulReconnect: boolean
  readonly maxConnections: number
  readonly longPollTimeoutMs: number
  #definition: HubDefinition
  #methods = new Map<string, HubMethod>()
  #protocols = new Map<string, HubProtocol>()
  /** Every connection by its transport token (pending, open, detached). */
  #byToken = new Map<string, Connection>()
  /** Open connections by public id. */
  #open = new Map<string, Connection>()
  #closing = new Map<string, Connection>()
  #groups = new Map<string, Set<Connection>>()
  #users = new Map<string, Set<Connection>>()
  #connectedHooks = new Set<(c: HubConnectionInfo) => void>()
  #disconnectedHooks = new Set<(c: HubConnectionInfo, e: string | undefined) => void>()
  #sweep: NodeJS.Timeout
  readonly scaleOut: boolean
  /** Set by HubServer.useBackplane: forwards a send to the other instances. */
  forward: ((to: ScaleTarget, target: string, args: unknown[]) => void) | undefined

  constructor(path: string, definition: HubDefinition, options: HubOptions, defaults: HubDefaults, protocols: readonly HubProtocol[], log: Logger) {
    this.path = path
    this.log = log.child({ hub: path })
    this.#definition = definition
    for (const [name, m] of Object.entries(definition.methods)) this.#methods.set(name.toLowerCase(), m)
    for (const p of options.protocols ?? protocols) this.#protocols.set(p.name, p)
    this.transports = options.transports ?? ALL_TRANSPORTS
    this.scaleOut = options.scaleOut ?? true
    this.permission = options.permission
    this.statefulReconnect = options.statefulReconnect ?? true
    this.maxConnections = options.maxConnections ?? 10_000
    this.longPollTimeoutMs = options.longPollTimeoutMs ?? 90_000
    const clientTimeoutMs = options.clientTimeoutMs ?? defaults.clientTimeoutMs
    this.settings = {
      keepAliveMs: options.keepAliveMs ?? defaults.keepAliveMs,
      clientTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? defaults.handshakeTimeoutMs,
      maxMessageBytes: options.maxMessageBytes ?? 32 * 1024,
      maxParallelInvocations: Math.max(1, options.maxParallelInvocations ?? 1),
      maxQueuedInvocations: options.maxQueuedInvocations ?? 100,
      streamBufferCapacity: options.streamBufferCapacity ?? 100,
      statefulBufferBytes: options.statefulBufferBytes ?? 1024 * 1024,
      reconnectWindowMs: options.reconnectWindowMs ?? clientTimeoutMs,
      clientResultTimeoutMs: options.clientResultTimeoutMs ?? 30_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
      anonymousRead: defaults.anonymousRead,
      sessions: defaults.sessions,
    }
    const s = this.settings
    const every = Math.max(20, Math.min(1000, Math.floor(Math.min(s.keepAliveMs, s.clientTimeoutMs, s.handshakeTimeoutMs, s.reconnectWindowMs) / 4)))
    this.#sweep = setInterval(() => {
      const now = Date.now()
      for (const c of [...this.#byToken.values()]) {
        try {
          c.tick(now)
        } catch (err) {
          this.log.error({ err, connectionId: c.connectionId }, 'connection check failed')
        }
      }
    }, every)
    this.#sweep.unref()
  }

  get context(): HubContext {
    return this
  }

  get availableProtocols(): HubProtocol[] {
    return [...this.#protocols.values()]
  }

  /** Connections known by token, including ones not yet open. */
  get size(): number {
    return this.#byToken.size
  }

  protocol(name: string): HubProtocol | undefined {
    return this.#protocols.get(name)
  }

  method(name: string): HubMethod | undefined {
    return this.#methods.get(name.toLowerCase())
  }

  /** Creates a connection (at negotiate, or at a WebSocket connect without negotiate). */
  create(user: Principal, opts: { legacyIds: boolean; stateful: boolean; remoteAddress?: string; transport: TransportName }): Connection {
    const connectionId = randomBytes(16).toString('base64url')
    const token = opts.legacyIds ? connectionId : randomBytes(16).toString('base64url')
    const conn = new Connection(this, { connectionId, token, user, remoteAddress: opts.remoteAddress, stateful: opts.stateful, transport: opts.transport })
    this.#byToken.set(token, conn)
    return conn
  }

  byToken(token: string): Connection | undefined {
    return this.#byToken.get(token)
  }

  /** A long-polling connection that just closed and still has its last messages to hand out. */
  closingByToken(token: string): Connection | undefined {
    return this.#closing.get(token)
  }

  opened(conn: Connection): void {
    this.#open.set(conn.connectionId, conn)
    if (conn.userId !== null) addTo(this.#users, conn.userId, conn)
    this.log.debug({ connectionId: conn.connectionId, transport: conn.transport, protocol: conn.protocol, user: conn.userId }, 'connection open')
    this.#runHook(() => this.#definition.onConnected?.(conn, this), 'onConnected')
    for (const fn of this.#connectedHooks) this.#runHook(() => fn(conn), 'onConnected listener')
  }

  closed(conn: Connection, error: string | undefined, wasOpen: boolean): void {
    this.#byToken.delete(conn.token)
    if (conn.currentTransport?.name === 'LongPolling') {
      // The Close message waits in the long-poll queue: keep answering polls for a moment.
      this.#closing.set(conn.token, conn)
      setTimeout(() => this.#closing.delete(conn.token), 10_000).unref()
    }
    if (!this.#open.delete(conn.connectionId)) return
    if (conn.userId !== null) removeFrom(this.#users, conn.userId, conn)
    for (const g of conn.groups) removeFrom(this.#groups, g, conn)
    conn.groups.clear()
    if (!wasOpen) return
    this.log.debug({ connectionId: conn.connectionId, error }, 'connection closed')
    this.#runHook(() => this.#definition.onDisconnected?.(conn, error, this), 'onDisconnected')
    for (const fn of this.#disconnectedHooks) this.#runHook(() => fn(conn, error), 'onDisconnected listener')
  }

  #runHook(fn: () => unknown, what: string): void {
    try {
      const r = fn()
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((err) => this.log.error({ err }, `${what} failed`))
    } catch (err) {
      this.log.error({ err }, `${what} failed`)
    }
  }

  /** Closes every connection (server shutdown). */
  shutdown(): void {
    clearInterval(this.#sweep)
    for (const c of [...this.#byToken.values()]) c.close('Server is shutting down.', true)
  }

  // ---- HubContext ----

  #proxy(targets: () => Iterable<Connection>, to?: ScaleTarget): ClientProxy {
    return {
      send: (target, ...args) => {
        this.#broadcast(targets(), { type: MessageType.Invocation, target, arguments: args })
        if (to && this.scaleOut) this.forward?.(to, target, args)
      },
    }
  }

  /** A send forwarded by another instance: to the matching connections here only. */
  deliverForwarded(to: ScaleTarget, target: string, args: unknown[]): void {
    const msg: HubMessage = { type: MessageType.Invocation, target, arguments: args }
    switch (to.kind) {
      case 'all':
        return this.#broadcast(this.#open.values(), msg)
      case 'allExcept': {
        const skip = new Set(to.ids)
        return this.#broadcast([...this.#open.values()].filter((c) => !skip.has(c.connectionId)), msg)
      }
      case 'users':
        return this.#broadcast(new Set(to.ids.flatMap((u) => [...(this.#users.get(u) ?? [])])), msg)
      case 'groups':
        return this.#broadcast(new Set(to.names.flatMap((g) => [...(this.#groups.get(g) ?? [])])), msg)
      case 'groupExcept': {
        const skip = new Set(to.ids)
        return this.#broadcast([...(this.#groups.get(to.name) ?? [])].filter((c) => !skip.has(c.connectionId)), msg)
      }
    }
  }

  /** Serialises once per protocol, then hands the same bytes to every connection. */
  #broadcast(conns: Iterable<Connection>, msg: HubMessage): void {
    const cache = new Map<object, Uint8Array | null>()
    for (const c of conns) {
      const p = c.hubProtocol
      if (!p) continue
      let bytes = cache.get(p)
      if (bytes === undefined) {
        try {
          bytes = p.write(msg)
        } catch (err) {
          this.log.warn({ err: (err as Error).message, protocol: p.name }, 'broadcast could not be serialised')
          bytes = null
        }
        cache.set(p, bytes)
      }
      if (bytes) c.sendBytes(bytes, true)
    }
  }

  get all(): ClientProxy {
    return this.#proxy(() => this.#open.values(), { kind: 'all' })
  }
  allExcept(ids: readonly string[]): ClientProxy {
    const skip = new Set(ids)
    return this.#proxy(() => [...this.#open.values()].filter((c) => !skip.has(c.connectionId)), { kind: 'allExcept', ids: [...ids] })
  }
  client(id: string): ClientProxy {
    return this.#proxy(() => {
      const c = this.#open.get(id)
      return c ? [c] : []
    })
  }
  clients(ids: readonly string[]): ClientProxy {
    return this.#proxy(() => ids.map((id) => this.#open.get(id)).filter((c): c is Connection => !!c))
  }
  user(userId: string): ClientProxy {
    return this.#proxy(() => this.#users.get(userId) ?? [], { kind: 'users', ids: [userId] })
  }
  users(userIds: readonly string[]): ClientProxy {
    return this.#proxy(() => new Set(userIds.flatMap((u) => [...(this.#users.get(u) ?? [])])), { kind: 'users', ids: [...userIds] })
  }
  group(name: string): ClientProxy {
    return this.#proxy(() => this.#groups.get(name) ?? [], { kind: 'groups', names: [name] })
  }
  groups(names: readonly string[]): ClientProxy {
    return this.#proxy(() => new Set(names.flatMap((g) => [...(this.#groups.get(g) ?? [])])), { kind: 'groups', names: [...names] })
  }
  groupExcept(name: string, excluded: readonly string[]): ClientProxy {
    const skip = new Set(excluded)
    return this.#proxy(() => [...(this.#groups.get(name) ?? [])].filter((c) => !skip.has(c.connectionId)), { kind: 'groupExcept', name, ids: [...excluded] })
  }
  addToGroup(connectionId: string, group: string): void {
    if (group.length === 0 || group.length > GROUP_NAME_MAX) throw new HubError(`Group names must be 1-${GROUP_NAME_MAX} characters.`)
    const c = this.#open.get(connectionId)
    if (!c || c.groups.has(group)) return
    if (c.groups.size >= GROUPS_PER_CONNECTION_MAX) throw new HubError(`A connection may be in at most ${GROUPS_PER_CONNECTION_MAX} groups.`)
    c.groups.add(group)
    addTo(this.#groups, group, c)
  }
  removeFromGroup(connectionId: string, group: string): void {
    const c = this.#open.get(connectionId)
    if (!c) return
    c.groups.delete(group)
    removeFrom(this.#groups, group, c)
  }
  invokeClient(connectionId: string, target: string, args: unknown[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<unknown> {
    const c = this.#open.get(connectionId)
    if (!c) return Promise.reject(new HubError(`Connection '${connectionId}' is not connected.`))
    return c.invokeClient(target, args, opts.timeoutMs, opts.signal)
  }
  connection(id: string): Connection | undefined {
    return this.#open.get(id)
  }
  get connectionCount(): number {
    return this.#open.size
  }
  onConnected(fn: (c: HubConnectionInfo) => void): () => void {
    this.#connectedHooks.add(fn)
    return () => this.#connectedHooks.delete(fn)
  }
  onDisconnected(fn: (c: HubConnectionInfo, e: string | undefined) => void): () => void {
    this.#disconnectedHooks.add(fn)
    return () => this.#disconnectedHooks.delete(fn)
  }
}

function addTo<K>(map: Map<K, Set<Connection>>, key: K, c: Connection): void {
  let set = map.get(key)
  if (!set) map.set(key, (set = new Set()))
  set.add(c)
}

function removeFrom<K>(map: Map<K, Set<Connection>>, key: K, c: Connection): void {
  const set = map.get(key)
  if (!set) return
  set.delete(c)
  if (set.size === 0) map.delete(key)
}
