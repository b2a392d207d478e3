import { randomBytes } from 'node:crypto'
import type { Logger } from '../log/index.ts'
import type { Backplane } from '../scale/index.ts'
import type { DirectEnvelope, Priority, Publication, Sender } from './types.ts'
import type { DmQueue, EnqueueResult, History, HistoryPage, HistoryStore, OfflineQueue, StoredPublication } from './storage.ts'

// History and the offline queue in Redis, shared by every instance on the backplane (one source of
// truth: offsets are assigned by Redis, a queued message is popped by exactly one instance). While
// Redis is down each instance falls back to its own SQLite copy so local clients keep working; what
// was queued locally moves to Redis once it is back (docs/scaling.md says what else is lost).

const H = 'pw:msg:h:' // + topic: ZSET score=offset, member=JSON entry
const TOP = 'pw:msg:top' // HASH topic → newest offset
const EPOCH = 'pw:msg:epoch' // HASH topic → stream epoch
const Q = 'pw:msg:q:' // + lower-case user: LIST of JSON direct messages, oldest first
const QI = 'pw:msg:qi:' // + lower-case user: HASH message JSON → claim time (handed to a socket, not yet written)
/** A claimed message not confirmed written within this time goes back to the queue (its connection died). */
const RECLAIM_MS = 10_000

interface Entry {
  id: string
  t: number
  x: number
  f: Sender
  p: Priority
  d: unknown
}

// Offset, epoch and trim in one step, so concurrent publishers on several instances never share an offset.
const APPEND = `
local epoch = redis.call('HGET', KEYS[3], ARGV[1])
if not epoch then epoch = ARGV[2]; redis.call('HSET', KEYS[3], ARGV[1], epoch) end
local off = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('ZADD', KEYS[1], off, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', off - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {off, epoch}`

// Bounded per user: expired messages are removed before the size check; a full queue refuses.
const ENQUEUE = `
local n = redis.call('LLEN', KEYS[1])
if n >= tonumber(ARGV[2]) then
  for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    local ok, v = pcall(cjson.decode, item)
    if ok and tonumber(v.x) <= tonumber(ARGV[3]) then redis.call('LREM', KEYS[1], 1, item) end
  end
  n = redis.call('LLEN', KEYS[1])
  if n >= tonumber(ARGV[2]) then return 0 end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1`

// Claims the oldest message for one instance (so a user connected on two instances gets it once);
// claims older than ARGV[2] ms that were never confirmed go back to the head first.
const CLAIM = `
local all = redis.call('HGETALL', KEYS[2])
for i = #all - 1, 1, -2 do
  if tonumber(all[i + 1]) <= tonumber(ARGV[1]) - tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[2], all[i])
    redis.call('LPUSH', KEYS[1], all[i])
  end
end
local item = redis.call('LPOP', KEYS[1])
if not item then return false end
redis.call('HSET', KEYS[2], item, ARGV[1])
redis.call('PEXPIRE', KEYS[2], 86400000)
return item`

// A claimed message that could not be handed over: back to the head of the queue.
const UNCLAIM = `
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('LPUSH', KEYS[1], ARGV[1])
return 1`

/** The scripts as ioredis commands: sent once, then called by their SHA (EVALSHA). */
type Scripted = {
  pwHistoryAppend(...args: Array<string | number>): Promise<[number, string]>
  pwQueuePush(...args: Array<string | number>): Promise<number>
  pwQueueClaim(...args: Array<string | number>): Promise<string | null>
  pwQueueUnclaim(...args: Array<string | number>): Promise<number>
}
function scripted(bp: Backplane): Scripted {
  const r = bp.redis as unknown as Partial<Scripted> & Backplane['redis']
  if (!r.pwHistoryAppend) r.defineCommand('pwHistoryAppend', { numberOfKeys: 3, lua: APPEND })
  if (!r.pwQueuePush) r.defineCommand('pwQueuePush', { numberOfKeys: 1, lua: ENQUEUE })
  if (!r.pwQueueClaim) r.defineCommand('pwQueueClaim', { numberOfKeys: 2, lua: CLAIM })
  if (!r.pwQueueUnclaim) r.defineCommand('pwQueueUnclaim', { numberOfKeys: 2, lua: UNCLAIM })
  return r as unknown as Scripted
}

export class SharedHistory implements History {
  #bp: Backplane
  #local: HistoryStore
  #size: number
  #ttlSec: number
  #log: Logger
  #warned = 0

