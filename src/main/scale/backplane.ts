import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { Redis } from 'ioredis'
import type { Logger } from '../log/index.ts'

export type BackplaneState = 'connecting' | 'connected' | 'down' | 'stopped'

export interface InstanceInfo {
  id: string
  name: string
  url?: string
  /** What this instance owns: 'device', 'timing'. */
  owns: string[]
  /** Last heartbeat (ms). */
  seen: number
}

interface Events {
  state: [state: BackplaneState, detail: string | undefined]
}

type Handler = (data: Buffer, from: string) => void
type RequestHandler = (payload: unknown, from: string) => Promise<unknown> | unknown

const PREFIX = 'pw:'
const HEARTBEAT_MS = 2000
const INSTANCE_TTL_MS = 6000

export class BackplaneError extends Error {
  override name = 'BackplaneError'
}

/**
 * The Redis backplane: pub/sub between instances (each message tagged with its sender, so an
 * instance never handles its own), request/response to one instance (writes routed to the owner
 * of a device), and a registry of live instances. While Redis is down every call fails fast
 * instead of queueing: local clients keep being served, and what was published meanwhile is
 * lost (documented in docs/scaling.md); ioredis reconnects with backoff and subscriptions resume.
 */
export class Backplane extends EventEmitter<Events> {
  readonly instanceId: string
  /** Command connection, for rooms that keep shared data in Redis (history, presence, queues). */
  readonly redis: Redis
  #sub: Redis
  #log: Logger
  #handlers = new Map<string, Set<Handler>>()
  #requestHandlers = new Map<string, RequestHandler>()
  #pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>()
  #state: BackplaneState = 'connecting'
  #detail: string | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #info: () => Omit<InstanceInfo, 'id' | 'seen'>

