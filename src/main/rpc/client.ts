// The tag RPC client, on the official @microsoft/signalr client. Usable from Node and the browser.
// Every call is OnReceiveMessage(tag, requestId, signalParams, data) to the hub; the answer comes back
// as OnReceiveMessage with the same requestId; messages without a pending requestId are broadcasts.

import { type HubConnection, HubConnectionBuilder, HubConnectionState, HttpTransportType, type IHubProtocol, type ILogger, JsonHubProtocol, LogLevel } from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'
import { decodeValue } from './codec.ts'
import { AcBinaryHubProtocol, RPC_TARGET } from './hub-protocol.ts'
import { gunzipJson } from './json-gzip.ts'
import { DataSerializerType, packParameters, readSignalParams, type SignalParams, SignalStatus, signalParams, signalParamsWire, toBase64 } from './signal-params.ts'
import { BaseTags, RpcError, type RpcErrorData } from './tags.ts'

export type RpcProtocolName = 'acbinary' | 'json' | 'messagepack'

export interface RpcClientOptions {
  /** The hub URL, e.g. `http://pitwall.local:8080/hubs/rpc`. */
  url: string
  /** Hub protocol (default acbinary). */
  protocol?: RpcProtocolName
  /** A protocol instance to use instead (e.g. one that counts bytes); `protocol` still names its kind. */
  hubProtocol?: IHubProtocol
  accessTokenFactory?: () => string | Promise<string>
  /** How long a request waits for its answer (default 60 s). */
  timeoutMs?: number
  /** Reconnect delays in ms (default SignalR's 0, 2 s, 10 s, 30 s); false = no automatic reconnect. */
  reconnectDelays?: number[] | false
  /** Requests allowed in flight; more are refused at once (default 1000). */
  maxPending?: number
  /** SignalDataType → reviver for typed replies (acbinary read path 3). */
  types?: Record<string, (value: unknown) => unknown>
  /** Transport (default WebSockets); LongPolling carries every protocol, ServerSentEvents only json. Not with skipNegotiation. */
  transport?: 'WebSockets' | 'LongPolling' | 'ServerSentEvents'
  /** Open the WebSocket directly, without negotiate (default true, as upstream; false with statefulReconnect). */
  skipNegotiation?: boolean
  /**
   * SignalR stateful reconnect: a dropped WebSocket is resumed and nothing sent either way is lost, so
   * pending requests survive it. Needs negotiate (skipNegotiation is turned off).
   */
  statefulReconnect?: boolean
  /** Largest inflated JsonGZip reply (default 32 MB). */
  maxInflatedBytes?: number
  logger?: ILogger | LogLevel
}

/** What a request or broadcast delivers (upstream SignalResponseDataMessage). */
export interface RpcResponse<T = unknown> {
  tag: number
  requestId: number | null
  status: SignalStatus
  signalParams: SignalParams
  data: T
  /** Set when status is Error. */
  error?: RpcErrorData
}

export interface CallOptions {
  /** Answer `data` as the raw bytes of its encoding (IsRawBytesData); decode with decodeValue. */
  raw?: boolean
  /** Ask for the answer as gzip-compressed JSON (DataSerializerType.JsonGZip). */
  serializer?: 'Binary' | 'JsonGZip'
  timeoutMs?: number
}

type Callback<T> = (response: RpcResponse<T>) => void | Promise<void>

interface Pending {
  resolve(r: RpcResponse): void
  reject(e: RpcError): void
  timer: ReturnType<typeof setTimeout>
}

export class RpcClient {
  readonly connection: HubConnection
  #opts: RpcClientOptions
  #pending = new Map<number, Pending>()
  #nextId = 1
  #handlers = new Map<number, Set<Callback<unknown>>>()
  #reconnected = new Set<() => void>()

