// JSON hub protocol: UTF-8 JSON objects, each followed by the 0x1E record separator.
import { type HubMessage, type MessageHeaders, MessageType } from './messages.ts'
import { type HubProtocol, HubProtocolError, RECORD_SEPARATOR, textDecoder, textEncoder } from './protocol.ts'

export class JsonHubProtocol implements HubProtocol {
  readonly name = 'json'
  readonly version = 2
  readonly transferFormat = 'Text' as const

  parse(data: Uint8Array): HubMessage[] {
    let text: string
    try {
      text = textDecoder.decode(data)
    } catch {
      throw new HubProtocolError('Message is not valid UTF-8.')
    }
    if (text.length === 0) return []
    if (text.charCodeAt(text.length - 1) !== RECORD_SEPARATOR) throw new HubProtocolError('Message is incomplete.')
    const parts = text.split('\x1e')
    parts.pop()
    return parts.map((part) => {
      let obj: unknown
      try {
        obj = JSON.parse(part)
      } catch {
        throw new HubProtocolError('Message is not valid JSON.')
      }
      return toHubMessage(obj)
    })
  }

  write(message: HubMessage): Uint8Array {
    return textEncoder.encode(JSON.stringify(message) + '\x1e')
  }
}

/** Validates a decoded JSON object as a hub message (types, required fields); throws HubProtocolError. */
export function toHubMessage(obj: unknown): HubMessage {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new HubProtocolError('Message must be a JSON object.')
  const o = obj as Record<string, unknown>
  const headers = (): MessageHeaders | undefined => {
    if (o.headers === undefined) return undefined
    if (!o.headers || typeof o.headers !== 'object' || Array.isArray(o.headers)) throw new HubProtocolError("'headers' must be an object.")
    for (const v of Object.values(o.headers)) if (typeof v !== 'string') throw new HubProtocolError("'headers' values must be strings.")
    return o.headers as MessageHeaders
  }
  const str = (key: string, optional = false): string | undefined => {
    const v = o[key]
    if (v === undefined || (optional && v === null)) {
      if (optional) return undefined
      throw new HubProtocolError(`Missing required property '${key}'.`)
    }
    if (typeof v !== 'string') throw new HubProtocolError(`Expected '${key}' to be of type string.`)
    return v
  }
  const streamIds = (): string[] | undefined => {
    const v = o.streamIds
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new HubProtocolError("'streamIds' must be an array of strings.")
    return v as string[]
  }
  const args = (): unknown[] => {
    const v = o.arguments
    if (!Array.isArray(v)) throw new HubProtocolError("Expected 'arguments' to be an array.")
    return v
  }
  const seq = (): number => {
    const v = o.sequenceId
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new HubProtocolError("Expected 'sequenceId' to be a non-negative integer.")
    return v
  }
  switch (o.type) {
    case MessageType.Invocation: {
      const m: HubMessage = { type: 1, target: str('target')!, arguments: args() }
      const id = str('invocationId', true)
      if (id !== undefined) m.invocationId = id
      const h = headers()
      if (h) m.headers = h
      const s = streamIds()
      if (s) m.streamIds = s
      return m
    }
    case MessageType.StreamInvocation: {
      const m: HubMessage = { type: 4, invocationId: str('invocationId')!, target: str('target')!, arguments: args() }
      const h = headers()
      if (h) m.headers = h
      const s = streamIds()
      if (s) m.streamIds = s
      return m
    }
    case MessageType.StreamItem:
      if (!('item' in o)) throw new HubProtocolError("Missing required property 'item'.")
      return { type: 2, invocationId: str('invocationId')!, item: o.item, ...withHeaders(headers()) }
    case MessageType.Completion: {
      const error = str('error', true)
      if (error !== undefined && 'result' in o) throw new HubProtocolError('The result and error properties are mutually exclusive.')
      const m: HubMessage = { type: 3, invocationId: str('invocationId')!, ...withHeaders(headers()) }
      if (error !== undefined) m.error = error
      else if ('result' in o) m.result = o.result
      return m
    }
    case MessageType.CancelInvocation:
      return { type: 5, invocationId: str('invocationId')!, ...withHeaders(headers()) }
    case MessageType.Ping:
      return { type: 6 }
    case MessageType.Close: {
      const m: HubMessage = { type: 7 }
      const error = str('error', true)
      if (error !== undefined) m.error = error
      if (o.allowReconnect !== undefined) {
        if (typeof o.allowReconnect !== 'boolean') throw new HubProtocolError("Expected 'allowReconnect' to be of type boolean.")
        m.allowReconnect = o.allowReconnect
      }
      return m
    }
    case MessageType.Ack:
      return { type: 8, sequenceId: seq() }
    case MessageType.Sequence:
      return { type: 9, sequenceId: seq() }
    case undefined:
      throw new HubProtocolError("Missing required property 'type'.")
    default:
      throw new HubProtocolError(`Unknown message type '${String(o.type)}'.`)
  }
}

function withHeaders(h: MessageHeaders | undefined): { headers?: MessageHeaders } {
  return h ? { headers: h } : {}
}
