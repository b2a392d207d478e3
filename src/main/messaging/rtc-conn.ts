import { createHash, randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import { can, type Principal } from '../../shared/auth.ts'
import type { Auth } from '../auth/index.ts'
import type { Logger } from '../log/index.ts'
import { buildBinary, parseBinary } from './binary.ts'
import { preFrame, sendFrame } from '../lan/frames.ts'
import { type DirectResult, type HubConnection, type MessagingHub, type NotificationInfo, RESERVED_ROOTS } from './hub.ts'
import type { HistoryPage } from './storage.ts'
import { CLOSE, type RtcLimits, TokenBucket } from './limits.ts'
import { describeIssues, type Envelope, envelopeSchema, FEATURES, PROTOCOL_VERSION, renderDirect, renderNotification, renderPublication, renderReplay, schemas } from './rtc-wire.ts'
import { checkFilter, checkTopic, filterMatches } from './topics.ts'
import type { DirectEnvelope, Priority, Publication } from './types.ts'

// One connection of the real-time protocol (/ws): dispatch of every message type, limits, delivery.

const REFUSALS_BEFORE_CLOSE = 1000

export interface ConnDeps {
  hub: MessagingHub
  auth: Auth
  limits: RtcLimits
  log: Logger
  anonymousRead: boolean
  path: string
  onSlow: () => void
}

export class RtcConnection implements HubConnection {
  readonly id = randomUUID()
  readonly dialect = 'rtc' as const
  readonly user: string | null
  readonly clientId: string
  readonly path: string
  readonly address: string
  readonly createdAt = Date.now()
  readonly metadata: Record<string, string> = {}
  lastPing = Date.now()
  lastSeq = 0
  #ws: WebSocket
  #principal: Principal & { exp?: number }
  #d: ConnDeps
  #bucket: TokenBucket
  #refusedInRow = 0
  #lastInbound = Date.now()
  #lastPingSent = Date.now()
  #timers: NodeJS.Timeout[] = []
  #closed = false
  #dropped = 0

  constructor(ws: WebSocket, req: IncomingMessage, principal: Principal & { exp?: number }, deps: ConnDeps) {
    this.#ws = ws
    this.#principal = principal
    this.#d = deps
    this.user = principal.username
    this.clientId = this.user ?? `anonymous_${this.id.slice(0, 8)}`
    this.path = deps.path
    this.address = req.socket.remoteAddress ?? ''
    const ua = req.headers['user-agent']
    if (ua) this.metadata.userAgent = ua.slice(0, 200)
    this.#bucket = new TokenBucket(deps.limits.ratePerSec, deps.limits.rateBurst)

    ws.once('close', () => this.#cleanup())
    ws.on('error', () => ws.terminate())
    ws.on('message', (data: Buffer, isBinary) => this.#onFrame(data, isBinary))
    ws.on('pong', () => (this.#lastInbound = Date.now()))

    this.#reply({
      type: 'Status',
      data: {
        status: 'connected',
        details: {
          connection_id: this.id,
          server_time: Date.now(),
          protocol_version: PROTOCOL_VERSION,
          features: FEATURES,
          user_id: this.user,
          expires_at: principal.exp ?? null,
          limits: {
            max_frame_bytes: deps.limits.maxFrameBytes,
            rate_per_second: deps.limits.ratePerSec,
            rate_burst: deps.limits.rateBurst,
            heartbeat_ms: deps.limits.heartbeatMs,
            idle_timeout_ms: deps.limits.idleTimeoutMs,
            max_subscriptions: deps.limits.maxSubscriptions,
          },
        },
      },
    })
    this.#scheduleExpiry()
    deps.hub.register(this)
    void deps.hub.flushQueued(this).catch(() => undefined)
  }

  // ---- delivery (called by the bus and the hub) ----

  deliver(pub: Publication): boolean {
    if (!this.#writable(pub.priority)) return false
    const w = pub.wire
    if (pub.kind === 'binary') sendFrame(this.#ws, (w.binFrame ??= preFrame(pub.binary!, true)), pub.binary!, true)
    else {
      const payload = (w.rtc ??= renderPublication(pub))
      sendFrame(this.#ws, (w.rtcFrame ??= preFrame(payload, false)), payload, false)
    }
    return true
  }

  deliverDirect(dm: DirectEnvelope, queued = false, written?: () => void): boolean {
    if (!this.#writable(dm.priority)) return false
    const data = dm.binary ? buildBinary(0x02, dm.from.user ?? 'server', dm.binary) : renderDirect(dm, queued)
    this.#ws.send(data, { binary: !!dm.binary }, (err) => {
      if (!err) written?.()
    })
    return true
  }

  notify(n: NotificationInfo): boolean {
    return this.#send(renderNotification(n), false, 'high')
  }

  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#ws.close(code, reason)
    this.#cleanup()
  }

  /** Heartbeat and idle check (from the server's sweep timer). */
  tick(now: number): void {
    if (this.#closed) return
    if (now - this.#lastInbound > this.#d.limits.idleTimeoutMs) return this.close(CLOSE.idle, 'Idle timeout')
    if (now - this.#lastPingSent >= this.#d.limits.heartbeatMs) {
      this.#lastPingSent = now
      this.#send(JSON.stringify({ type: 'Ping', data: { timestamp: now } }), false, 'high')
    }
  }

  /**
   * Sends without ever waiting: a reader whose queue passes the limit is cut off (so nobody else
   * slows down); above a quarter of it, low-priority messages are skipped for that reader.
   */
  #send(data: Buffer | Uint8Array | string, binary: boolean, priority: Priority): boolean {
    if (!this.#writable(priority)) return false
    this.#ws.send(data, { binary })
    return true
  }

  #writable(priority: Priority): boolean {
    if (this.#closed) return false
    const buffered = this.#ws.bufferedAmount
    if (buffered > this.#d.limits.maxBufferedBytes) {
      this.#d.log.warn({ connection: this.id, user: this.user, buffered }, 'slow reader cut off')
      this.#d.onSlow()
      this.#ws.terminate()
      this.#cleanup()
      return false
    }
    if (priority === 'low' && buffered > this.#d.limits.maxBufferedBytes / 4) {
      this.#dropped++
      return false
    }
    return true
  }

  #reply(msg: { type: string; data: unknown }, id?: string | number): void {
    this.#send(JSON.stringify(id === undefined ? msg : { ...msg, id }), false, 'high')
  }

  #error(code: number, message: string, details: Record<string, unknown> = {}, id?: string | number): void {
    this.#reply({ type: 'Error', data: { code, message, details: id === undefined ? details : { ...details, message_id: id } } }, id)
  }

  #ack(id: string | number | undefined, data: Record<string, unknown>): void {
    if (id !== undefined) this.#reply({ type: 'Ack', data: { message_id: id, ...data } }, id)
  }

  #cleanup(): void {
    if (this.#closed) return
    this.#closed = true
    for (const t of this.#timers) clearTimeout(t)
    this.#d.hub.unregister(this)
  }

  #scheduleExpiry(): void {
    const exp = this.#principal.exp
    if (!exp) return
    const now = Date.now()
    const max = 2 ** 31 - 1
    const warnIn = exp - this.#d.limits.tokenWarningMs - now
    if (warnIn < max) {
      this.#timers.push(
        setTimeout(() => this.#reply({ type: 'AuthStatus', data: { status: 'token_expiring', expires_at: exp, refresh_required: true } }), Math.max(0, warnIn)),
      )
    }
    if (exp - now < max) this.#timers.push(setTimeout(() => this.close(CLOSE.tokenExpired, 'Token expired'), Math.max(0, exp - now)))
  }

  #can(write: boolean): boolean {
    return can(this.#principal, write ? 'Messages_rw' : 'Messages_r', this.#d.anonymousRead)
  }

  // ---- inbound ----

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return
    this.#lastInbound = Date.now()
    const sid = this.#principal.sid
    if (sid) {
      if (!this.#d.auth.sessionAlive(sid)) return this.close(CLOSE.tokenExpired, 'Session ended')
      this.#d.auth.touch(sid)
    }
    const wait = this.#bucket.take()
    if (wait > 0) {
      if (++this.#refusedInRow > REFUSALS_BEFORE_CLOSE) return this.close(CLOSE.rateAbuse, 'Rate limit exceeded repeatedly')
      return this.#error(429, 'Rate limit exceeded', { retry_after_ms: wait, limit_per_second: this.#d.limits.ratePerSec, burst: this.#d.limits.rateBurst }, isBinary ? undefined : peekId(data))
    }
    this.#refusedInRow = 0
    if (data.length > this.#d.limits.maxFrameBytes) {
      return this.#error(400, `Frame of ${data.length} bytes exceeds the ${this.#d.limits.maxFrameBytes}-byte limit`, { size: data.length, max: this.#d.limits.maxFrameBytes })
    }
    if (isBinary) return this.#onBinary(data)
    let raw: unknown
    try {
      raw = JSON.parse(data.toString('utf8'))
    } catch {
      return this.#error(400, 'Invalid JSON')
    }
    const env = envelopeSchema.safeParse(raw)
    if (!env.success) return this.#error(400, `Invalid message: ${describeIssues(env.error)}`, {}, peekIdOf(raw))
    const m = env.data
    const enc = m.metadata?.encryption
    const comp = m.metadata?.compression
    if ((enc && enc !== 'none') || (comp && comp !== 'none')) return this.#error(400, 'metadata.encryption and metadata.compression are not supported (use TLS; frames are small)', {}, m.id)
    try {
      this.#dispatch(m)
    } catch (err) {
      this.#d.log.error({ err, type: m.type }, 'message handler failed')
      this.#error(500, 'Internal error', {}, m.id)
    }
  }

  #dispatch(m: Envelope): void {
    switch (m.type) {
      case 'Ping': {
        const p = schemas.Ping.safeParse(m.data)
        return this.#reply({ type: 'Pong', data: { timestamp: p.success ? (p.data?.timestamp ?? Date.now()) : Date.now() } }, m.id)
      }
      case 'Pong':
        this.lastPing = Date.now()
        return
      case 'Subscribe':
        return this.#subscribe(m)
      case 'Unsubscribe':
        return this.#unsubscribe(m)
      case 'Broadcast':
        return this.#broadcast(m)
      case 'DirectMessage':
        return this.#direct(m)
      case 'History':
        return this.#history(m, 'History')
      default:
        if (m.type.startsWith('X-')) return this.#custom(m)
        return this.#error(400, `Unknown message type ${m.type}`, { type: m.type }, m.id)
    }
  }

  #subscribe(m: Envelope): void {
    if (!this.#can(false)) return this.#error(403, 'Permission denied (needs Messages_r)', {}, m.id)
    const p = schemas.Subscribe.safeParse(m.data)
    if (!p.success) return this.#error(400, `Invalid Subscribe: ${describeIssues(p.error)}`, {}, m.id)
    const { topics, recover = {} } = p.data
    const invalid = topics.flatMap((t) => {
      const c = checkFilter(t)
      return c.ok ? [] : [{ topic: t, reason: c.reason }]
    })
    for (const t of Object.keys(recover)) {
      const c = checkTopic(t)
      if (!c.ok) invalid.push({ topic: t, reason: `recover: ${c.reason}` })
    }
    if (invalid.length) return this.#error(400, `Invalid topic filter: ${invalid[0]!.reason}`, { invalid }, m.id)
    const bus = this.#d.hub.bus
    const current = bus.filtersOf(this)
    const added = [...new Set(topics)].filter((t) => !current.includes(t))
    if (current.length + added.length > this.#d.limits.maxSubscriptions) {
      return this.#error(400, `Subscription limit reached (${this.#d.limits.maxSubscriptions} filters per connection)`, { active_subscriptions: current.length }, m.id)
    }
    const all = [...current, ...added]
    const unmatched = Object.keys(recover).filter((t) => !all.some((f) => filterMatches(f, t)))
    if (unmatched.length) return this.#error(400, `recover: topic ${unmatched[0]} is not covered by this connection's subscriptions`, { topics: unmatched }, m.id)
    for (const t of added) bus.subscribe(this, t)
    // Missed publications are read and sent before any live one can arrive (this runs synchronously).
    const reads = Object.entries(recover).map(([topic, since]) => this.#d.hub.history.read(topic, { limit: 1000, since }))
    // Shared history (Redis) answers asynchronously: a live publication may then precede the replay
    // (clients dedupe by offset); nothing is missed since the subscription is already in place.
    if (reads.some((r) => r instanceof Promise)) {
      this.#later(Promise.all(reads).then((pages) => this.#subscribed(m, topics, added, pages)), m.id)
      return
    }
    this.#subscribed(m, topics, added, reads as HistoryPage[])
  }

  #subscribed(m: Envelope, topics: string[], added: string[], pages: HistoryPage[]): void {
    const bus = this.#d.hub.bus
    const active = bus.filtersOf(this).length
    this.#reply(
      {
        type: 'Status',
        data: { status: 'subscribed', details: { topics, active_subscriptions: active, ...(pages.length ? { recovered: Object.fromEntries(pages.map((pg) => [pg.topic, pg.recovered])) } : {}) } },
      },
      m.id,
    )
    for (const pg of pages) for (const pub of pg.publications) this.#send(renderReplay(pg.topic, pg.epoch, pub), false, 'high')
    // Current presence for new presence filters (the join/leave pushes follow).
    const presenceFilters = added.filter((f) => f === '#' || f.startsWith('presence.') || f.startsWith('*.'))
    if (presenceFilters.length) {
      for (const user of this.#d.hub.presence.online()) {
        if (presenceFilters.some((f) => filterMatches(f, `presence.${user}`))) this.#reply({ type: 'Presence', data: this.#d.hub.presence.get(user) })
      }
    }
    this.#ack(m.id, { status: 'subscribed', active_subscriptions: active })
  }

  #unsubscribe(m: Envelope): void {
    const p = schemas.Unsubscribe.safeParse(m.data)
    if (!p.success) return this.#error(400, `Invalid Unsubscribe: ${describeIssues(p.error)}`, {}, m.id)
    const invalid = p.data.topics.flatMap((t) => {
      const c = checkFilter(t)
      return c.ok ? [] : [{ topic: t, reason: c.reason }]
    })
    if (invalid.length) return this.#error(400, `Invalid topic filter: ${invalid[0]!.reason}`, { invalid }, m.id)
    for (const t of p.data.topics) this.#d.hub.bus.unsubscribe(this, t)
    const active = this.#d.hub.bus.filtersOf(this).length
    this.#reply({ type: 'Status', data: { status: 'unsubscribed', details: { topics: p.data.topics, active_subscriptions: active } } }, m.id)
    this.#ack(m.id, { status: 'unsubscribed', active_subscriptions: active })
  }

  #checkPublishTopic(topic: string, id: string | number | undefined): boolean {
    const c = checkTopic(topic)
    if (!c.ok) {
      this.#error(400, `Invalid topic: ${c.reason}`, { topic }, id)
      return false
    }
    if (RESERVED_ROOTS.has(c.levels[0]!)) {
      this.#error(403, `Topics under ${c.levels[0]}. are published by Pitwall only`, { topic }, id)
      return false
    }
    return true
  }

  #broadcast(m: Envelope): void {
    if (!this.#can(true)) return this.#error(this.user ? 403 : 401, this.user ? 'Permission denied (needs Messages_rw)' : 'Log in to publish', {}, m.id)
    const p = schemas.Broadcast.safeParse(m.data)
    if (!p.success) return this.#error(400, `Invalid Broadcast: ${describeIssues(p.error)}`, {}, m.id)
    if (!this.#checkPublishTopic(p.data.topic, m.id)) return
    const sent = this.#d.hub.publish(
      { topic: p.data.topic, payload: p.data.payload, from: { user: this.user, connectionId: this.id, dialect: 'rtc' }, priority: m.metadata?.priority, ttl: m.metadata?.ttl },
      this,
    )
    this.#later(
      sent.then(({ pub, recipients }) => this.#ack(m.id, { status: 'delivered', recipients, topic: pub.topic, ...(pub.offset !== undefined ? { offset: pub.offset, epoch: pub.epoch } : {}) })),
      m.id,
    )
  }

  #direct(m: Envelope): void {
    if (!this.#can(true)) return this.#error(this.user ? 403 : 401, this.user ? 'Permission denied (needs Messages_rw)' : 'Log in to send direct messages', {}, m.id)
    const p = schemas.DirectMessage.safeParse(m.data)
    if (!p.success) return this.#error(400, `Invalid DirectMessage: ${describeIssues(p.error)}`, {}, m.id)
    const target = p.data.target_user
    const r = this.#d.hub.direct(
      { targetUser: target, payload: p.data.payload, from: { user: this.user, connectionId: this.id, dialect: 'rtc' }, priority: m.metadata?.priority, ttl: m.metadata?.ttl },
      this,
    )
    this.#later(
      r.then((res) => void this.#answerDirect(res, target, m.id)),
      m.id,
    )
  }

  /** Handlers that wait for shared storage or other instances: a failure is an error reply, never a crash. */
  #later(p: Promise<unknown>, id: string | number | undefined): void {
    p.catch((err: unknown) => {
      this.#d.log.error({ err, area: 'messaging' }, 'message handler failed')
      this.#error(500, 'Internal error', {}, id)
    })
  }

  #answerDirect(r: DirectResult, target: string, id: string | number | undefined, extra: Record<string, unknown> = {}): boolean {
    switch (r.status) {
      case 'delivered':
        this.#ack(id, { status: 'delivered', delivered_to: r.deliveredTo, ...extra })
        return true
      case 'queued':
        this.#error(404, `User ${target} not found or not connected`, { queued: true, ...extra }, id)
        return false
      case 'unknown_user':
        this.#error(404, `User ${target} not found or not connected`, { queued: false, reason: 'unknown_user', ...extra }, id)
        return false
      case 'queue_full':
        this.#error(503, `Offline queue for ${target} is full; retry later`, { queued: false, reason: 'queue_full', ...extra }, id)
        return false
    }
  }

  #history(m: Envelope, replyType: string): void {
    if (!this.#can(false)) return this.#error(403, 'Permission denied (needs Messages_r)', {}, m.id)
    const p = schemas.History.safeParse(m.data)
    if (!p.success) return this.#error(400, `Invalid ${replyType}: ${describeIssues(p.error)}`, {}, m.id)
    const c = checkTopic(p.data.topic)
    if (!c.ok) return this.#error(400, `Invalid topic: ${c.reason}`, { topic: p.data.topic }, m.id)
    const read = this.#d.hub.history.read(p.data.topic, { limit: p.data.limit, since: p.data.since, before: p.data.before })
    if (read instanceof Promise) this.#later(read.then((page) => this.#historyReply(m, replyType, page)), m.id)
    else this.#historyReply(m, replyType, read)
  }

  #historyReply(m: Envelope, replyType: string, page: HistoryPage): void {
    this.#reply(
      {
        type: replyType,
        data: {
          topic: page.topic,
          epoch: page.epoch,
          offset: page.top,
          publications: page.publications.map((x) => ({ offset: x.offset, payload: x.payload, metadata: { sent_at: x.sentAt, message_id: x.messageId, from_user: x.from.user, priority: x.priority } })),
          ...(page.recovered !== undefined ? { recovered: page.recovered } : {}),
        },
      },
      m.id,
    )
  }

  #custom(m: Envelope): void {
    if (m.type === 'X-History') return this.#history(m, 'X-History')
    const handler = this.#d.hub.customType(m.type)
    if (!handler) return this.#error(400, `Unknown message type ${m.type} (no handler registered)`, { type: m.type }, m.id)
    Promise.resolve()
      .then(() => handler({ connectionId: this.id, user: this.user, data: m.data, ...(m.id !== undefined ? { id: m.id } : {}) }))
      .then(
        (result) => {
          if (result !== undefined) this.#reply({ type: m.type, data: result }, m.id)
        },
        (err: Error & { code?: number }) => {
          const code = typeof err?.code === 'number' && err.code >= 400 && err.code < 600 ? err.code : 500
          this.#error(code, code === 500 ? 'Internal error' : err.message, { type: m.type }, m.id)
        },
      )
  }

  #onBinary(frame: Buffer): void {
    const b = parseBinary(frame)
    if (!b.ok) return this.#error(400, b.reason, b.details)
    if (!this.#can(true)) return this.#error(this.user ? 403 : 401, 'Log in to send binary messages')
    const size = b.body.length
    const checksum = b.type === 'file_transfer' ? { checksum: `sha256:${createHash('sha256').update(b.body).digest('hex')}` } : {}
    if (b.type === 'direct_message') {
      const sent = this.#d.hub.direct({ targetUser: b.address, payload: null, binary: b.body, from: { user: this.user, connectionId: this.id, dialect: 'rtc' } }, this)
      return this.#later(
        sent.then((r) => {
          if (r.status !== 'delivered') return void this.#answerDirect(r, b.address, undefined, { type: b.type, size })
          this.#reply({ type: 'Status', data: { status: 'binary_received', details: { size, type: b.type, target_user: b.address, delivered_to: r.deliveredTo } } })
        }),
        undefined,
      )
    }
    if (!this.#checkPublishTopic(b.address, undefined)) return
    // Subscribers receive the very bytes that were sent (topic included): no re-encoding.
    const recipients = this.#d.hub.publishBinary(b.address, frame, { user: this.user, connectionId: this.id, dialect: 'rtc' }, this)
    this.#reply({ type: 'Status', data: { status: 'binary_received', details: { size, type: b.type, topic: b.address, recipients, ...checksum } } })
  }
}

/** The `id` of a frame we will not process further (rate-limited), without a full validation. */
function peekId(data: Buffer): string | number | undefined {
  if (data.length > 4096) return undefined
  try {
    return peekIdOf(JSON.parse(data.toString('utf8')))
  } catch {
    return undefined
  }
}

function peekIdOf(raw: unknown): string | number | undefined {
  const id = (raw as { id?: unknown } | null)?.id
  return typeof id === 'string' || typeof id === 'number' ? id : undefined
}