  constructor(opts: RpcClientOptions) {
    this.#opts = opts
    const skip = opts.statefulReconnect || (opts.transport && opts.transport !== 'WebSockets') ? false : (opts.skipNegotiation ?? true)
    let b = new HubConnectionBuilder()
      .withUrl(opts.url, {
        ...(skip ? { skipNegotiation: true, transport: HttpTransportType.WebSockets } : opts.transport ? { transport: HttpTransportType[opts.transport] } : {}),
        ...(opts.accessTokenFactory ? { accessTokenFactory: opts.accessTokenFactory } : {}),
      })
      .withHubProtocol(opts.hubProtocol ?? createProtocol(opts.protocol ?? 'acbinary', opts.types))
      .configureLogging(opts.logger ?? LogLevel.None)
    if (opts.statefulReconnect) b = b.withStatefulReconnect()
    if (opts.reconnectDelays !== false) b = opts.reconnectDelays ? b.withAutomaticReconnect(opts.reconnectDelays) : b.withAutomaticReconnect()
    this.connection = b.build()
    this.connection.on(RPC_TARGET, (tag, requestId, sp, data) => void this.#onMessage(tag, requestId, sp, data))
    // A new connection cannot answer what the old one was asked: fail it (stateful resumption does not reach here).
    this.connection.onreconnecting(() => this.#failAll('connection_lost', 'the connection was lost; reconnecting'))
    this.connection.onclose(() => this.#failAll('connection_lost', 'the connection is closed'))
    this.connection.onreconnected(() => {
      for (const fn of this.#reconnected) fn()
    })
  }

  get state(): HubConnectionState {
    return this.connection.state
  }

  get pendingCount(): number {
    return this.#pending.size
  }

  start(): Promise<void> {
    return this.connection.start()
  }

  stop(): Promise<void> {
    return this.connection.stop()
  }

  /** Called after an automatic reconnect (e.g. to reload a DataSource). */
  onReconnected(fn: () => void): () => void {
    this.#reconnected.add(fn)
    return () => this.#reconnected.delete(fn)
  }

  /** Broadcasts under `tag` go to `handler`. */
  on<T = unknown>(tag: number, handler: Callback<T>): () => void {
    let set = this.#handlers.get(tag)
    if (!set) this.#handlers.set(tag, (set = new Set()))
    set.add(handler as Callback<unknown>)
    return () => set.delete(handler as Callback<unknown>)
  }

  /**
   * Calls `tag` and waits for its answer. `params` is one parameter, or an array of parameters
   * (wrap an array that is itself the single parameter: `[[1, 2, 3]]`).
   */
  async postAsync<T = unknown>(tag: number, params?: unknown, opts: CallOptions = {}): Promise<T> {
    const list = params === undefined ? [] : Array.isArray(params) ? params : [params]
    const r = await this.#request<T>(tag, list, null, opts)
    return r.data
  }

  /** GetById: the id, then optional context ids, as parameters. */
  getByIdAsync<T = unknown>(tag: number, id: unknown, ...contextIds: unknown[]): Promise<T> {
    return this.postAsync<T>(tag, [id, ...contextIds])
  }

  /** GetAll, with optional context ids (server-side filters) as parameters. */
  getAllAsync<T = unknown>(tag: number, contextIds: unknown[] = []): Promise<T> {
    return this.postAsync<T>(tag, contextIds)
  }

  /**
   * Sends `data` (the 4th hub argument). Without a callback: waits for the answer. With one: resolves
   * once sent and calls back with the answer (awaited when it returns a promise), or with an error
   * response on failure or timeout.
   */
  postDataAsync<T = unknown>(tag: number, data: unknown): Promise<T>
  postDataAsync<T = unknown>(tag: number, data: unknown, callback: Callback<T>, opts?: CallOptions): Promise<void>
  async postDataAsync<T = unknown>(tag: number, data: unknown, callback?: Callback<T>, opts: CallOptions = {}): Promise<T | void> {
    if (!callback) return (await this.#request<T>(tag, [], data, opts)).data
    const answer = this.#request<T>(tag, [], data, opts)
    await answer.sent
    void answer.then(
      (r) => callback(r),
      (e: RpcError) => callback({ tag, requestId: null, status: SignalStatus.Error, signalParams: signalParams({ Status: SignalStatus.Error }), data: undefined as T, error: { code: e.code, message: e.message } }),
    ).catch(() => {})
  }

  /** Ping (90001): the server's time. */
  ping(): Promise<number> {
    return this.postAsync<number>(BaseTags.Ping)
  }

  /** Echo (90002): the value back. */
  echo<T>(value: T): Promise<T> {
    return this.postAsync<T>(BaseTags.Echo, [value])
  }

  #request<T>(tag: number, params: unknown[], data: unknown, opts: CallOptions): Promise<RpcResponse<T>> & { sent: Promise<void> } {
    let sent: Promise<void> = Promise.resolve()
    const p = new Promise<RpcResponse<T>>((resolve, reject) => {
      if (this.connection.state !== HubConnectionState.Connected) return reject(new RpcError('connection_lost', `not connected (${this.connection.state})`))
      const max = this.#opts.maxPending ?? 1000
      if (this.#pending.size >= max) return reject(new RpcError('limit_reached', `${max} requests already waiting for an answer`))
      // Encode first: a parameter that cannot be encoded fails the call before anything is pending.
      let sp: SignalParams
      try {
        sp = signalParams({
          Status: SignalStatus.Error, // unused on requests; the default keeps the wire form small
          DataSerializerType: opts.serializer === 'JsonGZip' ? DataSerializerType.JsonGZip : DataSerializerType.Binary,
          Parameters: packParameters(params),
          IsRawBytesData: !!opts.raw,
        })
      } catch (err) {
        return reject(new RpcError('invalid_params', `cannot encode the parameters of tag ${tag}: ${(err as Error).message}`))
      }
      const requestId = this.#nextId
      this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1
      const timeoutMs = opts.timeoutMs ?? this.#opts.timeoutMs ?? 60_000
      const timer = setTimeout(() => {
        this.#pending.delete(requestId)
        reject(new RpcError('timeout', `no answer to tag ${tag} (request ${requestId}) within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(requestId, { resolve: resolve as (r: RpcResponse) => void, reject, timer })
      const fail = (err: RpcError) => {
        clearTimeout(timer)
        this.#pending.delete(requestId)
        reject(err)
      }
      try {
        sent = this.connection.send(RPC_TARGET, tag, requestId, this.#wireParams(sp), this.#wireData(data)).catch((err: Error) => fail(new RpcError('connection_lost', `sending failed: ${err.message}`)))
      } catch (err) {
        // The protocol could not write the data (e.g. a function or a class instance).
        fail(new RpcError('invalid_data', `cannot encode the data of tag ${tag}: ${(err as Error).message}`))
      }
    })
    return Object.assign(p, { sent })
  }

  /** JSON cannot carry bytes: Parameters travel as base64 there (as .NET writes byte[]). */
  #wireParams(sp: SignalParams): Record<string, unknown> {
    const o = signalParamsWire(sp)
    if (this.#opts.protocol === 'json' && sp.Parameters) o.Parameters = toBase64(sp.Parameters)
    return o
  }

  #wireData(data: unknown): unknown {
    if (data === undefined) return null
    if (this.#opts.protocol === 'json' && data instanceof Uint8Array) return toBase64(data)
    return data
  }

  async #onMessage(rawTag: unknown, rawRequestId: unknown, rawParams: unknown, rawData: unknown): Promise<void> {
    const tag = Number(rawTag)
    const requestId = typeof rawRequestId === 'number' ? rawRequestId : null
    let sp: SignalParams
    let data = rawData
    try {
      sp = readSignalParams(rawParams)
      if (sp.DataSerializerType === DataSerializerType.JsonGZip && data instanceof Uint8Array) data = await gunzipJson(data, this.#opts.maxInflatedBytes ?? 32 * 1024 * 1024)
    } catch (err) {
      const pending = requestId === null ? undefined : this.#take(requestId)
      pending?.reject(new RpcError('invalid_data', `unreadable answer to tag ${tag}: ${(err as Error).message}`))
      return
    }
    const response: RpcResponse = { tag, requestId, status: sp.Status, signalParams: sp, data: data ?? undefined }
    if (sp.Status === SignalStatus.Error) response.error = errorData(data)
    const pending = requestId === null ? undefined : this.#take(requestId)
    if (pending) {
      if (response.error) pending.reject(new RpcError(response.error.code, response.error.message))
      else pending.resolve(response)
      return
    }
    for (const h of this.#handlers.get(tag) ?? []) {
      try {
        await h(response)
      } catch {
        // A failing handler must not stop the others.
      }
    }
  }

  #take(requestId: number): Pending | undefined {
    const p = this.#pending.get(requestId)
    if (!p) return undefined
    this.#pending.delete(requestId)
    clearTimeout(p.timer)
    return p
  }

  #failAll(code: 'connection_lost', message: string): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer)
      this.#pending.delete(id)
      p.reject(new RpcError(code, message))
    }
  }
}

function errorData(data: unknown): RpcErrorData {
  if (data && typeof data === 'object' && 'code' in data && 'message' in data) return data as RpcErrorData
  return { code: 'internal', message: typeof data === 'string' ? data : 'the server answered with an error' }
}

export function createProtocol(name: RpcProtocolName, types?: Record<string, (value: unknown) => unknown>): IHubProtocol {
  if (name === 'json') return new JsonHubProtocol()
  if (name === 'messagepack') return new MessagePackHubProtocol()
  return new AcBinaryHubProtocol({ types })
}

/** Decodes the bytes of a raw (IsRawBytesData) answer. */
export function decodeRaw<T = unknown>(bytes: Uint8Array): T {
  return decodeValue(bytes) as T
}
