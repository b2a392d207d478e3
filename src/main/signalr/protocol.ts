// The pluggable protocol interface and the handshake (which is always JSON + 0x1E, whatever the protocol).
import type { HubMessage } from './messages.ts'

export type TransferFormat = 'Text' | 'Binary'

/**
 * A hub protocol: turns one transport message into hub messages and a hub message into bytes.
 * JSON and MessagePack ship here; the tag-RPC binary protocol plugs in the same way.
 *
 * Contract: `parse` gets the bytes of one whole transport message (a WebSocket message, an HTTP POST
 * body), which holds one or more complete frames; anything else (a truncated frame, garbage, a message
 * that is not a valid hub message) throws {@link HubProtocolError} and the server closes that connection
 * with the error. `write` returns one complete frame. Both must be pure (one instance serves every
 * connection) and must not keep references to their input.
 */
export interface HubProtocol {
  /** Name the client asks for in the handshake, e.g. "json", "messagepack". */
  readonly name: string
  /** Highest version understood; the handshake accepts 1..version (2+ allows stateful reconnect). */
  readonly version: number
  readonly transferFormat: TransferFormat
  parse(data: Uint8Array): HubMessage[]
  write(message: HubMessage): Uint8Array
}

/** A frame that is not a valid hub message. The connection that sent it is closed with this message. */
export class HubProtocolError extends Error {
  override name = 'HubProtocolError'
}

export const RECORD_SEPARATOR = 0x1e
const RS = String.fromCharCode(RECORD_SEPARATOR)
const utf8 = new TextDecoder('utf-8', { fatal: true })
const enc = new TextEncoder()

export interface HandshakeRequest {
  protocol: string
  version: number
}

/**
 * Reads the handshake request from the start of `data`: `{"protocol":"json","version":1}` + 0x1E.
 * Returns undefined while no separator has arrived (the caller bounds what it buffers), else the request
 * and the bytes after it (clients may send hub messages right behind the handshake).
 */
export function parseHandshake(data: Uint8Array): { request: HandshakeRequest; rest: Uint8Array } | undefined {
  const end = data.indexOf(RECORD_SEPARATOR)
  if (end < 0) return undefined
  let json: unknown
  try {
    json = JSON.parse(utf8.decode(data.subarray(0, end)))
  } catch {
    throw new HubProtocolError('Handshake request is not valid JSON.')
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new HubProtocolError('Handshake request must be a JSON object.')
  const { protocol, version } = json as Record<string, unknown>
  if (typeof protocol !== 'string' || protocol === '') throw new HubProtocolError("Handshake request is missing the 'protocol' string.")
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) throw new HubProtocolError("Handshake request is missing the 'version' integer.")
  return { request: { protocol, version }, rest: data.subarray(end + 1) }
}

/** `{}` + 0x1E on success, `{"error":"..."}` + 0x1E on failure (the server closes right after). */
export function writeHandshakeResponse(error?: string): string {
  return (error === undefined ? '{}' : JSON.stringify({ error })) + RS
}

export const textEncoder = enc
export const textDecoder = utf8
