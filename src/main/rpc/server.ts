// The server side of the tag RPC, independent of the transport: a registry from tags to typed handlers,
// parameter decoding one by one, replies to the caller and broadcasts under a handler's
// send-to-others tag. hub.ts connects it to the SignalR hub at /hubs/rpc.

import type { z } from 'zod'
import { can, type Permission, type Principal } from '../../shared/auth.ts'
import { AcBinaryError, decodeValue, encodeValue } from './codec.ts'
import { EncodedArg } from './hub-protocol.ts'
import { gzipJson } from './json-gzip.ts'
import { DataSerializerType, decodeParameter, readSignalParams, type SignalParams, SignalParamsError, SignalStatus, signalParams, unpackParameters } from './signal-params.ts'
import { BaseTags, RPC_ERROR_TYPE, RpcError, type RpcErrorCode, type SendToClientType } from './tags.ts'

/** One connection on the hub, whatever its protocol. */
export interface RpcPeer {
  readonly id: string
  readonly principal: Principal
  /** Sends OnReceiveMessage(tag, requestId, signalParams, data) to this connection. */
  send(tag: number, requestId: number | null, params: SignalParams, data: unknown): void
}

export interface RpcCall {
  readonly peer: RpcPeer
  readonly tag: number
  readonly requestId: number | null
  readonly signalParams: SignalParams
  readonly hub: RpcServer
}

