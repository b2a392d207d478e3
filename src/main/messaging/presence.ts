import type { Store } from '../store/index.ts'
import type { PresenceInfo } from './types.ts'

/** One user's connections on one instance. */
export interface PresenceEntry {
  user: string
  connections: number
  devices: string[]
  since: number
}

/**
 * Who is connected: a user goes online with their first connection (either dialect) and offline
 * with their last; `last_seen` is kept in SQLite so it survives a restart. With several instances
 * (config `redis`) the other instances' connections are added with `setRemote` (scale-cluster.ts):
 * a user is online while they have a connection on any instance, and offline only when the last
 * one anywhere closes (or its instance stops answering).
 */
export class PresenceTracker {
  #store: Store
  #online = new Map<string, { connections: Set<string>; since: number; devices: Set<string> }>()
  /** user → instance → that instance's entry. */
  #remote = new Map<string, Map<string, PresenceEntry>>()
  #onChange: (info: PresenceInfo) => void
  /** Local first connection / last disconnection of a user (announced to the other instances). */
  onLocalChange: ((entry: PresenceEntry) => void) | undefined

  constructor(store: Store, onChange: (info: PresenceInfo) => void) {
    this.#store = store
    this.#onChange = onChange
  }

  connect(user: string, connectionId: string, device: string): void {
    const was = this.isOnline(user)
    let entry = this.#online.get(user)
    if (!entry) this.#online.set(user, (entry = { connections: new Set(), since: Date.now(), devices: new Set() }))
    entry.connections.add(connectionId)
    entry.devices.add(device)
    this.onLocalChange?.(this.#localEntry(user))
    if (!was) this.#onChange(this.#info(user, Date.now()))
  }

  disconnect(user: string, connectionId: string): void {
    const entry = this.#online.get(user)
    if (!entry?.connections.delete(connectionId)) return
    if (entry.connections.size === 0) this.#online.delete(user)
    this.onLocalChange?.(this.#localEntry(user))
    if (!this.isOnline(user)) this.#wentOffline(user)
  }

  /** Replaces what one other instance reports for a user (`connections: 0` = none there). */
  setRemote(instance: string, entry: PresenceEntry): void {
    const was = this.isOnline(entry.user)
    let per = this.#remote.get(entry.user)
    if (entry.connections > 0) {
      if (!per) this.#remote.set(entry.user, (per = new Map()))
      per.set(instance, entry)
    } else if (per) {
      per.delete(instance)
      if (per.size === 0) this.#remote.delete(entry.user)
    }
    this.#transition(entry.user, was)
  }

  /** Replaces everything one instance reports (its snapshot after a (re)connect). */
  replaceInstance(instance: string, entries: PresenceEntry[]): void {
    const next = new Map(entries.map((e) => [e.user, e]))
    for (const [user, per] of [...this.#remote]) if (per.has(instance) && !next.has(user)) this.setRemote(instance, { user, connections: 0, devices: [], since: 0 })
    for (const e of next.values()) this.setRemote(instance, e)
  }

  /** Instances that are known here. */
  remoteInstances(): Set<string> {
    const out = new Set<string>()
    for (const per of this.#remote.values()) for (const i of per.keys()) out.add(i)
    return out
  }

  /** Instances where the user has connections (not this one). */
  instancesOf(user: string): string[] {
    return [...(this.#remote.get(user)?.keys() ?? [])]
  }

  /** Forgets an instance (stopped, crashed: its heartbeat expired): its users go offline unless connected elsewhere. */
  dropInstance(instance: string): void {
    this.replaceInstance(instance, [])
  }

  isOnline(user: string): boolean {
    return this.#online.has(user) || this.#remote.has(user)
  }

  get(user: string): PresenceInfo {
    if (this.isOnline(user)) return this.#info(user, Date.now())
    const row = this.#store.prepare('SELECT last_seen FROM msg_presence WHERE user = ?').get(user) as { last_seen: number } | undefined
    return { user_id: user, status: 'offline', last_seen: row?.last_seen ?? 0, metadata: {} }
  }

  /** Everyone online, then the users seen before (most recent first). */
  list(limit = 200): PresenceInfo[] {
    const now = Date.now()
    const out = this.online().map((u) => this.#info(u, now))
    const rows = this.#store.prepare('SELECT user, last_seen FROM msg_presence ORDER BY last_seen DESC LIMIT ?').all(limit) as Array<{ user: string; last_seen: number }>
    for (const r of rows) if (!this.isOnline(r.user)) out.push({ user_id: r.user, status: 'offline', last_seen: r.last_seen, metadata: {} })
    return out
  }

  online(): string[] {
    return [...new Set([...this.#online.keys(), ...this.#remote.keys()])]
  }

  /** This instance's users (what it announces to the others). */
  localEntries(): PresenceEntry[] {
    return [...this.#online.keys()].map((u) => this.#localEntry(u))
  }

  #localEntry(user: string): PresenceEntry {
    const e = this.#online.get(user)
    return e ? { user, connections: e.connections.size, devices: [...e.devices], since: e.since } : { user, connections: 0, devices: [], since: 0 }
  }

  #transition(user: string, was: boolean): void {
    const now = this.isOnline(user)
    if (now && !was) this.#onChange(this.#info(user, Date.now()))
    else if (!now && was) this.#wentOffline(user)
  }

  #wentOffline(user: string): void {
    const now = Date.now()
    this.#store.prepare('INSERT INTO msg_presence(user, last_seen) VALUES (?, ?) ON CONFLICT(user) DO UPDATE SET last_seen = excluded.last_seen').run(user, now)
    this.#onChange({ user_id: user, status: 'offline', last_seen: now, metadata: {} })
  }

  #info(user: string, now: number): PresenceInfo {
    const local = this.#online.get(user)
    let connections = local?.connections.size ?? 0
    const devices = new Set(local?.devices ?? [])
    let since = local?.since ?? Number.MAX_SAFE_INTEGER
    const remote = this.#remote.get(user)
    for (const e of remote?.values() ?? []) {
      connections += e.connections
      for (const d of e.devices) devices.add(d)
      since = Math.min(since, e.since)
    }
    return {
      user_id: user,
      status: 'online',
      last_seen: now,
      metadata: { connections, devices: [...devices], online_since: since, ...(remote ? { instances: remote.size + (local ? 1 : 0) } : {}) },
    }
  }
}
