// HubServer: mounts hubs on the LAN server — negotiate, the three transports' HTTP endpoints and the
// WebSocket endpoint — and hands each hub's runtime to the app as a HubContext.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { can, type Principal } from '../../shared/auth.ts'
import type { LanServer } from '../lan/index.ts'
import { refuseUpgrade } from '../lan/index.ts'
import type { Logger } from '../log/index.ts'
import type { Connection, SessionCheck } from './connection.ts'
import type { HubContext } from './context.ts'
import type { HubDefinition, TransportName } from './hub.ts'
import { JsonHubProtocol } from './json-protocol.ts'
import { MessagePackHubProtocol } from './msgpack-protocol.ts'
import type { HubProtocol } from './protocol.ts'
import { type HubDefaults, type HubOptions, HubRuntime, type ScaleTarget } from './runtime.ts'
import { LongPollingTransport, SseTransport, WebSocketTransport } from './transports.ts'

export interface HubServerOptions {
  lan: LanServer
  log: Logger
  /** Defaults for every hub (config.signalr); each hub may override them in `addHub`. */
  keepAliveMs?: number
  clientTimeoutMs?: number
  handshakeTimeoutMs?: number
  /** Anonymous clients hold the read permissions (config.anonymousRead). */
  anonymousRead?: boolean
  /** Protocols of hubs that do not list their own [JSON, MessagePack]. */
  protocols?: HubProtocol[]
  /** ctx.auth: connections keep their login session alive and are closed when it ends (logout, idle). */
  sessions?: SessionCheck
}

const TRANSFER_FORMATS: Record<TransportName, string[]> = {
  WebSockets: ['Text', 'Binary'],
  ServerSentEvents: ['Text'],
  LongPolling: ['Text', 'Binary'],
}

const NEGOTIATE_SUFFIX = '/negotiate'

/**
 * The SignalR server. Construct it before the LAN server listens (it installs one request hook);
 * hubs may be added at any time after that.
 */
/** What HubServer needs from a backplane between instances (scale-backplane.ts implements it over Redis). */
export interface SignalRBackplane {
  publish(hubPath: string, to: ScaleTarget, target: string, args: unknown[]): void
  onMessage(handler: (hubPath: string, to: ScaleTarget, target: string, args: unknown[]) => void): void
}

export class HubServer {
  #lan: LanServer
  #log: Logger
  #defaults: HubDefaults
  #protocols: HubProtocol[]
  #hubs = new Map<string, { runtime: HubRuntime; wss: WebSocketServer }>()
  #closed = false
  #backplane: SignalRBackplane | undefined

