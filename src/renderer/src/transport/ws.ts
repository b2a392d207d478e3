import type {
  CommandName,
  CommandParams,
  CommandResult,
  ConnectionState,
  TopicEvent,
  TopicName,
  TopicParams,
  UiClientMessage,
  UiServerMessage,
  UiTransport,
} from '../../../shared/ui-api/index.ts'
import { UiApiError } from '../../../shared/ui-api/define.ts'

// The UI API over WebSocket (`/ui?token=`): a browser on the LAN and the end-to-end tests.
// No DOM-only APIs here beyond WebSocket, so it also runs (and is tested) in Node.

export interface WsTransportOptions {
  /** ws(s)://host:port/ui — the token is appended as `?token=`. */
  url: string
  token?: string
  /**
   * Asked after a connection attempt failed before it opened: a browser cannot see the HTTP status of
   * a refused upgrade, so this tells a bad token ('unauthenticated') from a server that is down ('down').
   */
  probe?: () => Promise<'ok' | 'unauthenticated' | 'down'>
  /** Reconnect backoff: first delay and cap (ms). */
  minDelayMs?: number
  maxDelayMs?: number
  /** Calls made while disconnected wait for the connection, up to this many; more fail at once. */
  maxQueued?: number
  /** A call with no answer fails after this long. */
  callTimeoutMs?: number
  WebSocket?: typeof WebSocket
}

interface PendingCall {
  resolve(v: unknown): void
  reject(e: Error): void
  timer: ReturnType<typeof setTimeout>
}

interface Subscription {
  topic: string
  params: unknown
  onEvent(e: unknown): void
}

/** Close code the server uses when the login session ended (src/main/uiapi/ws.ts). */
const SESSION_EXPIRED = 4001

export class WsTransport implements UiTransport {
  readonly kind = 'ws' as const
  #opts: Required<Omit<WsTransportOptions, 'token' | 'probe' | 'WebSocket'>> & Pick<WsTransportOptions, 'token' | 'probe'>
  #WS: typeof WebSocket
  #ws: WebSocket | undefined
  #state: ConnectionState = 'connecting'
  #listeners = new Set<(s: ConnectionState) => void>()
  #nextId = 1
  #calls = new Map<number, PendingCall>()
  #queue: UiClientMessage[] = []
  /** Live subscriptions by id; re-sent after every reconnect. */
  #subs = new Map<number, Subscription>()
  #attempt = 0
  #retry: ReturnType<typeof setTimeout> | undefined
  #closed = false
  #hello: Extract<UiServerMessage, { t: 'hello' }> | undefined

  constructor(opts: WsTransportOptions) {
    this.#opts = { minDelayMs: 500, maxDelayMs: 10_000, maxQueued: 100, callTimeoutMs: 15_000, ...opts }
    this.#WS = opts.WebSocket ?? globalThis.WebSocket
    this.#connect()
  }

  get state(): ConnectionState {
    return this.#state
  }

  /** Who the server says we are (from its hello), once connected. */
  get user(): { username: string | null; role: string } | undefined {
    return this.#hello?.user
  }

