// MessagePack hub protocol: each frame is [VarInt length (LEB128, 1-5 bytes)][MessagePack array].
import { Decoder, Encoder } from '@msgpack/msgpack'
import { type HubMessage, type MessageHeaders, MessageType } from './messages.ts'
import { type HubProtocol, HubProtocolError } from './protocol.ts'

const RESULT_ERROR = 1
const RESULT_VOID = 2
const RESULT_VALUE = 3

export class MessagePackHubProtocol implements HubProtocol {
  readonly name = 'messagepack'
  readonly version = 2
  readonly transferFormat = 'Binary' as const
  #encoder = new Encoder({ ignoreUndefined: false })
  #decoder = new Decoder()

  parse(data: Uint8Array): HubMessage[] {
    const out: HubMessage[] = []
    for (const frame of splitFrames(data)) {
      let value: unknown
      try {
        value = this.#decoder.decode(frame)
      } catch (err) {
        throw new HubProtocolError(`Message is not valid MessagePack: ${(err as Error).message}`)
      }
      out.push(fromArray(value))
    }
    return out
  }

  write(message: HubMessage): Uint8Array {
    return frame(this.#encoder.encode(toArray(message)))
  }
}

/** Splits VarInt-length-prefixed frames; throws on a truncated frame or a bad prefix. */
export function splitFrames(data: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = []
  let offset = 0
  while (offset < data.length) {
    let size = 0
    let shift = 0
    let n = 0
    let byte: number
    do {
      if (offset + n >= data.length) throw new HubProtocolError('Message is incomplete: cannot read the length prefix.')
      byte = data[offset + n]!
      size += (byte & 0x7f) * 2 ** shift
      shift += 7
      n++
    } while (byte & 0x80 && n < 5)
    if (byte & 0x80 || (n === 5 && byte > 7)) throw new HubProtocolError('Messages bigger than 2GB are not supported.')
    const start = offset + n
    if (start + size > data.length) throw new HubProtocolError('Message is incomplete.')
    frames.push(data.subarray(start, start + size))
    offset = start + size
  }
  return frames
}

/** Prefixes a body with its VarInt length. */
export function frame(body: Uint8Array): Uint8Array {
  let size = body.length
  const prefix: number[] = []
  do {
    let part = size & 0x7f
    size = Math.floor(size / 128)
    if (size > 0) part |= 0x80
    prefix.push(part)
  } while (size > 0)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix, 0)
  out.set(body, prefix.length)
  return out
}

function toArray(m: HubMessage): unknown[] {
  switch (m.type) {
    case MessageType.Invocation:
      return [1, m.headers ?? {}, m.invocationId ?? null, m.target, m.arguments, m.streamIds ?? []]
    case MessageType.StreamInvocation:
      return [4, m.headers ?? {}, m.invocationId, m.target, m.arguments, m.streamIds ?? []]
    case MessageType.StreamItem:
      return [2, m.headers ?? {}, m.invocationId, m.item]
    case MessageType.Completion:
      if (m.error !== undefined) return [3, m.headers ?? {}, m.invocationId, RESULT_ERROR, m.error]
      if ('result' in m && m.result !== undefined) return [3, m.headers ?? {}, m.invocationId, RESULT_VALUE, m.result]
      return [3, m.headers ?? {}, m.invocationId, RESULT_VOID]
    case MessageType.CancelInvocation:
      return [5, m.headers ?? {}, m.invocationId]
    case MessageType.Ping:
      return [6]
    case MessageType.Close:
      return m.allowReconnect === undefined ? [7, m.error ?? null] : [7, m.error ?? null, m.allowReconnect]
    case MessageType.Ack:
      return [8, m.sequenceId]
    case MessageType.Sequence:
      return [9, m.sequenceId]
  }
}

