import { existsSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { hostname, networkInterfaces } from 'node:os'
import type { Duplex } from 'node:stream'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { ANONYMOUS, can, type Permission, type Principal } from '../../shared/auth.ts'
import { AuthError, type Auth, credentialsSchema, newUserSchema } from '../auth/index.ts'
import type { Logger } from '../log/index.ts'
import { Metrics } from './metrics.ts'

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

export interface LanOptions {
  host: string
  port: number
  auth: Auth
  log: Logger
  /** Built web UI (index.html + assets); a hint page is served when missing. */
  webRoot?: string
  allowedOrigins: string[]
  anonymousRead: boolean
  /** Largest HTTP body accepted (bytes). */
  bodyLimit?: number
}

export class LanError extends Error {
  override name = 'LanError'
}

/**
 * The one HTTP + WebSocket server on the LAN: routing, login, users, origin checks,
 * static web UI, health and metrics. Rooms add HTTP routes on `http` and WebSocket
 * endpoints with `ws()`; every upgrade passes the origin check first.
 */
export class LanServer {
  readonly http: FastifyInstance
  readonly metrics = new Metrics()
  #opts: LanOptions
  #log: Logger
  #upgrades: Array<{ path: string; prefix: boolean; handler: UpgradeHandler }> = []
  #sockets = new Set<Duplex>()
  #statusProvider: () => unknown = () => ({})
  #healthy: () => boolean = () => true
  #address: { host: string; port: number } | undefined
  #upgradeCounter
  #rejectCounter

  constructor(opts: LanOptions) {
    this.#opts = opts
    this.#log = opts.log.child({ area: 'lan' })
    this.http = Fastify({ bodyLimit: opts.bodyLimit ?? 64 * 1024, forceCloseConnections: true, logger: false, return503OnClosing: true })
    this.#upgradeCounter = this.metrics.counter('pitwall_ws_upgrades_total', 'WebSocket upgrades accepted, by path')
    this.#rejectCounter = this.metrics.counter('pitwall_ws_rejected_total', 'WebSocket upgrades refused, by reason')
    this.metrics.counter('pitwall_http_requests_total', 'HTTP requests, by status class')
    this.metrics.gauge('pitwall_ws_open_sockets', 'Open upgraded sockets', () => this.#sockets.size)
    this.metrics.gauge('process_resident_memory_bytes', 'Resident memory', () => process.memoryUsage().rss)
    this.metrics.gauge('process_uptime_seconds', 'Process uptime', () => Math.round(process.uptime()))
    this.#routes()
    this.http.server.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head))
  }

  /** Registers a WebSocket endpoint. `prefix` matches every path below it too. */
  ws(path: string, handler: UpgradeHandler, opts: { prefix?: boolean } = {}): void {
    this.#upgrades.push({ path, prefix: !!opts.prefix, handler })
  }

  setStatusProvider(fn: () => unknown, healthy: () => boolean): void {
    this.#statusProvider = fn
    this.#healthy = healthy
  }

  get address(): { host: string; port: number } {
    if (!this.#address) throw new LanError('LAN server is not listening')
    return this.#address
  }

  /** The URL a person on this machine opens. */
  get url(): string {
    const { host, port } = this.address
    const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
    return `http://${shown}:${port}`
  }

  async listen(): Promise<void> {
    try {
      await this.http.listen({ host: this.#opts.host, port: this.#opts.port })
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'EADDRINUSE') throw new LanError(`port ${this.#opts.port} on ${this.#opts.host} is already in use`)
      if (e.code === 'EACCES') throw new LanError(`no permission to listen on ${this.#opts.host}:${this.#opts.port}`)
      if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new LanError(`cannot listen on ${this.#opts.host}: address not available`)
      throw err
    }
    const addr = this.http.server.address()
    if (addr && typeof addr === 'object') this.#address = { host: this.#opts.host, port: addr.port }
    this.#log.info({ url: this.url }, `LAN server listening on ${this.#opts.host}:${this.#address!.port}`)
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
    await this.http.close()
  }

  /** Principal from `Authorization: Bearer`, `?token=` or `?access_token=`; anonymous when none. Throws AuthError on a bad token. */
  async principalOf(req: IncomingMessage | FastifyRequest): Promise<Principal> {
    const token = tokenFrom(req)
    if (!token) return ANONYMOUS
    return this.#opts.auth.verify(token)
  }

  /**
   * Browser origin check for WebSocket upgrades (cross-site WebSocket hijacking and DNS rebinding):
   * requests without Origin are non-browser clients and pass; a browser's Origin must be this server
   * (same host:port as Host, Host being an address or a name of this machine) or an allowed origin.
   */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin
    if (origin === undefined) return true
    if (this.#opts.allowedOrigins.includes(origin)) return true
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      return false
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
    const host = req.headers.host
    if (!host || url.host.toLowerCase() !== host.toLowerCase()) return false
    return isOwnHostName(url.hostname)
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const path = (req.url ?? '/').split('?')[0]!
    const route = this.#upgrades.find((u) => u.path === path || (u.prefix && path.startsWith(u.path.endsWith('/') ? u.path : u.path + '/')))
    if (!route) return this.#refuse(socket, 404, 'Not Found', 'unknown_path')
    if (!this.originAllowed(req)) {
      this.#log.warn({ origin: req.headers.origin, path }, 'WebSocket upgrade refused: origin not allowed')
      return this.#refuse(socket, 403, 'Forbidden', 'origin')
    }
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    this.#upgradeCounter.inc({ path: route.path })
    try {
      route.handler(req, socket, head)
    } catch (err) {
      this.#log.error({ err, path }, 'upgrade handler failed')
      socket.destroy()
    }
  }

  #refuse(socket: Duplex, status: number, text: string, reason: string): void {
    this.#rejectCounter.inc({ reason })
    refuseUpgrade(socket, status, text)
  }

  /** Sends 401 with a JSON error, 403 when the caller is logged in but lacks the permission. */
  requirePermission(perm: Permission) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      let p: Principal
      try {
        p = await this.principalOf(req)
      } catch (err) {
        return reply.code(401).send({ error: err instanceof AuthError ? err.message : 'Invalid token' })
      }
      if (p.username === null) return reply.code(401).send({ error: 'Authentication required' })
      if (!can(p, perm, this.#opts.anonymousRead)) return reply.code(403).send({ error: 'Permission denied' })
      ;(req as FastifyRequest & { principal: Principal }).principal = p
      return undefined
    }
  }

  #routes(): void {
    const app = this.http
    const auth = this.#opts.auth
    const requests = this.metrics.counter('pitwall_http_requests_total', 'HTTP requests, by status class')
    app.addHook('onResponse', async (_req, reply) => requests.inc({ code: `${Math.floor(reply.statusCode / 100)}xx` }))
    app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('X-Content-Type-Options', 'nosniff')
      reply.header('Referrer-Policy', 'no-referrer')
      reply.header('X-Frame-Options', 'DENY')
      return payload
    })
    app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
      const code = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
      if (code >= 500) this.#log.error({ err }, 'HTTP handler failed')
      reply.code(code).send({ error: code >= 500 ? 'Internal error' : err.message })
    })
    // JSON bodies: an empty body is "no body" (DELETE with a JSON content type), bad JSON is a precise 400.
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      if (body === '') return done(null, undefined)
      try {
        done(null, JSON.parse(body as string))
      } catch {
        done(Object.assign(new Error('Invalid JSON body'), { statusCode: 400 }), undefined)
      }
    })
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `No route ${req.method} ${req.url.split('?')[0]}` }))

    app.get('/healthz', async (_req, reply) => (this.#healthy() ? { status: 'ok' } : reply.code(503).send({ status: 'degraded' })))
    app.get('/api/status', async () => this.#statusProvider())
    app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(this.metrics.render()))

    app.post('/api/login', async (req, reply) => {
      const body = credentialsSchema.safeParse(req.body)
      if (!body.success) return reply.code(400).send({ error: 'Body must be {"username": string, "password": string}' })
      try {
        const r = await auth.login(body.data.username, body.data.password, req.ip)
        return { token: r.token, expiresAt: r.expiresAt, user: r.user }
      } catch (err) {
        if (err instanceof AuthError && err.code === 'throttled') {
          const secs = Math.ceil((err.retryAfterMs ?? 0) / 1000)
          return reply.code(429).header('Retry-After', String(secs)).send({ error: err.message, retryAfter: secs })
        }
        if (err instanceof AuthError) return reply.code(401).send({ error: err.message })
        throw err
      }
    })
    app.post('/api/logout', async (req, reply) => {
      const token = tokenFrom(req)
      if (!token) return reply.code(401).send({ error: 'Authentication required' })
      try {
        await auth.logout(token)
      } catch (err) {
        if (err instanceof AuthError) return reply.code(401).send({ error: err.message })
        throw err
      }
      return { ok: true }
    })

    // Who a token belongs to: lets a browser tell an expired login from a server that is down
    // (a refused WebSocket upgrade hides its HTTP status from page scripts).
    app.get('/api/session', async (req, reply) => {
      try {
        const p = await this.principalOf(req)
        if (p.username === null) return reply.code(401).send({ error: 'Authentication required' })
        return { user: { username: p.username, role: p.role } }
      } catch (err) {
        return reply.code(401).send({ error: err instanceof AuthError ? err.message : 'Invalid token' })
      }
    })

    app.get('/api/users', { preHandler: this.requirePermission('User_r') }, async () => ({ users: auth.listUsers() }))
    app.post('/api/users', { preHandler: this.requirePermission('User_rw') }, async (req, reply) => {
      const body = newUserSchema.safeParse(req.body)
      if (!body.success) return reply.code(400).send({ error: body.error.issues.map((i) => i.message).join('; ') })
      try {
        return reply.code(201).send(await auth.createUser(body.data, true))
      } catch (err) {
        if (err instanceof AuthError) return reply.code(409).send({ error: err.message })
        throw err
      }
    })
    app.delete<{ Params: { username: string } }>('/api/users/:username', { preHandler: this.requirePermission('User_rw') }, async (req, reply) => {
      try {
        auth.deleteUser(req.params.username)
        return { ok: true }
      } catch (err) {
        if (err instanceof AuthError) return reply.code(err.code === 'not_found' ? 404 : 409).send({ error: err.message })
        throw err
      }
    })

    const webRoot = this.#opts.webRoot
    if (webRoot && existsSync(webRoot)) {
      app.register(fastifyStatic, {
        root: webRoot,
        index: ['index.html'],
        setHeaders: (reply) => {
          reply.header('Content-Security-Policy', WEB_CSP)
        },
      })
    } else {
      app.get('/', async (_req, reply) =>
        reply.type('text/html').header('Content-Security-Policy', WEB_CSP).send('<!doctype html><title>Pitwall</title><p>The web UI is not built. Run <code>npm run build</code>.</p>'),
      )
    }
  }
}

export const WEB_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

export function refuseUpgrade(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) return void socket.destroy()
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${text}`)
}

/** Token from `Authorization: Bearer`, or `?token=` / `?access_token=` (browsers cannot set WebSocket headers). */
export function tokenFrom(req: IncomingMessage | FastifyRequest): string | undefined {
  const header = req.headers.authorization
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice(7).trim() || undefined
  const url = new URL(req.url ?? '/', 'http://x')
  return url.searchParams.get('token') ?? url.searchParams.get('access_token') ?? undefined
}

function isOwnHostName(name: string): boolean {
  const h = name.toLowerCase().replace(/^\[|\]$/g, '')
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (/^[\d.]+$/.test(h) || h.includes(':')) return true // IP literals cannot be rebound
  const own = hostname().toLowerCase()
  if (h === own || h === `${own}.local` || h === `${own}.lan` || h.split('.')[0] === own) return true
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address.toLowerCase() === h))
}