  call<K extends CommandName>(method: K, params: CommandParams<K>): Promise<CommandResult<K>> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new UiApiError({ code: 'unavailable', message: 'Connection closed' }))
      if (this.#state === 'unauthenticated') return reject(new UiApiError({ code: 'unauthenticated', message: 'Log in again' }))
      const id = this.#nextId++
      const timer = setTimeout(() => {
        this.#calls.delete(id)
        this.#queue = this.#queue.filter((m) => m.id !== id)
        reject(new UiApiError({ code: 'unavailable', message: `No answer to ${method} within ${Math.round(this.#opts.callTimeoutMs / 1000)} s` }))
      }, this.#opts.callTimeoutMs)
      this.#calls.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      const msg: UiClientMessage = { t: 'call', id, method, params }
      if (this.#state === 'open') this.#send(msg)
      else if (this.#queue.length < this.#opts.maxQueued) this.#queue.push(msg)
      else {
        clearTimeout(timer)
        this.#calls.delete(id)
        reject(new UiApiError({ code: 'unavailable', message: 'Not connected (too many calls waiting)' }))
      }
    })
  }

  subscribe<K extends TopicName>(topic: K, params: TopicParams<K>, onEvent: (event: TopicEvent<K>) => void): () => void {
    const id = this.#nextId++
    this.#subs.set(id, { topic, params, onEvent: onEvent as (e: unknown) => void })
    if (this.#state === 'open') this.#send({ t: 'sub', id, topic, params })
    return () => {
      if (!this.#subs.delete(id)) return
      if (this.#state === 'open') this.#send({ t: 'unsub', id })
    }
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#retry)
    this.#failCalls('Connection closed', true)
    this.#subs.clear()
    this.#ws?.close(1000)
    this.#setState('closed')
  }

  #connect(): void {
    if (this.#closed) return
    this.#setState('connecting')
    const url = this.#opts.token ? `${this.#opts.url}${this.#opts.url.includes('?') ? '&' : '?'}token=${encodeURIComponent(this.#opts.token)}` : this.#opts.url
    let ws: WebSocket
    try {
      ws = new this.#WS(url)
    } catch {
      this.#scheduleRetry(false)
      return
    }
    this.#ws = ws
    let opened = false
    ws.onopen = () => {
      opened = true
    }
    ws.onmessage = (ev) => {
      let msg: UiServerMessage
      try {
        msg = JSON.parse(String(ev.data)) as UiServerMessage
      } catch {
        return
      }
      this.#onMessage(msg)
    }
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return
      this.#ws = undefined
      this.#failCalls('Connection lost')
      if (this.#closed) return
      if (ev.code === SESSION_EXPIRED) return this.#setState('unauthenticated')
      this.#scheduleRetry(opened)
    }
    ws.onerror = () => undefined // onclose follows and decides
  }

  #onMessage(msg: UiServerMessage): void {
    switch (msg.t) {
      case 'hello':
        // The server speaks first: only now are we connected (and authenticated).
        this.#hello = msg
        this.#attempt = 0
        this.#setState('open')
        for (const [id, s] of this.#subs) this.#send({ t: 'sub', id, topic: s.topic, params: s.params })
        for (const m of this.#queue.splice(0)) this.#send(m)
        return
      case 'result': {
        const call = this.#calls.get(msg.id)
        if (!call) return // a sub acknowledgement
        this.#calls.delete(msg.id)
        clearTimeout(call.timer)
        call.resolve(msg.result)
        return
      }
      case 'error': {
        const call = this.#calls.get(msg.id)
        if (call) {
          this.#calls.delete(msg.id)
          clearTimeout(call.timer)
          call.reject(new UiApiError(msg.error))
          return
        }
        const sub = this.#subs.get(msg.id)
        if (sub) {
          // A refused subscription stays refused until the next connection; tell the page.
          this.#subs.delete(msg.id)
          console.warn(`UI API: subscription to ${sub.topic} refused: ${msg.error.message}`)
        }
        return
      }
      case 'event':
        this.#subs.get(msg.id)?.onEvent(msg.data)
        return
    }
  }

  #scheduleRetry(wasOpen: boolean): void {
    const delay = Math.min(this.#opts.maxDelayMs, this.#opts.minDelayMs * 2 ** this.#attempt) * (0.75 + Math.random() * 0.5)
    this.#attempt++
    this.#setState('connecting')
    const go = () => {
      this.#retry = setTimeout(() => this.#connect(), delay)
    }
    if (wasOpen || !this.#opts.probe || !this.#opts.token) return go()
    this.#opts.probe().then(
      (verdict) => {
        if (this.#closed) return
        if (verdict === 'unauthenticated') this.#setState('unauthenticated')
        else go()
      },
      () => go(),
    )
  }

  #send(msg: UiClientMessage): void {
    this.#ws?.send(JSON.stringify(msg))
  }

  /** Fails calls already sent (their answer is lost with the socket); queued ones keep waiting unless `all`. */
  #failCalls(message: string, all = false, code: 'unavailable' | 'unauthenticated' = 'unavailable'): void {
    const queued = new Set(all ? [] : this.#queue.map((m) => m.id))
    if (all) this.#queue = []
    for (const [id, c] of this.#calls) {
      if (queued.has(id)) continue
      clearTimeout(c.timer)
      c.reject(new UiApiError({ code, message }))
      this.#calls.delete(id)
    }
  }

  #setState(s: ConnectionState): void {
    if (s === this.#state) return
    this.#state = s
    if (s === 'unauthenticated') this.#failCalls('Log in again', true, 'unauthenticated')
    for (const l of this.#listeners) l(s)
  }
}
