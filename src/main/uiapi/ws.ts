import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import { z } from 'zod'
import type { Principal } from '../../shared/auth.ts'
import type { UiServerMessage } from '../../shared/ui-api/index.ts'
import type { Auth } from '../auth/index.ts'
import { type LanServer, refuseUpgrade } from '../lan/index.ts'
import type { Logger } from '../log/index.ts'
import { toErrorShape, UiError, type UiRouter } from './router.ts'

const MAX_FRAME = 64 * 1024
/** A browser tab that stops reading is cut off past this much queued output. */
const MAX_BUFFERED = 8 * 1024 * 1024
const MAX_SUBSCRIPTIONS = 256

const clientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('call'), id: z.number().int().nonnegative(), method: z.string().max(128), params: z.unknown().optional() }),
  z.object({ t: z.literal('sub'), id: z.number().int().nonnegative(), topic: z.string().max(128), params: z.unknown().optional() }),
  z.object({ t: z.literal('unsub'), id: z.number().int().nonnegative() }),
])

/** The UI API over WebSocket at `/ui` (browsers on the LAN, end-to-end tests). Token in `?token=`. */
export function mountUiWebSocket(opts: { lan: LanServer; router: UiRouter; auth: Auth; log: Logger; server: { name: string; version: string } }): { close(): void; clients(): number } {
  const log = opts.log.child({ area: 'uiapi' })
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME, perMessageDeflate: false })

  opts.lan.ws('/ui', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    opts.lan.principalOf(req).then(
      (principal) => wss.handleUpgrade(req, socket, head, (ws) => serve(ws, principal)),
      (err: Error) => refuseUpgrade(socket, 401, err.message || 'Unauthorized'),
    )
  })

  function serve(ws: WebSocket, principal: Principal): void {
    const subs = new Map<number, () => void>()
    const ctx = { principal, transport: 'ws' as const }
    const send = (m: UiServerMessage) => {
      if (ws.readyState !== ws.OPEN) return
      if (ws.bufferedAmount > MAX_BUFFERED) {
        log.warn({ user: principal.username }, 'UI client too slow; disconnecting')
        ws.terminate()
        return
      }
      ws.send(JSON.stringify(m))
    }
    ws.on('close', () => {
      for (const off of subs.values()) off()
      subs.clear()
    })
    ws.on('error', () => ws.terminate())
    send({ t: 'hello', user: { username: principal.username, role: principal.role }, server: opts.server })

    ws.on('message', (data, isBinary) => {
      if (principal.sid && !opts.auth.sessionAlive(principal.sid)) {
        ws.close(4001, 'Session expired')
        return
      }
      if (principal.sid) opts.auth.touch(principal.sid)
      let msg: z.infer<typeof clientMessage>
      try {
        if (isBinary) throw new Error('binary')
        msg = clientMessage.parse(JSON.parse(data.toString()))
      } catch {
        send({ t: 'error', id: -1, error: { code: 'bad_request', message: 'Expected a JSON UI API message {t, id, ...}' } })
        return
      }
      switch (msg.t) {
        case 'call':
          opts.router.call(msg.method, msg.params, ctx).then(
            (result) => send({ t: 'result', id: msg.id, result: result ?? null }),
            (err) => send({ t: 'error', id: msg.id, error: toErrorShape(err) }),
          )
          break
        case 'sub':
          try {
            if (subs.has(msg.id)) throw new UiError('bad_request', `Subscription id ${msg.id} is in use`)
            if (subs.size >= MAX_SUBSCRIPTIONS) throw new UiError('rate_limited', 'Too many subscriptions')
            const id = msg.id
            subs.set(id, opts.router.subscribe(msg.topic, msg.params, ctx, (data) => send({ t: 'event', id, data })))
            send({ t: 'result', id, result: null })
          } catch (err) {
            send({ t: 'error', id: msg.id, error: toErrorShape(err) })
          }
          break
        case 'unsub':
          subs.get(msg.id)?.()
          subs.delete(msg.id)
          send({ t: 'result', id: msg.id, result: null })
          break
      }
    })
  }

  return {
    close: () => {
      for (const c of wss.clients) c.terminate()
      wss.close()
    },
    clients: () => wss.clients.size,
  }
}
