import { randomBytes } from 'node:crypto'
import type { Store } from '../store/index.ts'
import type { DirectEnvelope, Priority, Publication, Sender } from './types.ts'

/** The messaging tables (namespace `messaging`). */
export function migrateMessaging(store: Store): void {
  store.migrate('messaging', [
    `CREATE TABLE msg_streams (topic TEXT PRIMARY KEY, epoch TEXT NOT NULL, top INTEGER NOT NULL);
     CREATE TABLE msg_history (topic TEXT NOT NULL, offset INTEGER NOT NULL, message_id TEXT NOT NULL, sent_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL, sender TEXT NOT NULL, priority TEXT NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (topic, offset)) WITHOUT ROWID;
     CREATE TABLE msg_dm_queue (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL COLLATE NOCASE, message_id TEXT NOT NULL,
       sender TEXT NOT NULL, payload TEXT NOT NULL, sent_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, priority TEXT NOT NULL, binary BLOB);
     CREATE INDEX msg_dm_queue_target ON msg_dm_queue(target, id);
     CREATE TABLE msg_presence (user TEXT PRIMARY KEY COLLATE NOCASE, last_seen INTEGER NOT NULL);
     CREATE TABLE msg_rooms (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, max_connections INTEGER, metadata TEXT NOT NULL, created_at TEXT NOT NULL);`,
  ])
}

export interface StoredPublication {
  offset: number
  messageId: string
  sentAt: number
  from: Sender
  priority: Priority
  payload: unknown
}

export interface HistoryPage {
  topic: string
  epoch: string
  /** Offset of the newest publication (0 when none yet). */
  top: number
  publications: StoredPublication[]
  /** With `since`: true when every publication after it is included (nothing missed). */
  recovered?: boolean
}

/**
 * Per-topic history (Centrifugo-style stream): every publication gets the next `offset` of its topic;
 * the stream's `epoch` identifies it, so a client that presents {offset, epoch} gets exactly what it
 * missed, or `recovered: false` when that is no longer possible (history trimmed, epoch changed).
 * Bounded: at most `size` publications per topic, each kept `ttl` seconds at most.
 */
export class HistoryStore implements History {
  #store: Store
  #size: number
  #ttlSec: number
  #streams = new Map<string, { epoch: string; top: number }>()

  constructor(store: Store, opts: { size: number; ttlSec: number }) {
    this.#store = store
    this.#size = opts.size
    this.#ttlSec = opts.ttlSec
  }

  get enabled(): boolean {
    return this.#size > 0
  }

  /**
   * The topic's stream; a topic never published to has epoch '' and top 0 (reading does not create
   * rows, so clients asking about arbitrary topics cannot grow the table).
   */
  stream(topic: string): { epoch: string; top: number } {
    const cached = this.#streams.get(topic)
    if (cached) return cached
    const row = this.#store.prepare('SELECT epoch, top FROM msg_streams WHERE topic = ?').get(topic) as { epoch: string; top: number } | undefined
    if (!row) return { epoch: '', top: 0 }
    if (this.#streams.size > 50_000) this.#streams.clear() // a cache, bounded
    const s = { epoch: row.epoch, top: row.top }
    this.#streams.set(topic, s)
    return s
  }

  #ensure(topic: string): { epoch: string; top: number } {
    const s = this.stream(topic)
    if (s.epoch) return s
    const created = { epoch: randomBytes(4).toString('hex'), top: 0 }
    this.#store.prepare('INSERT INTO msg_streams(topic, epoch, top) VALUES (?, ?, 0)').run(topic, created.epoch)
    this.#streams.set(topic, created)
    return created
  }

