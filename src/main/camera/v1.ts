import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type RawData, type WebSocket, WebSocketServer } from 'ws'
import { ANONYMOUS, type Permission, type Principal, permissionsOf } from '../../shared/auth.ts'
import { CAMERA_KEYS, type CameraChanges, canReadKey, cameraKeyDef, type LinkStatus } from '../../shared/camera-keys.ts'
import { type Auth, AuthError } from '../auth/index.ts'
import { type LanServer, preFrame, refuseUpgrade, sendFrame, tokenFrom } from '../lan/index.ts'
import type { Logger } from '../log/index.ts'
import type { CameraModel, KeyError, WriteOutcome } from './model.ts'

// The camera WebSocket API v1 at /api/v1 (specs/camera-websocket-api-v1.md; every decision the spec
// leaves open is documented in docs/api/camera-v1.md). Plain JSON objects both ways.

export const V1_PATH = '/api/v1'
const MAX_FRAME = 64 * 1024
/** More keys than this in one message is refused whole (there are 23). */
const MAX_KEYS = 64
/** Messages queued behind a login that is still being checked. */
const MAX_QUEUED = 256
const ABUSE_WINDOW_MS = 5000
const PING_MS = 30_000
const CAMERA_PERMS: ReadonlySet<Permission> = new Set(['Device_r', 'Device_rw', 'Media_r', 'Media_rw'])
/**
 * Read-only status of the controller link (device room), outside the 23 keys: `{"get":["device-link"]}`
 * answers `{"device-link": {state, detail}}` and from then on that client also gets every link change.
 */
export const LINK_KEY = 'device-link'

export interface V1Options {
  lan: LanServer
  auth: Auth
  model: CameraModel
  log: Logger
  anonymousRead: boolean
  /** Above this many clients the upgrade gets HTTP 503. */
  maxClients: number
  /** Messages per second per client (token bucket, burst of the same size). */
  rateLimit: number
  /** A client whose unsent output passes this many bytes is cut off. */
  maxBufferedBytes: number
}

/** Clients that read the same keys share one serialized broadcast per change. */
interface PermissionClass {
  id: string
  readable: ReadonlySet<string>
  clients: Set<Client>
}

interface Client {
  ws: WebSocket
  principal: Principal
  perms: readonly Permission[]
  cls: PermissionClass
  address: string
  tokens: number
  refilledAt: number
  droppedInWindow: number
  windowStart: number
  alive: boolean
  /** Messages waiting for a login in progress (null when none is). */
  queue: unknown[] | null
  /** Asked for `device-link`: gets link changes too. */
  watchesLink?: boolean
}

export class CameraV1Server {
  #o: V1Options
  #log: Logger
  #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME, perMessageDeflate: false, clientTracking: false })
  #clients = new Set<Client>()
  #classes = new Map<string, PermissionClass>()
  #pendingUpgrades = 0
  #ping: NodeJS.Timeout
  #onChange = (changes: CameraChanges) => this.broadcast(changes)
  #onLink = (link: LinkStatus) => {
    let bytes: Buffer | undefined
    for (const c of this.#clients) if (c.watchesLink && canReadLink(c.perms)) this.#send(c, (bytes ??= Buffer.from(JSON.stringify({ [LINK_KEY]: link }))))
  }
  #cutOff
  #rateLimited

