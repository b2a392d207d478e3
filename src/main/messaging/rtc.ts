import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { ANONYMOUS, type Principal } from '../../shared/auth.ts'
import type { Auth } from '../auth/index.ts'
import { type LanServer, refuseUpgrade, tokenFrom } from '../lan/index.ts'
import type { Logger } from '../log/index.ts'
import type { MessagingHub } from './hub.ts'
import { CLOSE, type RtcLimits } from './limits.ts'
import { RtcConnection } from './rtc-conn.ts'

export { CLOSE, type RtcLimits } from './limits.ts'

/** Token from `Authorization: Bearer`, `?token=`/`?access_token=`, or the `access_token.<JWT>` subprotocol. */
export function rtcToken(req: IncomingMessage): string | undefined {
  const t = tokenFrom(req)
  if (t) return t
  const protos = req.headers['sec-websocket-protocol']
  if (typeof protos !== 'string') return undefined
  for (const p of protos.split(',')) {
    const s = p.trim()
    if (s.startsWith('access_token.')) return s.slice('access_token.'.length) || undefined
  }
  return undefined
}

/** Authenticates an upgrade: a principal, or an HTTP status + text to refuse with. */
export async function authenticateUpgrade(req: IncomingMessage, auth: Auth, anonymousRead: boolean, token = rtcToken(req)): Promise<{ ok: true; principal: Principal & { exp?: number } } | { ok: false; status: number; text: string }> {
  if (!token) return anonymousRead ? { ok: true, principal: ANONYMOUS } : { ok: false, status: 401, text: 'Authentication required' }
  try {
    return { ok: true, principal: await auth.verify(token) }
  } catch (err) {
    return { ok: false, status: 401, text: (err as Error).message || 'Unauthorized' }
  }
}

/** Mounts the real-time protocol at `path` (default /ws). */
export function mountRtc(opts: { lan: LanServer; auth: Auth; hub: MessagingHub; log: Logger; path: string; limits: RtcLimits; anonymousRead: boolean }): { close(): void; clients(): number } {
  const { lan, auth, hub, limits } = opts
  const log = opts.log.child({ area: 'messaging', dialect: 'rtc' })
  const wss = new WebSocketServer({
    noServer: true,
    // Frames above maxFrameBytes get a 400 and the connection lives on; far larger ones close it (1009).
    maxPayload: limits.maxFrameBytes * 16,
    perMessageDeflate: false,
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p.startsWith('access_token.')) return p
      return false
    },
  })
  const conns = new Set<RtcConnection>()
  const refused = lan.metrics.counter('pitwall_messaging_refused_total', 'Messaging upgrades refused, by reason')
  const slow = lan.metrics.counter('pitwall_messaging_slow_readers_total', 'Messaging connections cut off for not reading')

  lan.ws(opts.path, (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (hub.connectionCount >= limits.maxConnections) {
      refused.inc({ reason: 'capacity' })
      return refuseUpgrade(socket, 503, 'Server at capacity', { 'Retry-After': '5' })
    }
    authenticateUpgrade(req, auth, opts.anonymousRead).then((r) => {
      if (!r.ok) {
        refused.inc({ reason: 'auth' })
        return refuseUpgrade(socket, r.status, r.text)
      }
      if (socket.destroyed) return
      wss.handleUpgrade(req, socket, head, (ws) => {
        const c = new RtcConnection(ws, req, r.principal, { hub, auth, limits, log, anonymousRead: opts.anonymousRead, path: opts.path, onSlow: () => slow.inc() })
        conns.add(c)
        ws.once('close', () => conns.delete(c))
      })
    })
  })

  // One timer for all connections: heartbeats and the idle cut-off.
  const sweepMs = Math.max(10, Math.min(limits.heartbeatMs, limits.idleTimeoutMs) / 2)
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const c of conns) c.tick(now)
  }, sweepMs)
  sweep.unref()

  return {
    close: () => {
      clearInterval(sweep)
      for (const c of conns) c.close(CLOSE.shutdown, 'Server shutting down')
      wss.close()
    },
    clients: () => conns.size,
  }
}
