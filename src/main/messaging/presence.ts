import type { Store } from '../store/index.ts'
import type { PresenceInfo } from './types.ts'

/**
 * Who is connected: a user goes online with their first connection (either dialect) and offline
 * with their last; `last_seen` is kept in SQLite so it survives a restart.
 */
export class PresenceTracker {
  #store: Store
  #online = new Map<string, { connections: Set<string>; since: number; devices: Set<string> }>()
  #onChange: (info: PresenceInfo) => void

  constructor(store: Store, onChange: (info: PresenceInfo) => void) {
    this.#store = store
    this.#onChange = onChange
  }

  connect(user: string, connectionId: string, device: string): void {
    let entry = this.#online.get(user)
    const first = !entry
    if (!entry) this.#online.set(user, (entry = { connections: new Set(), since: Date.now(), devices: new Set() }))
    entry.connections.add(connectionId)
    entry.devices.add(device)
    if (first) this.#onChange(this.#info(user, 'online', Date.now()))
  }

  disconnect(user: string, connectionId: string): void {
    const entry = this.#online.get(user)
    if (!entry?.connections.delete(connectionId)) return
    if (entry.connections.size > 0) return
    this.#online.delete(user)
    const now = Date.now()
    this.#store.prepare('INSERT INTO msg_presence(user, last_seen) VALUES (?, ?) ON CONFLICT(user) DO UPDATE SET last_seen = excluded.last_seen').run(user, now)
    this.#onChange({ user_id: user, status: 'offline', last_seen: now, metadata: {} })
  }

  isOnline(user: string): boolean {
    return this.#online.has(user)
  }

  get(user: string): PresenceInfo {
    if (this.#online.has(user)) return this.#info(user, 'online', Date.now())
    const row = this.#store.prepare('SELECT last_seen FROM msg_presence WHERE user = ?').get(user) as { last_seen: number } | undefined
    return { user_id: user, status: 'offline', last_seen: row?.last_seen ?? 0, metadata: {} }
  }

  /** Everyone online, then the users seen before (most recent first). */
  list(limit = 200): PresenceInfo[] {
    const now = Date.now()
    const out = [...this.#online.keys()].map((u) => this.#info(u, 'online', now))
    const rows = this.#store.prepare('SELECT user, last_seen FROM msg_presence ORDER BY last_seen DESC LIMIT ?').all(limit) as Array<{ user: string; last_seen: number }>
    for (const r of rows) if (!this.#online.has(r.user)) out.push({ user_id: r.user, status: 'offline', last_seen: r.last_seen, metadata: {} })
    return out
  }

  online(): string[] {
    return [...this.#online.keys()]
  }

  #info(user: string, status: 'online', now: number): PresenceInfo {
    const e = this.#online.get(user)!
    return { user_id: user, status, last_seen: now, metadata: { connections: e.connections.size, devices: [...e.devices], online_since: e.since } }
  }
}