  constructor(opts: V1Options) {
    this.#o = opts
    this.#log = opts.log
    opts.lan.metrics.gauge('pitwall_camera_v1_clients', 'Connected camera API v1 clients', () => this.#clients.size)
    this.#cutOff = opts.lan.metrics.counter('pitwall_camera_v1_slow_clients_total', 'v1 clients cut off for not reading')
    this.#rateLimited = opts.lan.metrics.counter('pitwall_camera_v1_rate_limited_total', 'v1 messages dropped by the rate limit')
    opts.lan.ws(V1_PATH, (req, socket, head) => this.#upgrade(req, socket, head))
    opts.model.on('change', this.#onChange)
    opts.model.on('link', this.#onLink)
    this.#ping = setInterval(() => this.#heartbeat(), PING_MS)
    this.#ping.unref()
  }

  get clientCount(): number {
    return this.#clients.size
  }

  close(): void {
    clearInterval(this.#ping)
    this.#o.model.off('change', this.#onChange)
    this.#o.model.off('link', this.#onLink)
    for (const c of this.#clients) c.ws.terminate()
    this.#clients.clear()
    this.#classes.clear()
    this.#wss.close()
  }

  /**
   * Fan-out of a confirmed change: serialized and framed once per permission class (the keys a class
   * may read) and the same frame written to every client of that class, the sender included.
   */
  broadcast(changes: CameraChanges): void {
    for (const cls of this.#classes.values()) {
      if (cls.clients.size === 0) continue
      let visible: Record<string, unknown> | undefined
      for (const key in changes) {
        if (!cls.readable.has(key)) continue
        ;(visible ??= {})[key] = (changes as Record<string, unknown>)[key]
      }
      if (!visible) continue
      const bytes = Buffer.from(JSON.stringify(visible))
      const frame = preFrame(bytes, false)
      for (const c of cls.clients) this.#send(c, bytes, frame)
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#clients.size + this.#pendingUpgrades >= this.#o.maxClients) {
      this.#log.warn({ max: this.#o.maxClients }, 'camera v1 upgrade refused: client cap reached')
      return refuseUpgrade(socket, 503, 'Service Unavailable', { 'Retry-After': '5' })
    }
    this.#pendingUpgrades++
    const hasToken = tokenFrom(req) !== undefined
    this.#o.lan
      .principalOf(req)
      .then(
        (p) => this.#accept(req, socket, head, p, hasToken ? null : undefined),
        (err: unknown) => this.#accept(req, socket, head, ANONYMOUS, err instanceof AuthError ? err.message : 'Invalid token'),
      )
      .catch((err: unknown) => {
        this.#log.error({ err }, 'camera v1 upgrade failed')
        socket.destroy()
      })
  }

  /** `tokenError`: undefined = no token given, null = token accepted, string = why it was not. */
  #accept(req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal, tokenError: string | null | undefined): void {
    this.#pendingUpgrades--
    if (socket.destroyed) return
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const now = Date.now()
      const c: Client = {
        ws,
        principal: ANONYMOUS,
        perms: [],
        cls: undefined as unknown as PermissionClass,
        address: req.socket.remoteAddress ?? 'unknown',
        tokens: this.#o.rateLimit,
        refilledAt: now,
        droppedInWindow: 0,
        windowStart: now,
        alive: true,
        queue: null,
      }
      ws.on('close', () => this.#remove(c))
      ws.on('error', () => ws.terminate())
      ws.on('pong', () => (c.alive = true))
      this.#clients.add(c)
      this.#setPrincipal(c, principal)
      if (tokenError === null) this.#sendJson(c, this.#authReply(c))
      else if (typeof tokenError === 'string') this.#sendJson(c, { authenticated: false, error: tokenError })
      ws.on('message', (data, isBinary) => this.#onMessage(c, data, isBinary))
    })
  }

  #remove(c: Client): void {
    if (!this.#clients.delete(c)) return
    c.cls.clients.delete(c)
    c.queue = null
  }

  #setPrincipal(c: Client, principal: Principal): void {
    c.principal = principal
    c.perms = permissionsOf(principal, this.#o.anonymousRead).filter((p) => CAMERA_PERMS.has(p))
    const readable = CAMERA_KEYS.filter((d) => canReadKey(d, c.perms)).map((d) => d.key)
    const id = readable.join(',')
    let cls = this.#classes.get(id)
    if (!cls) {
      cls = { id, readable: new Set(readable), clients: new Set() }
      this.#classes.set(id, cls)
    }
    c.cls?.clients.delete(c)
    c.cls = cls
    cls.clients.add(c)
  }

  #authReply(c: Client): Record<string, unknown> {
    return { authenticated: true, user: c.principal.username, role: c.principal.role, permissions: c.perms }
  }

  #onMessage(c: Client, data: RawData, isBinary: boolean): void {
    if (!this.#takeToken(c)) return
    if (c.principal.sid) {
      if (this.#o.auth.sessionAlive(c.principal.sid)) this.#o.auth.touch(c.principal.sid)
      else {
        this.#setPrincipal(c, ANONYMOUS)
        this.#sendJson(c, { authenticated: false, error: 'Session expired' })
      }
    }
    if (isBinary) return this.#sendJson(c, { error: 'Invalid JSON', message: 'Binary frames are not supported; send JSON text' })
    let msg: unknown
    try {
      msg = JSON.parse(data.toString())
    } catch {
      return this.#sendJson(c, { error: 'Invalid JSON' })
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return this.#sendJson(c, { error: 'Invalid JSON', message: 'Expected a JSON object' })
    if (c.queue) {
      if (c.queue.length >= MAX_QUEUED) return this.#sendJson(c, { error: 'Rate limit exceeded', message: 'Too many messages while logging in' })
      c.queue.push(msg)
      return
    }
    this.#handle(c, msg as Record<string, unknown>)
  }

  #handle(c: Client, msg: Record<string, unknown>): void {
    if ('token' in msg || ('username' in msg && 'password' in msg)) {
      this.#login(c, msg).catch((err: unknown) => this.#log.error({ err }, 'camera v1 login handling failed'))
      return
    }
    const names = Object.keys(msg)
    if (names.length > MAX_KEYS) return this.#sendJson(c, { error: 'Invalid value', message: `At most ${MAX_KEYS} keys per message` })
    const { get, ...writes } = msg
    if (LINK_KEY in writes) {
      delete writes[LINK_KEY]
      this.#sendJson(c, { error: 'Read-only', key: LINK_KEY, message: `${LINK_KEY} is read-only` })
      if (Object.keys(writes).length === 0 && !('get' in msg)) return
    }
    if ('get' in msg) this.#query(c, get)
    if (Object.keys(writes).length > 0 || !('get' in msg)) void this.#write(c, writes)
  }

  /** A login message is only a login: its other keys are ignored. The socket stays open whatever the result. */
  async #login(c: Client, msg: Record<string, unknown>): Promise<void> {
    c.queue = []
    try {
      let principal: Principal
      if ('token' in msg) {
        if (typeof msg.token !== 'string' || msg.token.length > 4096) throw new AuthError('invalid_token', 'Invalid token')
        principal = await this.#o.auth.verify(msg.token)
      } else {
        const { username, password } = msg
        if (typeof username !== 'string' || typeof password !== 'string' || username.length > 64 || password.length > 256) throw new AuthError('invalid_credentials', 'Authentication failed')
        const r = await this.#o.auth.login(username, password, c.address)
        principal = await this.#o.auth.verify(r.token)
      }
      if (!this.#clients.has(c)) return
      this.#setPrincipal(c, principal)
      this.#sendJson(c, this.#authReply(c))
    } catch (err) {
      if (!this.#clients.has(c)) return
      if (!(err instanceof AuthError)) this.#log.error({ err }, 'camera v1 login failed unexpectedly')
      this.#setPrincipal(c, ANONYMOUS)
      const reply: Record<string, unknown> = { authenticated: false, error: err instanceof AuthError ? err.message : 'Authentication failed' }
      if (err instanceof AuthError && err.retryAfterMs !== undefined) reply.retryAfter = Math.ceil(err.retryAfterMs / 1000)
      this.#sendJson(c, reply)
    } finally {
      const queued = c.queue ?? []
      c.queue = null
      for (const m of queued) {
        if (!this.#clients.has(c)) break
        if (c.queue) {
          // a queued message started another login: keep the rest behind it
          ;(c.queue as unknown[]).push(m)
          continue
        }
        this.#handle(c, m as Record<string, unknown>)
      }
    }
  }

  #query(c: Client, get: unknown): void {
    if (!Array.isArray(get) || get.length > MAX_KEYS || !get.every((k) => typeof k === 'string')) {
      return this.#sendJson(c, { error: 'Invalid value', key: 'get', message: `get must be an array of at most ${MAX_KEYS} key names` })
    }
    const state = this.#o.model.state as unknown as Record<string, unknown>
    const names = get.length === 0 ? CAMERA_KEYS.filter((d) => c.cls.readable.has(d.key)).map((d) => d.key) : (get as string[])
    const reply: Record<string, unknown> = {}
    const errors: KeyError[] = []
    for (const name of names) {
      if (name === LINK_KEY) {
        if (!canReadLink(c.perms)) errors.push({ error: 'Permission denied', key: LINK_KEY, message: `Reading ${LINK_KEY} needs Device_r or Device_rw` })
        else {
          reply[LINK_KEY] = this.#o.model.link
          c.watchesLink = true
        }
        continue
      }
      const def = cameraKeyDef(name)
      if (!def) errors.push({ error: 'Unknown key', key: name, message: `No key "${name}" in camera API v1` })
      else if (!c.cls.readable.has(def.key)) errors.push({ error: 'Permission denied', key: def.key, message: `Reading ${def.key} needs ${def.read.join(' or ')}` })
      else reply[def.key] = state[def.key]
    }
    if (Object.keys(reply).length > 0 || errors.length === 0) this.#sendJson(c, reply)
    for (const e of errors) this.#sendJson(c, e)
  }

  async #write(c: Client, writes: Record<string, unknown>): Promise<void> {
    const reply = (o: WriteOutcome) => {
      const keys = Object.keys(o.applied)
      if (keys.length > 0 || (o.rejected.length === 0 && o.failed.length === 0)) this.#sendJson(c, { ...o.applied, info: keys })
      for (const e of o.rejected) this.#sendJson(c, e)
      for (const e of o.failed) this.#sendJson(c, e)
    }
    try {
      await this.#o.model.write(writes, c.perms, reply)
    } catch (err) {
      this.#log.error({ err }, 'camera v1 write failed unexpectedly')
      this.#sendJson(c, { error: 'Internal error' })
    }
  }

  /** Token bucket (burst = rate); excess messages are dropped and answered; sustained abuse closes with 1008. */
  #takeToken(c: Client): boolean {
    const now = Date.now()
    const rate = this.#o.rateLimit
    c.tokens = Math.min(rate, c.tokens + ((now - c.refilledAt) * rate) / 1000)
    c.refilledAt = now
    if (c.tokens >= 1) {
      c.tokens -= 1
      return true
    }
    this.#rateLimited.inc()
    if (now - c.windowStart > ABUSE_WINDOW_MS) {
      c.windowStart = now
      c.droppedInWindow = 0
    }
    c.droppedInWindow++
    if (c.droppedInWindow >= 2 * rate) {
      this.#log.warn({ address: c.address, user: c.principal.username }, 'camera v1 client closed: sustained rate limit abuse')
      c.ws.close(1008, 'Rate limit exceeded')
      this.#remove(c)
      return false
    }
    this.#sendJson(c, { error: 'Rate limit exceeded' })
    return false
  }

  #sendJson(c: Client, msg: unknown): void {
    this.#send(c, JSON.stringify(msg))
  }

  /** Sends unless the client has stopped reading: past the buffer bound it is cut off (others are not held up). */
  #send(c: Client, data: string | Buffer, frame?: Buffer): void {
    const ws = c.ws
    if (ws.readyState !== 1) return
    if (ws.bufferedAmount > this.#o.maxBufferedBytes) {
      this.#log.warn({ address: c.address, user: c.principal.username, buffered: ws.bufferedAmount }, 'camera v1 client not reading; cut off')
      this.#cutOff.inc()
      this.#remove(c)
      ws.terminate()
      return
    }
    if (frame) sendFrame(ws, frame, data as Buffer, false)
    else ws.send(data, { binary: false })
  }

  /**
   * Drops clients whose login session ended (logged out, idle past sessionIdleMinutes, password or role
   * changed) back to anonymous, so a socket that only listens loses its rights too. Runs with the heartbeat.
   */
  checkSessions(): void {
    for (const c of this.#clients) {
      if (c.principal.sid && !this.#o.auth.sessionAlive(c.principal.sid)) {
        this.#setPrincipal(c, ANONYMOUS)
        this.#sendJson(c, { authenticated: false, error: 'Session expired' })
      }
    }
  }

  #heartbeat(): void {
    this.checkSessions()
    for (const c of this.#clients) {
      if (!c.alive) {
        this.#remove(c)
        c.ws.terminate()
        continue
      }
      c.alive = false
      c.ws.ping()
    }
  }
}

function canReadLink(perms: readonly Permission[]): boolean {
  return perms.includes('Device_r') || perms.includes('Device_rw')
}
