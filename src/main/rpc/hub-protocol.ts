// The "acbinary" SignalR hub protocol: u32-LE length-prefixed frames, one type byte, positional fields,
// each argument framed as [i32 LE length][bytes]. One implementation for both sides: it is an
// @microsoft/signalr IHubProtocol (client: `withHubProtocol(new AcBinaryHubProtocol())`) and the
// server's protocol plugin. Byte reference: docs/protocols/binary-hub-protocol.md.
// Browser-safe: no Node APIs, and only types are imported from @microsoft/signalr.

import type { HubMessage, IHubProtocol, ILogger, MessageHeaders } from '@microsoft/signalr'
import { AcBinaryError, ByteReader, ByteWriter, Code, readValue, writeValue } from './codec.ts'

export const PROTOCOL_NAME = 'acbinary'
/** Version 2 = April-2026 framing with LEB128 VarUInts; 2 also lets stateful reconnect work. */
export const PROTOCOL_VERSION = 2
/** The single hub method of the tag RPC (both directions). */
export const RPC_TARGET = 'OnReceiveMessage'
/** Default largest frame payload accepted (bytes). */
export const DEFAULT_MAX_FRAME = 1024 * 1024

// @microsoft/signalr enum values, as numbers so this file needs no runtime import of the client.
const T = { Invocation: 1, StreamItem: 2, Completion: 3, StreamInvocation: 4, CancelInvocation: 5, Ping: 6, Close: 7, Ack: 8, Sequence: 9 } as const
const TRANSFER_BINARY = 2

/** A frame that breaks the protocol; the connection that sent it must be closed. */
export class HubProtocolError extends Error {
  override name = 'HubProtocolError'
}

/** An argument already encoded (header + value, or a 0x44 fast-path blob): written verbatim. */
export class EncodedArg {
  readonly bytes: Uint8Array
  constructor(bytes: Uint8Array) {
    this.bytes = bytes
  }
}

export interface AcBinaryProtocolOptions {
  /** Largest frame payload accepted when parsing; larger ones are a protocol error. */
  maxFrameBytes?: number
  /** SignalDataType → reviver, applied to a typed `data` argument after decoding (read path 3). */
  types?: Record<string, (value: unknown) => unknown>
  /** Intern repeated strings inside values (default true). */
  intern?: boolean
  /**
   * Server side: hand the `data` argument of OnReceiveMessage over undecoded (an EncodedArg), so the
   * dispatcher can check its size and decode it against the handler's schema, answering bad data with
   * an error reply instead of closing the connection. The 0x44 fast path still yields bytes.
   */
  deferRpcData?: boolean
}

/** The SignalParams fields the protocol reads while parsing an OnReceiveMessage invocation. */
interface SignalParamsView {
  IsRawBytesData?: unknown
  SignalDataType?: unknown
}

export class AcBinaryHubProtocol implements IHubProtocol {
  readonly name = PROTOCOL_NAME
  readonly version = PROTOCOL_VERSION
  readonly transferFormat = TRANSFER_BINARY as IHubProtocol['transferFormat']
  #maxFrame: number
  #types: Record<string, (value: unknown) => unknown>
  #intern: boolean
  #defer: boolean

  constructor(opts: AcBinaryProtocolOptions = {}) {
    this.#maxFrame = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME
    this.#types = opts.types ?? {}
    this.#intern = opts.intern ?? true
    this.#defer = opts.deferRpcData ?? false
  }

  /** Parses every whole frame in `input`; a partial frame or any malformed byte is a HubProtocolError. */
  parseMessages(input: string | ArrayBuffer | Uint8Array, _logger?: ILogger): HubMessage[] {
    if (typeof input === 'string') throw new HubProtocolError('acbinary is a binary protocol: a text message was received')
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input)
    const out: HubMessage[] = []
    const r = new ByteReader(bytes)
    while (r.remaining > 0) {
      if (r.remaining < 4) throw new HubProtocolError(`incomplete frame: ${r.remaining} byte(s) where a 4-byte length was expected`)
      const at = r.pos
      const len = r.u32le()
      if (len === 0) throw new HubProtocolError(`empty frame at offset ${at}`)
      if (len > this.#maxFrame) throw new HubProtocolError(`frame of ${len} bytes at offset ${at} exceeds the ${this.#maxFrame}-byte limit`)
      if (len > r.remaining) throw new HubProtocolError(`incomplete frame at offset ${at}: length ${len}, only ${r.remaining} byte(s) present`)
      out.push(this.#parseFrame(r.sub(r.pos, r.pos + len)))
      r.pos += len
    }
    return out
  }

  /** Parses one frame payload (type byte + fields), without the length prefix. */
  parseFrame(payload: Uint8Array): HubMessage {
    return this.#parseFrame(new ByteReader(payload))
  }

  #parseFrame(r: ByteReader): HubMessage {
    const type = r.buf[r.pos]
    try {
      const msg = this.#readMessage(r)
      if (r.remaining !== 0) throw new HubProtocolError(`${r.remaining} unread byte(s) at the end of a type-${type} frame`)
      return msg
    } catch (err) {
      if (err instanceof HubProtocolError) throw err
      if (err instanceof AcBinaryError) throw new HubProtocolError(err.message)
      throw new HubProtocolError(`malformed frame: ${(err as Error).message}`)
    }
  }