  constructor(bp: Backplane, local: HistoryStore, opts: { size: number; ttlSec: number; log: Logger }) {
    this.#bp = bp
    this.#local = local
    this.#size = opts.size
    this.#ttlSec = opts.ttlSec
    this.#log = opts.log
  }

  get enabled(): boolean {
    return this.#size > 0
  }

  async append(pub: Publication): Promise<void> {
    if (!this.enabled) return
    if (!this.#bp.up) return this.#local.append(pub)
    const ttl = Math.min(pub.ttl ?? this.#ttlSec, this.#ttlSec)
    const entry: Entry = { id: pub.messageId, t: pub.sentAt, x: pub.sentAt + ttl * 1000, f: pub.from, p: pub.priority, d: pub.payload ?? null }
    try {
      const [offset, epoch] = await scripted(this.#bp).pwHistoryAppend(H + pub.topic, TOP, EPOCH, pub.topic, randomBytes(4).toString('hex'), this.#size, JSON.stringify(entry), this.#ttlSec * 1000)
      pub.offset = offset
      pub.epoch = epoch
    } catch (err) {
      // Redis went away between the check and the call: keep it here rather than lose it.
      this.#warn(err)
      this.#local.append(pub)
    }
  }

  async read(topic: string, opts: { limit: number; since?: { offset: number; epoch: string }; before?: number }): Promise<HistoryPage> {
    if (!this.#bp.up) return this.#local.read(topic, opts)
    try {
      return await this.#read(topic, opts)
    } catch (err) {
      this.#warn(err)
      return this.#local.read(topic, opts)
    }
  }

  async #read(topic: string, opts: { limit: number; since?: { offset: number; epoch: string }; before?: number }): Promise<HistoryPage> {
    const r = this.#bp.redis
    const [top, epoch] = await Promise.all([r.hget(TOP, topic), r.hget(EPOCH, topic)])
    const s = { top: Number(top ?? 0), epoch: epoch ?? '' }
    const lowest = Math.max(1, s.top - this.#size + 1)
    const now = Date.now()
    const latest = async (before: number | undefined) => {
      const max = before === undefined ? '+inf' : `(${before}`
      const rows = await r.zrevrangebyscore(H + topic, max, lowest, 'WITHSCORES', 'LIMIT', 0, opts.limit)
      return toPublications(rows, now).reverse()
    }
    if (opts.since) {
      const { offset } = opts.since
      const sameStream = opts.since.epoch === s.epoch || (opts.since.epoch === '' && offset === 0)
      const recovered = sameStream && offset >= lowest - 1 && offset <= s.top && s.top - offset <= opts.limit
      if (recovered) {
        const rows = await r.zrangebyscore(H + topic, `(${offset}`, '+inf', 'WITHSCORES', 'LIMIT', 0, opts.limit)
        return { topic, epoch: s.epoch, top: s.top, publications: toPublications(rows, now), recovered: true }
      }
      return { topic, epoch: s.epoch, top: s.top, publications: await latest(undefined), recovered: false }
    }
    return { topic, epoch: s.epoch, top: s.top, publications: await latest(opts.before) }
  }

  /** Redis expires whole quiet topics itself (PEXPIRE on every append); this purges the local fallback copy. */
  purgeExpired(now = Date.now()): number {
    return this.#local.purgeExpired(now)
  }

  async topics(limit = 500): Promise<Array<{ topic: string; top: number; epoch: string }>> {
    if (!this.#bp.up) return this.#local.topics(limit)
    try {
      const [tops, epochs] = await Promise.all([this.#bp.redis.hgetall(TOP), this.#bp.redis.hgetall(EPOCH)])
      return Object.entries(tops)
        .map(([topic, top]) => ({ topic, top: Number(top), epoch: epochs[topic] ?? '' }))
        .filter((t) => t.top > 0)
        .slice(0, limit)
    } catch {
      return this.#local.topics(limit)
    }
  }

  #warn(err: unknown): void {
    const now = Date.now()
    if (now - this.#warned < 10_000) return
    this.#warned = now
    this.#log.warn({ err: (err as Error).message }, 'shared history unavailable: using this instance\'s copy')
  }
}

function toPublications(rows: string[], now: number): StoredPublication[] {
  const out: StoredPublication[] = []
  for (let i = 0; i + 1 < rows.length; i += 2) {
    try {
      const e = JSON.parse(rows[i]!) as Entry
      if (e.x <= now) continue
      out.push({ offset: Number(rows[i + 1]), messageId: e.id, sentAt: e.t, from: e.f, priority: e.p, payload: e.d })
    } catch {
      /* not ours: skipped */
    }
  }
  return out
}

interface QueuedJson {
  u: string
  f: Sender
  d: unknown
  id: string
  t: number
  p: Priority
  x: number
  b?: string
}

function encodeDm(dm: DirectEnvelope): string {
  const q: QueuedJson = { u: dm.targetUser, f: dm.from, d: dm.payload ?? null, id: dm.messageId, t: dm.sentAt, p: dm.priority, x: dm.sentAt + dm.ttl * 1000 }
  if (dm.binary) q.b = Buffer.from(dm.binary).toString('base64')
  return JSON.stringify(q)
}

function decodeDm(s: string): DirectEnvelope & { expiresAt: number } {
  const q = JSON.parse(s) as QueuedJson
  return {
    targetUser: q.u,
    from: q.f,
    payload: q.d,
    messageId: q.id,
    sentAt: q.t,
    priority: q.p,
    ttl: Math.max(0, Math.round((q.x - q.t) / 1000)),
    expiresAt: q.x,
    ...(q.b ? { binary: new Uint8Array(Buffer.from(q.b, 'base64')) } : {}),
  }
}

export class SharedQueue implements DmQueue {
  #bp: Backplane
  #local: OfflineQueue
  #max: number
  #maxTtlMs: number
  #log: Logger

  constructor(bp: Backplane, local: OfflineQueue, opts: { maxPerUser: number; maxTtlSec: number; log: Logger }) {
    this.#bp = bp
    this.#local = local
    this.#max = opts.maxPerUser
    this.#maxTtlMs = opts.maxTtlSec * 1000
    this.#log = opts.log
  }

  async enqueue(dm: DirectEnvelope): Promise<EnqueueResult> {
    if (!this.#bp.up) return this.#local.enqueue(dm)
    try {
      const ok = await scripted(this.#bp).pwQueuePush(Q + dm.targetUser.toLowerCase(), encodeDm(dm), this.#max, Date.now(), this.#maxTtlMs)
      return ok === 1 ? { ok: true } : { ok: false, reason: 'queue_full' }
    } catch {
      return this.#local.enqueue(dm) // kept here, moved to Redis once it is back
    }
  }

  /**
   * This instance's fallback copy first (queued while Redis was down and not moved yet), then the
   * shared queue: each message is claimed by exactly one instance, so a user connected on two
   * instances never gets it twice; it leaves Redis once written to the socket; a refused one goes
   * back to the head, and one whose connection died before the write is reclaimed after 10 s.
   */
  async drain(user: string, deliver: (dm: DirectEnvelope, written: () => void) => boolean): Promise<number> {
    let n = this.#local.drain(user, deliver)
    if (!this.#bp.up) return n
    const key = Q + user.toLowerCase()
    const claims = QI + user.toLowerCase()
    const s = scripted(this.#bp)
    const done = (item: string) => () => void this.#bp.redis.hdel(claims, item).catch(() => undefined)
    try {
      for (let i = 0; i < this.#max + 1; i++) {
        const item = await s.pwQueueClaim(key, claims, Date.now(), RECLAIM_MS)
        if (item === null) break
        let dm: ReturnType<typeof decodeDm>
        try {
          dm = decodeDm(item)
        } catch {
          done(item)()
          continue
        }
        if (dm.expiresAt <= Date.now()) {
          done(item)()
          continue
        }
        if (!deliver(dm, done(item))) {
          await s.pwQueueUnclaim(key, claims, item)
          break
        }
        n++
      }
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, user }, 'draining the shared offline queue failed; the rest stays queued')
    }
    return n
  }

  async count(user: string): Promise<number> {
    const local = this.#local.count(user)
    if (!this.#bp.up) return local
    try {
      const now = Date.now()
      const items = await this.#bp.redis.lrange(Q + user.toLowerCase(), 0, -1)
      return local + items.filter((s) => (JSON.parse(s) as QueuedJson).x > now).length
    } catch {
      return local
    }
  }

  /** Moves what was queued here while Redis was down into the shared queue (called on every reconnect). */
  async moveLocalToShared(): Promise<Set<string>> {
    const users = new Set<string>()
    let n = 0
    for (const { id, dm } of this.#local.all()) {
      if (!this.#bp.up) break
      try {
        await this.#bp.redis.rpush(Q + dm.targetUser.toLowerCase(), encodeDm(dm))
        this.#local.remove(id)
        users.add(dm.targetUser)
        n++
      } catch {
        break
      }
    }
    if (n) this.#log.info({ moved: n }, 'direct messages queued during the Redis outage moved to the shared queue')
    return users
  }
}
