import * as wsModule from 'ws'
import { WebSocket } from 'ws'

// Fan-out without per-socket work: a publication's WebSocket frame (header + payload) is built once
// and the same bytes are written to every recipient's socket — the technique engine.io uses for
// broadcasts. Valid because our servers never compress (perMessageDeflate off), so ws's sender has
// nothing queued that the frame could overtake; when it has, or ws changes, we fall back to ws.send.

interface SenderInternals {
  _state?: number
  _queue?: unknown[]
  sendFrame?: (list: Buffer[], cb?: (err?: Error) => void) => void
}

/** ws's frame builder (exported by ws, absent from its type declarations). */
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } }).Sender

export function preFrame(payload: Buffer | Uint8Array, binary: boolean): Buffer {
  const parts = Sender.frame(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), {
    fin: true,
    rsv1: false,
    opcode: binary ? 2 : 1,
    mask: false,
    readOnly: false,
  })
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}

/** Writes a pre-built frame; `payload` is used instead when the fast path is not available. */
export function sendFrame(ws: WebSocket, frame: Buffer, payload: Buffer | Uint8Array, binary: boolean): void {
  const sender = (ws as unknown as { _sender?: SenderInternals })._sender
  if (ws.readyState === WebSocket.OPEN && sender?.sendFrame && sender._state === 0 && sender._queue?.length === 0) sender.sendFrame([frame])
  else ws.send(payload, { binary })
}