  constructor(opts: HubServerOptions) {
    this.#lan = opts.lan
    this.#log = opts.log.child({ area: 'signalr' })
    this.#defaults = {
      keepAliveMs: opts.keepAliveMs ?? 15_000,
      clientTimeoutMs: opts.clientTimeoutMs ?? 30_000,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 15_000,
      anonymousRead: opts.anonymousRead ?? true,
      sessions: opts.sessions,
    }
    this.#protocols = opts.protocols ?? [new JsonHubProtocol(), new MessagePackHubProtocol()]
    // One hook, matched by path: the hub endpoints bypass Fastify's body parsing (SignalR bodies are
    // raw text or binary frames) and stream their own responses (SSE, parked long polls).
    opts.lan.http.addHook('onRequest', (req, reply, done) => {
      const hit = this.#match(req.raw.url ?? '/')
      if (!hit) return done()
      reply.hijack()
      done()
      this.#http(hit.hub, hit.negotiate, req.raw, reply.raw).catch((err) => {
        this.#log.error({ err }, 'hub request failed')
        if (!reply.raw.headersSent) send(reply.raw, 500, { error: 'Internal error' })
        else reply.raw.destroy()
      })
    })
    opts.lan.metrics.gauge('pitwall_signalr_connections', 'Open SignalR connections, by hub', () =>
      [...this.#hubs.values()].map(({ runtime }) => [{ hub: runtime.path }, runtime.connectionCount] as [Record<string, string>, number]),
    )
  }

  /**
   * Serves a hub at `path` (e.g. "/hubs/diag"): `POST {path}/negotiate`, `GET|POST|DELETE {path}?id=`
   * (SSE, long polling) and the WebSocket endpoint `{path}`. Returns the hub's context.
   */
  addHub(path: string, definition: HubDefinition, options: HubOptions = {}): HubContext {
    if (!/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/.test(path)) throw new Error(`invalid hub path '${path}'`)
    if (this.#hubs.has(path)) throw new Error(`hub '${path}' is already registered`)
    const runtime = new HubRuntime(path, definition, options, this.#defaults, this.#protocols, this.#log)
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      // Hard cap; the connection enforces maxMessageBytes itself so it can answer with a Close message.
      maxPayload: runtime.settings.maxMessageBytes * 2 + 64 * 1024,
    })
    this.#hubs.set(path, { runtime, wss })
    this.#link(runtime)
    if (runtime.transports.includes('WebSockets')) this.#lan.ws(path, (req, socket, head) => void this.#upgrade(runtime, wss, req, socket, head))
    this.#log.info({ path, transports: runtime.transports, protocols: runtime.availableProtocols.map((p) => p.name) }, 'hub mounted')
    return runtime
  }

  /** Every hub served, with its open connections (for status pages). */
  hubs(): Array<{ path: string; transports: readonly TransportName[]; protocols: string[]; connections: number }> {
    return [...this.#hubs.values()].map(({ runtime }) => ({
      path: runtime.path,
      transports: runtime.transports,
      protocols: runtime.availableProtocols.map((p) => p.name),
      connections: runtime.connectionCount,
    }))
  }

  /**
   * Connects every hub (those added later too) to the other instances: sends to all / users / groups
   * made here are forwarded, and theirs are delivered to the matching connections here.
   */
  useBackplane(bp: SignalRBackplane): void {
    this.#backplane = bp
    bp.onMessage((path, to, target, args) => this.#hubs.get(path)?.runtime.deliverForwarded(to, target, args))
    for (const { runtime } of this.#hubs.values()) this.#link(runtime)
  }

  #link(runtime: HubRuntime): void {
    const bp = this.#backplane
    if (bp) runtime.forward = (to, target, args) => bp.publish(runtime.path, to, target, args)
  }

  hub(path: string): HubContext | undefined {
    return this.#hubs.get(path)?.runtime
  }

  /** Test and admin hook: the live connection object (cut its transport, inspect its state). */
  connectionOf(path: string, connectionId: string): Connection | undefined {
    return this.#hubs.get(path)?.runtime.connection(connectionId)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const { runtime, wss } of this.#hubs.values()) {
      runtime.shutdown()
      wss.close()
    }
  }

  #match(url: string): { hub: HubRuntime; negotiate: boolean } | undefined {
    if (this.#hubs.size === 0) return undefined
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const direct = this.#hubs.get(path)
    if (direct) return { hub: direct.runtime, negotiate: false }
    if (path.endsWith(NEGOTIATE_SUFFIX)) {
      const hub = this.#hubs.get(path.slice(0, -NEGOTIATE_SUFFIX.length))
      if (hub) return { hub: hub.runtime, negotiate: true }
    }
    return undefined
  }

  async #principal(req: IncomingMessage): Promise<Principal | undefined> {
    try {
      return await this.#lan.principalOf(req)
    } catch {
      return undefined
    }
  }

  /** 0 when allowed to use the hub, else the HTTP status to answer (401 anonymous, 403 logged in). */
  #denied(hub: HubRuntime, p: Principal): 0 | 401 | 403 {
    if (!hub.permission || can(p, hub.permission, this.#defaults.anonymousRead)) return 0
    return p.username === null ? 401 : 403
  }

  async #http(hub: HubRuntime, negotiate: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    // Browsers: the same origin checks as the WebSocket upgrade (own origin or config.allowedOrigins);
    // allowed foreign origins get CORS answers so negotiate, SSE and long polling work from their pages.
    const origin = req.headers.origin
    if (origin !== undefined) {
      if (!this.#lan.originAllowed(req)) {
        req.resume()
        return send(res, 403, 'Origin not allowed')
      }
      res.setHeader('Access-Control-Allow-Origin', origin)
      res.setHeader('Access-Control-Allow-Credentials', 'true')
      res.setHeader('Vary', 'Origin')
    }
    if (req.method === 'OPTIONS') {
      req.resume()
      res.setHeader('Access-Control-Allow-Methods', negotiate ? 'POST' : 'GET, POST, DELETE')
      res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'authorization, content-type, x-requested-with, x-signalr-user-agent')
      res.setHeader('Access-Control-Max-Age', '600')
      return send(res, 204, '')
    }
    if (negotiate) return this.#negotiate(hub, url, req, res)
    const id = url.searchParams.get('id')
    if (!id) {
      req.resume()
      return send(res, 400, 'Connection ID required')
    }
    const method = req.method ?? 'GET'
    const conn = hub.byToken(id)
    if (!conn) {
      req.resume()
      // A long-polling connection that just closed still hands out its Close message, then 204.
      const closing = method === 'GET' ? hub.closingByToken(id) : undefined
      const t = closing?.currentTransport
      if (t instanceof LongPollingTransport && !isSse(req)) return t.poll(req, res)
      if (method === 'DELETE' && hub.closingByToken(id)) return send(res, 202, '')
      return send(res, 404, 'No Connection with that ID')
    }
    const p = await this.#principal(req)
    if (!p) {
      req.resume()
      return send(res, 401, 'Invalid token')
    }
    if (p.username !== conn.user.username) {
      req.resume()
      return send(res, 403, 'The user does not match the negotiated connection')
    }
    switch (method) {
      case 'GET':
        return isSse(req) ? this.#sse(hub, conn, res) : this.#poll(hub, conn, req, res)
      case 'POST':
        return this.#post(hub, conn, req, res)
      case 'DELETE': {
        req.resume()
        const t = conn.currentTransport
        if (!(t instanceof LongPollingTransport)) return send(res, 400, 'Cannot terminate this connection using the DELETE endpoint.')
        t.terminate()
        return send(res, 202, '')
      }
      default:
        req.resume()
        res.setHeader('Allow', 'GET, POST, DELETE')
        return send(res, 405, 'Method not allowed')
    }
  }

  async #negotiate(hub: HubRuntime, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume()
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      return send(res, 405, { error: 'negotiate requires POST' })
    }
    const p = await this.#principal(req)
    if (!p) return send(res, 401, { error: 'Invalid or expired token' })
    const denied = this.#denied(hub, p)
    if (denied) return send(res, denied, { error: denied === 401 ? 'Authentication required' : 'Permission denied' })
    if (hub.size >= hub.maxConnections) return send(res, 503, { error: 'Too many connections' })
    const requested = Number(url.searchParams.get('negotiateVersion') ?? '0')
    const version = Number.isFinite(requested) && requested >= 1 ? 1 : 0
    const stateful = url.searchParams.get('useStatefulReconnect') === 'true' && hub.statefulReconnect && hub.transports.includes('WebSockets')
    const conn = hub.create(p, { legacyIds: version === 0, stateful, remoteAddress: req.socket.remoteAddress, transport: hub.transports[0]! })
    const body: Record<string, unknown> = {
      connectionId: conn.connectionId,
      negotiateVersion: version,
      availableTransports: hub.transports.map((t) => ({ transport: t, transferFormats: TRANSFER_FORMATS[t] })),
    }
    if (version >= 1) body.connectionToken = conn.token
    if (stateful) body.useStatefulReconnect = true
    send(res, 200, body)
  }

  #sse(hub: HubRuntime, conn: Connection, res: ServerResponse): void {
    if (!hub.transports.includes('ServerSentEvents')) return send(res, 404, 'The ServerSentEvents transport is not enabled on this hub')
    if (conn.canAttach('ServerSentEvents') !== 'ok') return send(res, 409, 'Another transport is already connected')
    const t: SseTransport = new SseTransport(res, conn.eventsFor(() => t), hub.settings.maxBufferedBytes)
    conn.attach(t)
  }

  #poll(hub: HubRuntime, conn: Connection, req: IncomingMessage, res: ServerResponse): void {
    if (!hub.transports.includes('LongPolling')) return send(res, 404, 'The LongPolling transport is not enabled on this hub')
    const current = conn.currentTransport
    if (current) {
      if (!(current instanceof LongPollingTransport)) return send(res, 409, 'Another transport is already connected')
      conn.touch()
      return current.poll(req, res)
    }
    if (conn.canAttach('LongPolling') !== 'ok') return send(res, 409, 'Another transport is already connected')
    const t: LongPollingTransport = new LongPollingTransport(conn.eventsFor(() => t), { maxBuffered: hub.settings.maxBufferedBytes, pollTimeoutMs: hub.longPollTimeoutMs })
    conn.attach(t)
    t.connect(res)
  }

  async #post(hub: HubRuntime, conn: Connection, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t = conn.currentTransport
    if (!t) {
      req.resume()
      return send(res, 400, 'No transport is connected for this connection')
    }
    if (t.name === 'WebSockets') {
      req.resume()
      return send(res, 405, 'POST requests are not allowed for WebSocket connections.')
    }
    const body = await readBody(req, hub.settings.maxMessageBytes)
    if (body === 'too-large') {
      conn.close(`Message exceeds the maximum message size of ${hub.settings.maxMessageBytes} bytes.`)
      return send(res, 413, 'Payload too large')
    }
    if (body === 'aborted') return
    conn.receive(body)
    send(res, 200, '')
  }

  async #upgrade(hub: HubRuntime, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const p = await this.#principal(req)
    if (!p) return refuseUpgrade(socket, 401, 'Unauthorized')
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id')
    let conn: Connection | undefined
    if (id) {
      conn = hub.byToken(id)
      if (!conn) return refuseUpgrade(socket, 404, 'Not Found')
      if (p.username !== conn.user.username) return refuseUpgrade(socket, 403, 'Forbidden')
      if (conn.canAttach('WebSockets') !== 'ok') return refuseUpgrade(socket, 409, 'Conflict')
    } else {
      // skipNegotiation: the WebSocket is the whole connection (no stateful reconnect without negotiate).
      const denied = this.#denied(hub, p)
      if (denied) return refuseUpgrade(socket, denied, denied === 401 ? 'Unauthorized' : 'Forbidden')
      if (hub.size >= hub.maxConnections) return refuseUpgrade(socket, 503, 'Service Unavailable')
      conn = hub.create(p, { legacyIds: true, stateful: false, remoteAddress: req.socket.remoteAddress, transport: 'WebSockets' })
    }
    const c = conn
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (c.canAttach('WebSockets') !== 'ok') return ws.close(1008, 'Connection is gone')
      const t: WebSocketTransport = new WebSocketTransport(ws, c.eventsFor(() => t), hub.settings.maxBufferedBytes)
      c.attach(t)
    })
  }
}

function isSse(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream')
}

function send(res: ServerResponse, status: number, body: string | object): void {
  if (res.headersSent || res.destroyed) return
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache, no-store',
  })
  res.end(text)
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (declared > limit) {
      req.resume()
      return resolve('too-large')
    }
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      if (over) return
      size += chunk.length
      if (size > limit) {
        over = true
        chunks.length = 0
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)))
    req.on('aborted', () => resolve('aborted'))
    req.on('error', () => resolve('aborted'))
  })
}
