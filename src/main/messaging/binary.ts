// Binary frames of the real-time protocol: [u8 type][u32 big-endian payload length][payload].
// Pitwall's payload layout (ours; the spec leaves it open): [u8 address length][address UTF-8][body],
// the address being a topic (broadcast, file transfer, stream data) or a user (direct message).

export const BINARY_TYPES = { 0x01: 'broadcast', 0x02: 'direct_message', 0x03: 'file_transfer', 0x04: 'stream_data' } as const
export type BinaryType = (typeof BINARY_TYPES)[keyof typeof BINARY_TYPES]
export const HEADER_BYTES = 5

export type BinaryParse = { ok: true; code: number; type: BinaryType; address: string; body: Uint8Array } | { ok: false; reason: string; details: Record<string, unknown> }

export function parseBinary(frame: Uint8Array): BinaryParse {
  if (frame.length < HEADER_BYTES) return { ok: false, reason: `Binary frame shorter than its ${HEADER_BYTES}-byte header`, details: { size: frame.length } }
  const code = frame[0]!
  const type = BINARY_TYPES[code as keyof typeof BINARY_TYPES]
  if (!type) return { ok: false, reason: `Unknown binary message type 0x${code.toString(16).padStart(2, '0')}`, details: { type: code } }
  const declared = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1, false)
  const actual = frame.length - HEADER_BYTES
  if (declared !== actual) return { ok: false, reason: `Binary length field says ${declared} bytes but the frame carries ${actual}`, details: { declared, actual } }
  const payload = frame.subarray(HEADER_BYTES)
  const addrLen = payload[0]
  if (addrLen === undefined || addrLen === 0 || addrLen + 1 > payload.length) return { ok: false, reason: 'Binary payload must start with [u8 address length][address]', details: { declared } }
  const address = new TextDecoder('utf-8', { fatal: false }).decode(payload.subarray(1, 1 + addrLen))
  return { ok: true, code, type, address, body: payload.subarray(1 + addrLen) }
}

/** Builds a frame: [type][len][u8 address length][address][body]. */
export function buildBinary(code: number, address: string, body: Uint8Array): Buffer {
  const addr = Buffer.from(address, 'utf8')
  if (addr.length > 255) throw new RangeError('address longer than 255 bytes')
  const out = Buffer.allocUnsafe(HEADER_BYTES + 1 + addr.length + body.length)
  out[0] = code
  out.writeUInt32BE(1 + addr.length + body.length, 1)
  out[5] = addr.length
  addr.copy(out, 6)
  out.set(body, 6 + addr.length)
  return out
}