  /** Stores the publication and sets its offset/epoch. Called before it is delivered or acknowledged. */
  append(pub: Publication): void {
    if (!this.enabled) return
    const s = this.#ensure(pub.topic)
    const offset = s.top + 1
    const ttl = Math.min(pub.ttl ?? this.#ttlSec, this.#ttlSec)
    this.#store.transaction(() => {
      this.#store
        .prepare('INSERT INTO msg_history(topic, offset, message_id, sent_at, expires_at, sender, priority, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(pub.topic, offset, pub.messageId, pub.sentAt, pub.sentAt + ttl * 1000, JSON.stringify(pub.from), pub.priority, JSON.stringify(pub.payload ?? null))
      this.#store.prepare('UPDATE msg_streams SET top = ? WHERE topic = ?').run(offset, pub.topic)
      // Trim in batches (every 32 appends) so the bound costs little per message.
      if (offset % 32 === 0 && offset > this.#size) this.#store.prepare('DELETE FROM msg_history WHERE topic = ? AND offset <= ?').run(pub.topic, offset - this.#size)
    })
    s.top = offset
    pub.offset = offset
    pub.epoch = s.epoch
  }

  /**
   * The newest `limit` publications, or — with `since` — those after since.offset (up to `limit`;
   * `recovered` false when the epoch differs or some were trimmed).
   */
  read(topic: string, opts: { limit: number; since?: { offset: number; epoch: string }; before?: number }): HistoryPage {
    const s = this.stream(topic)
    const now = Date.now()
    const lowest = Math.max(1, s.top - this.#size + 1)
    if (opts.since) {
      const { offset, epoch } = opts.since
      // {offset 0, epoch ''} = "from the start" (what a reader of a not-yet-used topic was given).
      const sameStream = epoch === s.epoch || (epoch === '' && offset === 0)
      const recovered = sameStream && offset >= lowest - 1 && offset <= s.top && s.top - offset <= opts.limit
      if (recovered) {
        const rows = this.#rows('SELECT * FROM msg_history WHERE topic = ? AND offset > ? AND offset >= ? AND expires_at > ? ORDER BY offset LIMIT ?', topic, offset, lowest, now, opts.limit)
        return { topic, epoch: s.epoch, top: s.top, publications: rows, recovered: true }
      }
      return { topic, epoch: s.epoch, top: s.top, publications: this.#latest(topic, lowest, now, opts.limit, undefined), recovered: false }
    }
    return { topic, epoch: s.epoch, top: s.top, publications: this.#latest(topic, lowest, now, opts.limit, opts.before) }
  }

  #latest(topic: string, lowest: number, now: number, limit: number, before: number | undefined): StoredPublication[] {
    return this.#rows(
      'SELECT * FROM msg_history WHERE topic = ? AND offset >= ? AND offset < ? AND expires_at > ? ORDER BY offset DESC LIMIT ?',
      topic,
      lowest,
      before ?? Number.MAX_SAFE_INTEGER,
      now,
      limit,
    ).reverse()
  }

  #rows(sql: string, ...args: Array<string | number>): StoredPublication[] {
    return (this.#store.prepare(sql).all(...args) as Array<Record<string, string | number>>).map((r) => ({
      offset: r.offset as number,
      messageId: r.message_id as string,
      sentAt: r.sent_at as number,
      from: JSON.parse(r.sender as string) as Sender,
      priority: r.priority as Priority,
      payload: JSON.parse(r.payload as string),
    }))
  }

  /** Deletes expired publications (every topic); returns how many. */
  purgeExpired(now = Date.now()): number {
    return Number(this.#store.prepare('DELETE FROM msg_history WHERE expires_at <= ?').run(now).changes)
  }

  /** Topics that have history, newest activity first. */
  topics(limit = 500): Array<{ topic: string; top: number; epoch: string }> {
    return this.#store.prepare('SELECT topic, top, epoch FROM msg_streams WHERE top > 0 ORDER BY rowid DESC LIMIT ?').all(limit) as Array<{ topic: string; top: number; epoch: string }>
  }
}

export type EnqueueResult = { ok: true } | { ok: false; reason: 'queue_full' }

type MaybePromise<T> = T | Promise<T>

/**
 * The history seam: SQLite (HistoryStore, one instance) or Redis shared by every instance
 * (SharedHistory in shared-storage.ts, config `redis`). Calls may answer synchronously.
 */
export interface History {
  readonly enabled: boolean
  append(pub: Publication): MaybePromise<void>
  read(topic: string, opts: { limit: number; since?: { offset: number; epoch: string }; before?: number }): MaybePromise<HistoryPage>
  purgeExpired(now?: number): MaybePromise<number>
  topics(limit?: number): MaybePromise<Array<{ topic: string; top: number; epoch: string }>>
}