function fromArray(v: unknown): HubMessage {
  if (!Array.isArray(v) || v.length === 0) throw new HubProtocolError('Invalid payload: expected a non-empty array.')
  const need = (n: number, what: string) => {
    if (v.length < n) throw new HubProtocolError(`Invalid payload for ${what} message.`)
  }
  const str = (i: number, what: string, nullable = false): string | undefined => {
    const x = v[i]
    if (nullable && (x === null || x === undefined)) return undefined
    if (typeof x !== 'string') throw new HubProtocolError(`Invalid ${what}: expected a string.`)
    return x
  }
  const headers = (): MessageHeaders | undefined => {
    const h = v[1]
    if (!h || typeof h !== 'object' || Array.isArray(h) || h instanceof Uint8Array) throw new HubProtocolError('Invalid headers.')
    const entries = Object.entries(h as Record<string, unknown>)
    if (entries.length === 0) return undefined
    for (const [, val] of entries) if (typeof val !== 'string') throw new HubProtocolError('Invalid headers: values must be strings.')
    return h as MessageHeaders
  }
  const arr = (i: number, what: string): unknown[] => {
    const x = v[i]
    if (!Array.isArray(x)) throw new HubProtocolError(`Invalid ${what}: expected an array.`)
    return x
  }
  const streamIds = (i: number): string[] | undefined => {
    if (v.length <= i) return undefined
    const x = arr(i, 'stream ids')
    if (x.some((s) => typeof s !== 'string')) throw new HubProtocolError('Invalid stream ids: expected strings.')
    return x.length ? (x as string[]) : undefined
  }
  const seq = (): number => {
    const x = v[1]
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new HubProtocolError('Invalid sequence id.')
    return x
  }
  const opt = <T extends object>(h: MessageHeaders | undefined, m: T): T => (h ? { ...m, headers: h } : m)
  switch (v[0]) {
    case MessageType.Invocation: {
      need(5, 'Invocation')
      const h = headers()
      const id = str(2, 'invocation id', true)
      const m: HubMessage = opt(h, { type: 1 as const, target: str(3, 'target')!, arguments: arr(4, 'arguments') })
      if (id !== undefined) m.invocationId = id
      const s = streamIds(5)
      if (s) m.streamIds = s
      return m
    }
    case MessageType.StreamInvocation: {
      need(5, 'StreamInvocation')
      const h = headers()
      const m: HubMessage = opt(h, { type: 4 as const, invocationId: str(2, 'invocation id')!, target: str(3, 'target')!, arguments: arr(4, 'arguments') })
      const s = streamIds(5)
      if (s) m.streamIds = s
      return m
    }
    case MessageType.StreamItem:
      need(4, 'StreamItem')
      return opt(headers(), { type: 2 as const, invocationId: str(2, 'invocation id')!, item: v[3] })
    case MessageType.Completion: {
      need(4, 'Completion')
      const h = headers()
      const id = str(2, 'invocation id')!
      switch (v[3]) {
        case RESULT_ERROR:
          need(5, 'Completion')
          return opt(h, { type: 3 as const, invocationId: id, error: str(4, 'error')! })
        case RESULT_VOID:
          return opt(h, { type: 3 as const, invocationId: id })
        case RESULT_VALUE:
          need(5, 'Completion')
          return opt(h, { type: 3 as const, invocationId: id, result: v[4] })
        default:
          throw new HubProtocolError('Invalid payload for Completion message: unknown result kind.')
      }
    }
    case MessageType.CancelInvocation:
      need(3, 'CancelInvocation')
      return opt(headers(), { type: 5 as const, invocationId: str(2, 'invocation id')! })
    case MessageType.Ping:
      return { type: 6 }
    case MessageType.Close: {
      need(2, 'Close')
      const m: HubMessage = { type: 7 }
      const error = str(1, 'error', true)
      if (error !== undefined) m.error = error
      if (v.length >= 3) {
        if (typeof v[2] !== 'boolean') throw new HubProtocolError('Invalid allowReconnect: expected a boolean.')
        m.allowReconnect = v[2]
      }
      return m
    }
    case MessageType.Ack:
      need(2, 'Ack')
      return { type: 8, sequenceId: seq() }
    case MessageType.Sequence:
      need(2, 'Sequence')
      return { type: 9, sequenceId: seq() }
    default:
      throw new HubProtocolError(`Unknown message type '${String(v[0])}'.`)
  }
}