  #readMessage(r: ByteReader): HubMessage {
    const type = r.u8('message type')
    switch (type) {
      case T.Invocation: {
        const invocationId = nullableString(r, 'invocationId')
        const target = r.string('target')
        const args = this.#readArgs(r, target)
        const streamIds = stringArray(r)
        const headers = readHeaders(r)
        return { type, target, arguments: args, ...opt('invocationId', invocationId), ...opt('streamIds', streamIds), ...opt('headers', headers) } as HubMessage
      }
      case T.StreamInvocation: {
        const invocationId = r.string('invocationId')
        const target = r.string('target')
        const args = this.#readArgs(r, target)
        const streamIds = stringArray(r)
        const headers = readHeaders(r)
        return { type, invocationId, target, arguments: args, ...opt('streamIds', streamIds), ...opt('headers', headers) } as HubMessage
      }
      case T.StreamItem: {
        const invocationId = r.string('invocationId')
        const item = this.#readArg(r, undefined)
        const headers = readHeaders(r)
        return { type, invocationId, item, ...opt('headers', headers) } as HubMessage
      }
      case T.Completion: {
        const invocationId = r.string('invocationId')
        const error = nullableString(r, 'error')
        const hasResult = bool(r, 'hasResult')
        if (hasResult && error !== undefined) throw new HubProtocolError('Completion carries both an error and a result')
        const result = hasResult ? this.#readArg(r, undefined) : undefined
        const headers = readHeaders(r)
        return { type, invocationId, ...opt('error', error), ...(hasResult ? { result } : {}), ...opt('headers', headers) } as HubMessage
      }
      case T.CancelInvocation: {
        const invocationId = r.string('invocationId')
        const headers = readHeaders(r)
        return { type, invocationId, ...opt('headers', headers) } as HubMessage
      }
      case T.Ping:
        return { type }
      case T.Close: {
        const error = nullableString(r, 'error')
        const allowReconnect = bool(r, 'allowReconnect')
        return { type, ...opt('error', error), ...(allowReconnect ? { allowReconnect } : {}) } as HubMessage
      }
      case T.Ack:
      case T.Sequence: {
        const id = r.i64le('sequenceId')
        if (id < 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new HubProtocolError(`sequenceId ${id} out of range`)
        return { type, sequenceId: Number(id) } as HubMessage
      }
      default:
        throw new HubProtocolError(`unknown message type ${type}`)
    }
  }