  constructor(url: string, opts: { instanceId: string; log: Logger; info: () => Omit<InstanceInfo, 'id' | 'seen'> }) {
    super()
    this.instanceId = opts.instanceId
    this.#info = opts.info
    this.#log = opts.log.child({ area: 'scale' })
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      // Reconnect with backoff up to 5 s, forever.
      retryStrategy: (times: number) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
    }
    this.redis = new Redis(url, { ...common, connectionName: `pitwall-${opts.instanceId}` })
    this.#sub = new Redis(url, { ...common, enableOfflineQueue: true, connectionName: `pitwall-${opts.instanceId}-sub` })
    for (const c of [this.redis, this.#sub]) {
      c.on('error', (err: Error) => this.#setState('down', err.message))
      c.on('end', () => this.#state !== 'stopped' && this.#setState('down', 'connection closed'))
      c.on('ready', () => this.#onReady())
      c.on('reconnecting', () => this.#state !== 'stopped' && this.#state !== 'down' && this.#setState('connecting', 'reconnecting'))
    }
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#onMessage(channel.toString(), message))
  }

  get state(): BackplaneState {
    return this.#state
  }

  get detail(): string | undefined {
    return this.#detail
  }

  get up(): boolean {
    return this.#state === 'connected'
  }

  /** Connects; never throws for an unreachable Redis (the instance keeps serving local clients and retries). */
  async start(): Promise<void> {
    await this.#subscribeSelf()
    await Promise.allSettled([this.redis.connect(), this.#sub.connect()])
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS)
    this.#heartbeat.unref()
  }

  async stop(): Promise<void> {
    this.#setState('stopped', undefined)
    clearInterval(this.#heartbeat)
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer)
      p.reject(new BackplaneError('backplane stopped'))
    }
    this.#pending.clear()
    try {
      if (this.redis.status === 'ready') await this.redis.hdel(`${PREFIX}instances`, this.instanceId)
    } catch {
      /* best effort */
    }
    this.redis.disconnect()
    this.#sub.disconnect()
  }

  /** Publishes to every other instance. Returns false (nothing sent) while Redis is down. */
  publish(channel: string, data: Buffer | string): boolean {
    if (!this.up) return false
    const body = typeof data === 'string' ? Buffer.from(data) : data
    const head = Buffer.from(`${this.instanceId}\n`)
    this.redis.publish(PREFIX + channel, Buffer.concat([head, body])).catch((err: Error) => this.#log.warn({ err: err.message, channel }, 'publish failed'))
    return true
  }

  /** Messages other instances publish on `channel`. Returns the unsubscribe function. */
  subscribe(channel: string, handler: Handler): () => void {
    let set = this.#handlers.get(channel)
    if (!set) {
      set = new Set()
      this.#handlers.set(channel, set)
      void this.#sub.subscribe(PREFIX + channel).catch(() => undefined) // re-sent by ioredis on reconnect
    }
    set.add(handler)
    return () => {
      set.delete(handler)
      if (set.size === 0) {
        this.#handlers.delete(channel)
        void this.#sub.unsubscribe(PREFIX + channel).catch(() => undefined)
      }
    }
  }

  /** Serves requests of `kind` sent to this instance. */
  handle(kind: string, fn: RequestHandler): void {
    this.#requestHandlers.set(kind, fn)
  }

  /** Sends a request to one instance and waits for its answer. Errors the target raised come back as BackplaneError. */
  request(target: string, kind: string, payload: unknown, timeoutMs = 3000): Promise<unknown> {
    if (!this.up) return Promise.reject(new BackplaneError('backplane is down'))
    const id = randomUUID()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new BackplaneError(`instance ${target} did not answer ${kind} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      this.publish(`inst:${target}`, JSON.stringify({ type: 'req', id, kind, payload }))
    })
  }

  /** Live instances (heartbeat within the last few seconds), this one included. */
  async instances(): Promise<InstanceInfo[]> {
    if (!this.up) return []
    const all = await this.redis.hgetall(`${PREFIX}instances`)
    const now = Date.now()
    return Object.values(all)
      .map((v) => JSON.parse(v) as InstanceInfo)
      .filter((i) => now - i.seen < INSTANCE_TTL_MS)
      .sort((a, b) => a.id.localeCompare(b.id))
  }

  /** The live instance that owns `what`, if any. */
  async ownerOf(what: string): Promise<InstanceInfo | undefined> {
    return (await this.instances()).find((i) => i.owns.includes(what))
  }

  async #subscribeSelf(): Promise<void> {
    this.subscribe(`inst:${this.instanceId}`, (data, from) => void this.#onDirect(data, from))
  }

  async #onDirect(data: Buffer, from: string): Promise<void> {
    let msg: { type: 'req' | 'res'; id: string; kind?: string; payload?: unknown; error?: string }
    try {
      msg = JSON.parse(data.toString())
    } catch {
      return
    }
    if (msg.type === 'res') {
      const p = this.#pending.get(msg.id)
      if (!p) return
      this.#pending.delete(msg.id)
      clearTimeout(p.timer)
      if (msg.error !== undefined) p.reject(new BackplaneError(msg.error))
      else p.resolve(msg.payload)
      return
    }
    const fn = this.#requestHandlers.get(msg.kind ?? '')
    let reply: object
    try {
      if (!fn) throw new Error(`no handler for ${msg.kind}`)
      reply = { type: 'res', id: msg.id, payload: await fn(msg.payload, from) }
    } catch (err) {
      reply = { type: 'res', id: msg.id, error: (err as Error).message }
    }
    this.publish(`inst:${from}`, JSON.stringify(reply))
  }

  #onMessage(channel: string, message: Buffer): void {
    const nl = message.indexOf(10)
    if (nl < 0) return
    const from = message.subarray(0, nl).toString()
    if (from === this.instanceId) return
    const handlers = this.#handlers.get(channel.slice(PREFIX.length))
    if (!handlers) return
    const data = message.subarray(nl + 1)
    for (const h of handlers) {
      try {
        h(data, from)
      } catch (err) {
        this.#log.error({ err, channel }, 'backplane handler failed')
      }
    }
  }

  #onReady(): void {
    if (this.#state === 'stopped') return
    if (this.redis.status === 'ready' && this.#sub.status === 'ready') {
      // After a reconnect ioredis re-sends the SUBSCRIBEs; a PING answered after them means they are
      // active, so what the rooms send on 'connected' (presence snapshots, hellos) gets its answers.
      void this.#sub
        .ping()
        .catch(() => undefined)
        .then(() => {
          if (this.#state === 'stopped' || this.redis.status !== 'ready' || this.#sub.status !== 'ready') return
          this.#setState('connected', undefined)
          void this.#beat()
        })
    }
  }

  async #beat(): Promise<void> {
    if (!this.up) return
    const info: InstanceInfo = { id: this.instanceId, ...this.#info(), seen: Date.now() }
    await this.redis.hset(`${PREFIX}instances`, this.instanceId, JSON.stringify(info)).catch(() => undefined)
  }

  #setState(state: BackplaneState, detail: string | undefined): void {
    if (this.#state === 'stopped' && state !== 'stopped') return
    if (state === this.#state && detail === this.#detail) return
    const was = this.#state
    this.#state = state
    this.#detail = detail
    // Said once per outage: when the link is lost (it may first show as 'connecting' while ioredis retries).
    if ((state === 'down' || state === 'connecting') && was === 'connected') this.#log.warn({ detail }, 'Redis backplane down: serving local clients only, reconnecting')
    if (state === 'connected' && was !== 'connected') this.#log.info('Redis backplane connected')
    this.emit('state', state, detail)
  }
}