type Outputs<S extends readonly z.ZodType[]> = { [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never }

/** A handler for one tag. Parameters are zod schemas: `.optional()` / `.default()` make them optional. */
export interface TagDef<S extends readonly z.ZodType[] = readonly z.ZodType[], D extends z.ZodType = z.ZodType> {
  tag: number
  /** Shown in errors and docs. */
  name: string
  /** Needed to call this tag; null = anyone, anonymous included. */
  permission: Permission | null
  params?: S
  /** Names of the parameters, for error messages. */
  paramNames?: readonly string[]
  /** Schema of the `data` argument (postDataAsync), when the tag takes one. */
  data?: D
  /** SignalDataType of the reply. */
  resultType?: string
  /** Broadcast the result (or what `broadcast` returns) under another tag. */
  sendToOthers?: { tag: number; to: SendToClientType; dataType?: string }
  handle(args: Outputs<S>, data: z.output<D> | undefined, call: RpcCall): unknown
  /** The broadcast payload; defaults to the result. */
  broadcast?(result: unknown, call: RpcCall): unknown
}

/** Declares a tag with typed arguments. */
export function defineTag<const S extends readonly z.ZodType[], D extends z.ZodType = z.ZodUndefined>(def: TagDef<S, D>): TagDef {
  return def as unknown as TagDef
}

export interface RpcServerOptions {
  anonymousRead: boolean
  /** Largest packed Parameters or data value accepted (bytes); more is `payload_too_large`. */
  maxPayloadBytes: number
  /** Requests a connection may have in flight; more are refused with `limit_reached`. */
  maxInFlight: number
  onError?(err: unknown, tag: number): void
  /** Sends one message to many peers at once (the transport serialises it once per protocol). */
  sendMany?(peers: RpcPeer[], tag: number, params: SignalParams, data: unknown): void
}

interface PeerState {
  peer: RpcPeer
  inFlight: number
}

export class RpcServer {
  #tags = new Map<number, TagDef>()
  #peers = new Map<string, PeerState>()
  #opts: RpcServerOptions
  #disconnectHooks = new Set<(peer: RpcPeer) => void>()
  /** Counters for metrics and status. */
  readonly stats = { calls: 0, errors: 0, broadcasts: 0 }

  constructor(opts: RpcServerOptions) {
    this.#opts = opts
    this.register(
      defineTag({ tag: BaseTags.Ping, name: 'Ping', permission: null, resultType: 'long', handle: () => Date.now() }),
    )
    // Echo returns its first parameter, or its data when called with postDataAsync (special-cased in receive).
    this.register({ tag: BaseTags.Echo, name: 'Echo', permission: null, handle: () => undefined })
  }

  register(def: TagDef): void {
    if (this.#tags.has(def.tag)) throw new Error(`tag ${def.tag} is already registered (${this.#tags.get(def.tag)!.name})`)
    this.#tags.set(def.tag, def)
  }

  get tags(): ReadonlyMap<number, TagDef> {
    return this.#tags
  }

  get peerCount(): number {
    return this.#peers.size
  }

  connect(peer: RpcPeer): void {
    this.#peers.set(peer.id, { peer, inFlight: 0 })
  }

  disconnect(peer: RpcPeer): void {
    if (!this.#peers.delete(peer.id)) return
    for (const hook of this.#disconnectHooks) hook(peer)
  }

  onDisconnect(hook: (peer: RpcPeer) => void): () => void {
    this.#disconnectHooks.add(hook)
    return () => this.#disconnectHooks.delete(hook)
  }

  /** Every connected peer. */
  *peers(): IterableIterator<RpcPeer> {
    for (const s of this.#peers.values()) yield s.peer
  }

  /** A message under `tag` to one connection (no requestId: it is a broadcast for the client). */
  sendTo(peer: RpcPeer | RpcPeer[], tag: number, data: unknown, dataType: string | null): void {
    const sp = signalParams({ Status: SignalStatus.Success, SignalDataType: dataType })
    const list = Array.isArray(peer) ? peer : [peer]
    if (this.#opts.sendMany && list.length > 1) return this.#opts.sendMany(list, tag, sp, data)
    for (const p of list) safeSend(p, tag, null, sp, data)
  }

  /** Sends under `tag` to every connection `filter` accepts (all when none). */
  broadcast(tag: number, data: unknown, dataType: string | null, filter?: (peer: RpcPeer) => boolean): void {
    this.stats.broadcasts++
    const targets: RpcPeer[] = []
    for (const { peer } of this.#peers.values()) if (!filter || filter(peer)) targets.push(peer)
    if (targets.length > 0) this.sendTo(targets, tag, data, dataType)
  }

  /** The hub method: OnReceiveMessage(tag, requestId, signalParams, data) from one connection. */
  async receive(peer: RpcPeer, rawTag: unknown, rawRequestId: unknown, rawParams: unknown, rawData: unknown): Promise<void> {
    const state = this.#peers.get(peer.id)
    const tag = typeof rawTag === 'number' && Number.isSafeInteger(rawTag) ? rawTag : 0
    const requestId = typeof rawRequestId === 'number' && Number.isSafeInteger(rawRequestId) ? rawRequestId : null
    this.stats.calls++
    let sp: SignalParams = signalParams()
    const fail = (code: RpcErrorCode, message: string) => {
      this.stats.errors++
      const errParams = signalParams({ Status: SignalStatus.Error, SignalDataType: RPC_ERROR_TYPE })
      safeSend(peer, tag, requestId, errParams, { code, message })
    }
    if (!state) return
    if (tag !== rawTag) return fail('unknown_tag', `tag must be an integer, got ${typeof rawTag}`)
    if (rawRequestId !== null && rawRequestId !== undefined && requestId === null) return fail('bad_signal_params', 'requestId must be an integer or null')
    if (state.inFlight >= this.#opts.maxInFlight) return fail('limit_reached', `more than ${this.#opts.maxInFlight} requests in flight on this connection`)
    state.inFlight++
    try {
      sp = readSignalParams(rawParams)
      const def = this.#tags.get(tag)
      if (!def) throw new RpcError('unknown_tag', `unknown tag ${tag}`)
      this.#authorize(peer.principal, def)
      const packed = sp.Parameters
      if (packed && packed.length > this.#opts.maxPayloadBytes) throw new RpcError('payload_too_large', `parameters of ${packed.length} bytes exceed the ${this.#opts.maxPayloadBytes}-byte limit`)
      const encoded = unpackParameters(packed)
      const call: RpcCall = { peer, tag, requestId, signalParams: sp, hub: this }
      let result: unknown
      if (tag === BaseTags.Echo) {
        result = encoded.length > 0 ? decodeParameter(encoded[0]!, 0) : await this.#readData(rawData, true)
      } else {
        const args = this.#readParams(def, encoded)
        const data = def.data ? await this.#readData(rawData, false) : undefined
        const checked = def.data ? parseData(def, data) : undefined
        result = await def.handle(args as never, checked, call)
      }
      await this.#reply(peer, tag, requestId, sp, def.resultType ?? typeKey(result), result)
      const b = def.sendToOthers
      if (b && b.to !== 'None') {
        const payload = def.broadcast ? def.broadcast(result, call) : result
        const filter = b.to === 'All' ? undefined : b.to === 'Caller' ? (p: RpcPeer) => p.id === peer.id : (p: RpcPeer) => p.id !== peer.id
        this.broadcast(b.tag, payload, b.dataType ?? def.resultType ?? typeKey(payload), filter)
      }
    } catch (err) {
      if (err instanceof RpcError) return fail(err.code, err.message)
      if (err instanceof SignalParamsError) return fail('bad_signal_params', err.message)
      this.#opts.onError?.(err, tag)
      fail('internal', 'internal error')
    } finally {
      state.inFlight--
    }
  }

  #authorize(p: Principal, def: TagDef): void {
    if (def.permission === null || can(p, def.permission, this.#opts.anonymousRead)) return
    if (p.username === null) throw new RpcError('unauthenticated', `${def.name} (tag ${def.tag}) needs a login with ${def.permission}`)
    throw new RpcError('forbidden', `${def.name} (tag ${def.tag}) needs ${def.permission}; role ${p.role} does not have it`)
  }

  /** Decodes parameters one by one against the handler's schemas; missing trailing optional ones take their defaults. */
  #readParams(def: TagDef, encoded: Uint8Array[]): unknown[] {
    const schemas = def.params ?? []
    if (encoded.length > schemas.length) throw new RpcError('too_many_parameters', `${def.name} (tag ${def.tag}) takes ${schemas.length} parameter(s), got ${encoded.length}`)
    return schemas.map((schema, i) => {
      const name = def.paramNames?.[i] ?? `#${i}`
      let value: unknown
      if (i < encoded.length) {
        try {
          value = decodeParameter(encoded[i]!, i)
        } catch (err) {
          throw new RpcError('invalid_params', `parameter ${i} (${name}) of ${def.name}: ${(err as Error).message}`)
        }
      }
      const r = schema.safeParse(value)
      if (r.success) return r.data
      if (value === undefined) throw new RpcError('missing_parameter', `parameter ${i} (${name}) of ${def.name} (tag ${def.tag}) is required`)
      throw new RpcError('invalid_params', `parameter ${i} (${name}) of ${def.name}: ${issueText(r.error)}`)
    })
  }

  /**
   * The `data` argument: deferred acbinary bytes (decoded here), raw bytes (the 0x44 fast path), or a value
   * the JSON/MessagePack protocol already decoded. A request's DataSerializerType only asks for the
   * answer's format; its own data is always in the hub protocol's encoding.
   */
  async #readData(raw: unknown, lenient: boolean): Promise<unknown> {
    const max = this.#opts.maxPayloadBytes
    if (raw instanceof EncodedArg) {
      if (raw.bytes.length > max) throw new RpcError('payload_too_large', `data of ${raw.bytes.length} bytes exceeds the ${max}-byte limit`)
      try {
        return decodeValue(raw.bytes)
      } catch (err) {
        throw new RpcError('invalid_data', `data is malformed: ${(err as AcBinaryError).message}`)
      }
    }
    if (raw instanceof Uint8Array) {
      if (raw.length > max) throw new RpcError('payload_too_large', `data of ${raw.length} bytes exceeds the ${max}-byte limit`)
      return raw
    }
    if (raw !== null && raw !== undefined && !lenient) {
      // Already decoded by the JSON or MessagePack protocol: measure it in our encoding.
      let size: number
      try {
        size = encodeValue(raw, { intern: false }).length
      } catch {
        throw new RpcError('invalid_data', 'data holds a value that cannot be represented')
      }
      if (size > max) throw new RpcError('payload_too_large', `data of about ${size} bytes exceeds the ${max}-byte limit`)
    }
    return raw ?? undefined
  }

  async #reply(peer: RpcPeer, tag: number, requestId: number | null, req: SignalParams, dataType: string | null, result: unknown): Promise<void> {
    const gz = req.DataSerializerType === DataSerializerType.JsonGZip
    const data = gz ? await gzipJson(result) : result
    const sp = signalParams({ Status: SignalStatus.Success, DataSerializerType: req.DataSerializerType, SignalDataType: dataType, IsRawBytesData: req.IsRawBytesData })
    safeSend(peer, tag, requestId, sp, data ?? null)
  }
}

function parseData(def: TagDef, data: unknown): unknown {
  const r = def.data!.safeParse(data)
  if (r.success) return r.data
  if (data === undefined || data === null) throw new RpcError('missing_parameter', `${def.name} (tag ${def.tag}) needs data`)
  throw new RpcError('invalid_data', `data of ${def.name}: ${issueText(r.error)}`)
}

function issueText(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

function safeSend(peer: RpcPeer, tag: number, requestId: number | null, sp: SignalParams, data: unknown): void {
  try {
    peer.send(tag, requestId, sp, data)
  } catch {
    // A connection that cannot take a message is closing; its close handler cleans up.
  }
}

/** A short SignalDataType for a value: "string", "int", "double", "bool", "byte[]", "object", "T[]". */
export function typeKey(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) <= 0x7fffffff ? 'int' : 'long') : 'double'
  if (typeof v === 'bigint') return 'long'
  if (v instanceof Uint8Array) return 'byte[]'
  if (Array.isArray(v)) return v.length > 0 ? `${typeKey(v[0]) ?? 'object'}[]` : 'object[]'
  return 'object'
}