/**
 * The offline direct-message queue seam: SQLite (OfflineQueue) or Redis (SharedQueue). `drain`
 * hands the user's messages, oldest first, to `deliver`, which calls `written` once the message is
 * out on the socket: only then is it removed. It stops at the first refusal (that one stays queued).
 */
export interface DmQueue {
  enqueue(dm: DirectEnvelope): MaybePromise<EnqueueResult>
  drain(user: string, deliver: (dm: DirectEnvelope, written: () => void) => boolean): MaybePromise<number>
  count(user: string): MaybePromise<number>
}

/**
 * Direct messages for users who are not connected: SQLite, so they survive a restart; at most `max`
 * per user (a full queue refuses, it never drops silently); each expires after its TTL.
 */
export class OfflineQueue implements DmQueue {
  #store: Store
  #max: number

  constructor(store: Store, opts: { maxPerUser: number }) {
    this.#store = store
    this.#max = opts.maxPerUser
  }

  enqueue(dm: DirectEnvelope): EnqueueResult {
    const now = Date.now()
    return this.#store.transaction(() => {
      this.#store.prepare('DELETE FROM msg_dm_queue WHERE target = ? AND expires_at <= ?').run(dm.targetUser, now)
      const { n } = this.#store.prepare('SELECT COUNT(*) AS n FROM msg_dm_queue WHERE target = ?').get(dm.targetUser) as { n: number }
      if (n >= this.#max) return { ok: false as const, reason: 'queue_full' as const }
      this.#store
        .prepare('INSERT INTO msg_dm_queue(target, message_id, sender, payload, sent_at, expires_at, priority, binary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(dm.targetUser, dm.messageId, JSON.stringify(dm.from), JSON.stringify(dm.payload ?? null), dm.sentAt, dm.sentAt + dm.ttl * 1000, dm.priority, dm.binary ? Buffer.from(dm.binary) : null)
      return { ok: true as const }
    })
  }

  /** Queued, unexpired messages for the user, oldest first, with the row id to remove once delivered. */
  pending(user: string): Array<{ id: number; dm: DirectEnvelope }> {
    const now = Date.now()
    this.#store.prepare('DELETE FROM msg_dm_queue WHERE expires_at <= ?').run(now)
    const rows = this.#store.prepare('SELECT * FROM msg_dm_queue WHERE target = ? ORDER BY id').all(user) as Array<Record<string, unknown>>
    return rows.map((r) => ({
      id: r.id as number,
      dm: {
        targetUser: r.target as string,
        from: JSON.parse(r.sender as string) as Sender,
        payload: JSON.parse(r.payload as string),
        messageId: r.message_id as string,
        sentAt: r.sent_at as number,
        priority: r.priority as Priority,
        ttl: Math.max(0, Math.round(((r.expires_at as number) - (r.sent_at as number)) / 1000)),
        ...(r.binary ? { binary: new Uint8Array(r.binary as Uint8Array) } : {}),
      },
    }))
  }

  drain(user: string, deliver: (dm: DirectEnvelope, written: () => void) => boolean): number {
    let n = 0
    for (const { id, dm } of this.pending(user)) {
      if (!deliver(dm, () => this.remove(id))) break
      n++
    }
    return n
  }

  /** Every queued message of every user (moved to the shared queue once Redis is back). */
  all(): Array<{ id: number; dm: DirectEnvelope }> {
    const users = this.#store.prepare('SELECT DISTINCT target FROM msg_dm_queue').all() as Array<{ target: string }>
    return users.flatMap((u) => this.pending(u.target))
  }

  remove(id: number): void {
    this.#store.prepare('DELETE FROM msg_dm_queue WHERE id = ?').run(id)
  }

  count(user: string): number {
    return (this.#store.prepare('SELECT COUNT(*) AS n FROM msg_dm_queue WHERE target = ? AND expires_at > ?').get(user, Date.now()) as { n: number }).n
  }
}