  #readArgs(r: ByteReader, target: string): unknown[] {
    const at = r.pos
    const n = r.varUint('argument count')
    // Each argument needs at least its 4-byte length: a count the frame cannot hold is rejected up front.
    if (n * 4 > r.remaining) throw new HubProtocolError(`argument count ${n} at offset ${at} exceeds the frame`)
    const args: unknown[] = new Array(n)
    const rpc = target === RPC_TARGET && n === 4
    for (let i = 0; i < n; i++) {
      const params = rpc && i === 3 ? (args[2] as SignalParamsView | null) : undefined
      args[i] = this.#readArg(r, rpc && i === 3 ? (params ?? {}) : undefined)
    }
    return args
  }

  /**
   * One framed argument. For the `data` argument of OnReceiveMessage (`params` given) the three read
   * paths apply: 0x44 fast path → bytes; IsRawBytesData → the raw argument bytes; else a typed decode.
   */
  #readArg(r: ByteReader, params: SignalParamsView | undefined): unknown {
    const at = r.pos
    const len = r.i32le('argument length')
    if (len < 1) throw new HubProtocolError(`argument length ${len} at offset ${at} (must be at least 1)`)
    if (len > r.remaining) throw new HubProtocolError(`argument length ${len} at offset ${at} exceeds the ${r.remaining} byte(s) left`)
    const slice = r.sub(r.pos, r.pos + len)
    r.pos += len
    if (r.buf[slice.pos] === Code.ByteArray) {
      slice.pos++
      const n = slice.varUint('ByteArray length')
      if (n !== slice.remaining) throw new HubProtocolError(`byte[] argument at offset ${at} declares ${n} bytes, the argument holds ${slice.remaining}`)
      return slice.bytes(n).slice()
    }
    if (params && (this.#defer || params.IsRawBytesData === true)) {
      const raw = slice.bytes(len).slice()
      return this.#defer ? new EncodedArg(raw) : raw
    }
    const value = readValue(slice)
    if (slice.remaining !== 0) throw new HubProtocolError(`${slice.remaining} trailing byte(s) in the argument at offset ${at}`)
    const type = params?.SignalDataType
    const revive = typeof type === 'string' ? this.#types[type] : undefined
    return revive ? revive(value) : value
  }

  /** Encodes one message as a complete frame (length prefix included). */
  writeMessage(message: HubMessage): ArrayBuffer {
    const b = this.encode(message)
    return b.buffer.byteLength === b.byteLength && b.byteOffset === 0 ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer)
  }

  /** Same as writeMessage, as a Uint8Array. */
  encode(message: HubMessage): Uint8Array {
    // One writer per protocol instance, reused (encoding is synchronous); the result is a copy.
    if (this.#w.length > 0 || this.#wSize() > 1024 * 1024) this.#w = new ByteWriter()
    const w = this.#w
    try {
      return this.#encodeInto(w, message)
    } finally {
      w.reset()
    }
  }

  #w = new ByteWriter()
  #wSize(): number {
    return this.#w.capacity
  }

  #encodeInto(w: ByteWriter, message: HubMessage): Uint8Array {
    const lenAt = w.reserve32()
    w.u8(message.type)
    switch (message.type) {
      case T.Invocation:
        writeNullableString(w, message.invocationId)
        w.string(message.target)
        this.#writeArgs(w, message.arguments)
        writeStringArray(w, message.streamIds)
        writeHeaders(w, message.headers)
        break
      case T.StreamInvocation:
        w.string(message.invocationId)
        w.string(message.target)
        this.#writeArgs(w, message.arguments)
        writeStringArray(w, message.streamIds)
        writeHeaders(w, message.headers)
        break
      case T.StreamItem:
        w.string(message.invocationId)
        this.#writeArg(w, message.item)
        writeHeaders(w, message.headers)
        break
      case T.Completion: {
        w.string(message.invocationId)
        writeNullableString(w, message.error)
        const hasResult = message.error === undefined && 'result' in message && message.result !== undefined
        w.u8(hasResult ? 1 : 0)
        if (hasResult) this.#writeArg(w, message.result)
        writeHeaders(w, message.headers)
        break
      }
      case T.CancelInvocation:
        w.string(message.invocationId)
        writeHeaders(w, message.headers)
        break
      case T.Ping:
        break
      case T.Close:
        writeNullableString(w, message.error)
        w.u8(message.allowReconnect ? 1 : 0)
        break
      case T.Ack:
      case T.Sequence:
        w.i64le(BigInt(message.sequenceId))
        break
      default:
        throw new HubProtocolError(`cannot write message type ${(message as { type: number }).type}`)
    }
    w.patchU32(lenAt, w.length - 4)
    return w.toBytes()
  }

  #writeArgs(w: ByteWriter, args: unknown[]): void {
    w.varUint(args.length)
    for (const a of args) this.#writeArg(w, a)
  }

  /** `[i32 LE length][bytes]`: byte arrays take the 0x44 fast path, everything else header + value. */
  #writeArg(w: ByteWriter, value: unknown): void {
    const at = w.reserve32()
    if (value instanceof EncodedArg) {
      w.bytes(value.bytes)
    } else if (value instanceof Uint8Array) {
      w.u8(Code.ByteArray)
      w.varUint(value.length)
      w.bytes(value)
    } else {
      writeValue(w, value, { intern: this.#intern })
    }
    w.patchU32(at, w.length - at - 4)
  }
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V }
}

function bool(r: ByteReader, what: string): boolean {
  const at = r.pos
  const b = r.u8(what)
  if (b > 1) throw new HubProtocolError(`${what} at offset ${at} is ${b}, expected 0 or 1`)
  return b === 1
}

function nullableString(r: ByteReader, what: string): string | undefined {
  return bool(r, `${what} presence`) ? r.string(what) : undefined
}

function writeNullableString(w: ByteWriter, s: string | undefined | null): void {
  if (s === undefined || s === null) return w.u8(0)
  w.u8(1)
  w.string(s)
}

function stringArray(r: ByteReader): string[] | undefined {
  const at = r.pos
  const n = r.varUint('streamIds count')
  if (n > r.remaining) throw new HubProtocolError(`streamIds count ${n} at offset ${at} exceeds the frame`)
  if (n === 0) return undefined
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(r.string('streamId'))
  return out
}

function writeStringArray(w: ByteWriter, list: string[] | undefined): void {
  w.varUint(list?.length ?? 0)
  for (const s of list ?? []) w.string(s)
}

function readHeaders(r: ByteReader): MessageHeaders | undefined {
  const at = r.pos
  const n = r.varUint('headers count')
  if (n * 2 > r.remaining) throw new HubProtocolError(`headers count ${n} at offset ${at} exceeds the frame`)
  if (n === 0) return undefined
  const out: MessageHeaders = Object.create(null)
  for (let i = 0; i < n; i++) {
    const k = r.string('header key')
    out[k] = r.string('header value')
  }
  return { ...out }
}

function writeHeaders(w: ByteWriter, headers: MessageHeaders | undefined): void {
  const entries = headers ? Object.entries(headers) : []
  w.varUint(entries.length)
  for (const [k, v] of entries) {
    w.string(k)
    w.string(v)
  }
}
