// Following a RedMist hub (the real cloud or another Pitwall): the official client's flow
// (research/redmist.md §1.4) — REST full state, SubscribeToEventV2 on every (re)connect, V2 patches,
// a REST resync every 5 s and on ReceiveReset — plus the legacy V1 ReceiveMessage stream.
import { gunzipSync } from 'node:zlib'
import { HubConnectionBuilder, HubConnectionState, HttpTransportType, LogLevel, type HubConnection, type IRetryPolicy } from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'
import { decode } from '@msgpack/msgpack'
import type { ControlLogEntry, SessionState } from '../../../shared/timing.ts'
import { carPatchFrom, controlLogEntryFrom, fromV1Payload, sessionPatchFrom } from './wire.ts'
import type { CarPositionPatch, SessionStatePatch } from '../../../shared/timing.ts'

export interface RedMistClientOptions {
  /** Hub URL (…/status/event-status) or the server's base URL. */
  url: string
  eventId: number
  protocol: 'json' | 'messagepack'
  tokenUrl?: string
  clientId?: string
  clientSecret?: string
  accessCode?: string
  resyncMs: number
  /** Reconnect delays (ms); the last repeats forever. */
  retryDelaysMs?: number[]
}

export interface RedMistClientHandlers {
  full(state: SessionState): void
  session(patch: SessionStatePatch): void
  cars(patches: CarPositionPatch[]): void
  reset(): void
  controlLog(entries: ControlLogEntry[]): void
  state(state: 'connecting' | 'live' | 'error', detail?: string): void
  /** Every message as received (recording). */
  raw(kind: string, data: unknown): void
  warn(message: string): void
}

export const RETRY_DELAYS_MS = [0, 2000, 10_000, 30_000]
/** A full state is ~100 KB for 60 cars; anything near this is not a timing state. */
const MAX_STATE_BYTES = 32 * 1024 * 1024

/** Hub and REST endpoints from whatever URL the user gave. */
export function endpoints(url: string): { hub: string; rest: string } {
  const u = new URL(url)
  if (u.protocol === 'ws:') u.protocol = 'http:'
  if (u.protocol === 'wss:') u.protocol = 'https:'
  let path = u.pathname.replace(/\/+$/, '')
  if (path.endsWith('/event-status')) path = path.slice(0, -'/event-status'.length)
  else if (!path.endsWith('/status')) path += '/status'
  const base = `${u.protocol}//${u.host}${path}`
  return { hub: `${base}/event-status`, rest: `${base}/v2/Events` }
}

export class RedMistClient {
  readonly #o: RedMistClientOptions
  readonly #h: RedMistClientHandlers
  readonly #ep: { hub: string; rest: string }
  #conn: HubConnection | null = null
  #resync: NodeJS.Timeout | null = null
  #retry: NodeJS.Timeout | null = null
  #stopped = true
  #token: { value: string; until: number } | null = null
  #v1Doc: Record<string, unknown> | null = null
  #attempt = 0
  #resyncing = false
  messages = 0
  resyncs = 0

  constructor(o: RedMistClientOptions, h: RedMistClientHandlers) {
    this.#o = o
    this.#h = h
    this.#ep = endpoints(o.url)
  }

  get connectionState(): HubConnectionState {
    return this.#conn?.state ?? HubConnectionState.Disconnected
  }

  async start(): Promise<void> {
    if (!this.#stopped) return
    this.#stopped = false
    const delays = this.#o.retryDelaysMs ?? RETRY_DELAYS_MS
    const policy: IRetryPolicy = { nextRetryDelayInMilliseconds: (ctx) => (this.#stopped ? null : delays[Math.min(ctx.previousRetryCount, delays.length - 1)]!) }
    const conn = new HubConnectionBuilder()
      .withUrl(this.#ep.hub, {
        transport: HttpTransportType.WebSockets,
        skipNegotiation: true,
        accessTokenFactory: this.#o.tokenUrl ? () => this.#getToken() : undefined,
      })
      .withAutomaticReconnect(policy)
      .withHubProtocol(this.#o.protocol === 'messagepack' ? new MessagePackHubProtocol() : new (await import('@microsoft/signalr')).JsonHubProtocol())
      .configureLogging(LogLevel.None)
      .build()
    this.#conn = conn
    for (const target of ['ReceiveSessionPatch', 'ReceiveCarPatches', 'ReceiveReset', 'ReceiveControlLog', 'ReceiveMessage']) {
      conn.on(target, (arg: unknown) => this.handle(target, arg))
    }
    conn.onreconnecting((err) => this.#h.state('connecting', `reconnecting: ${err?.message ?? 'connection lost'}`))
    conn.onreconnected(() => void this.#subscribe())
    conn.onclose(() => {
      // Automatic reconnect gave up (or the first start failed later): keep trying every 30 s.
      if (!this.#stopped) this.#scheduleStart()
    })
    await this.#connect()
    this.#resync = setInterval(() => void this.resync(), this.#o.resyncMs)
    this.#resync.unref?.()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#resync) clearInterval(this.#resync)
    if (this.#retry) clearTimeout(this.#retry)
    this.#resync = this.#retry = null
    await this.#conn?.stop().catch(() => undefined)
  }

  async #connect(): Promise<void> {
    if (this.#stopped || !this.#conn) return
    this.#h.state('connecting', this.#ep.hub)
    try {
      await this.#conn.start()
      this.#attempt = 0
      await this.#subscribe()
    } catch (err) {
      this.#h.state('error', `${this.#ep.hub}: ${(err as Error).message}`)
      this.#scheduleStart()
    }
  }

  #scheduleStart(): void {
    if (this.#stopped || this.#retry) return
    const delays = this.#o.retryDelaysMs ?? RETRY_DELAYS_MS
    const delay = delays[Math.min(this.#attempt++, delays.length - 1)]!
    this.#retry = setTimeout(() => {
      this.#retry = null
      if (this.#conn?.state === HubConnectionState.Disconnected) void this.#connect()
    }, delay)
  }

  async #subscribe(): Promise<void> {
    const c = this.#conn
    if (!c) return
    const { eventId, accessCode } = this.#o
    try {
      if (accessCode) await c.invoke('SubscribeToEventV2WithCode', eventId, accessCode)
      else await c.invoke('SubscribeToEventV2', eventId)
    } catch (err) {
      // A V1-only server knows SubscribeToEvent.
      if (/method|does not exist/i.test((err as Error).message)) await c.invoke('SubscribeToEvent', eventId)
      else throw err
    }
    await c.invoke('SubscribeToControlLogs', eventId, accessCode ?? null).catch(() => undefined)
    this.#h.state('live', this.#ep.hub)
    await this.resync()
  }

  /** Fetches the full state over REST and hands it over (the store diffs it). */
  async resync(): Promise<void> {
    if (this.#stopped || this.#resyncing) return
    this.#resyncing = true
    try {
      const mp = this.#o.protocol === 'messagepack'
      const url = `${this.#ep.rest}/${mp ? 'GetCurrentSessionState' : 'GetCurrentSessionStateJson'}?eventId=${this.#o.eventId}`
      const headers: Record<string, string> = { Accept: mp ? 'application/x-msgpack' : 'application/json' }
      if (this.#o.accessCode) headers['X-Event-Access-Code'] = this.#o.accessCode
      if (this.#o.tokenUrl) headers.Authorization = `Bearer ${await this.#getToken()}`
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) })
      if (res.status === 429) return
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`)
      const declared = Number(res.headers.get('content-length') ?? 0)
      if (declared > MAX_STATE_BYTES) throw new Error(`full state of ${declared} bytes is over the ${MAX_STATE_BYTES}-byte limit`)
      const bytes = new Uint8Array(await res.arrayBuffer())
      if (bytes.byteLength > MAX_STATE_BYTES) throw new Error(`full state of ${bytes.byteLength} bytes is over the ${MAX_STATE_BYTES}-byte limit`)
      const body = mp ? decode(bytes) : JSON.parse(new TextDecoder().decode(bytes))
      this.resyncs++
      this.handle('full', body)
    } catch (err) {
      this.#h.warn(`resync failed: ${(err as Error).message}`)
    } finally {
      this.#resyncing = false
    }
  }

  async #getToken(): Promise<string> {
    const now = Date.now()
    if (this.#token && this.#token.until > now) return this.#token.value
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.#o.clientId ?? '', client_secret: this.#o.clientSecret ?? '' })
    const res = await fetch(this.#o.tokenUrl!, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(10_000) })
    if (!res.ok) throw new Error(`token endpoint answered HTTP ${res.status}`)
    const j = (await res.json()) as { access_token?: string; expires_in?: number }
    if (typeof j.access_token !== 'string') throw new Error('token endpoint gave no access_token')
    this.#token = { value: j.access_token, until: now + Math.max(10, (j.expires_in ?? 300) - 30) * 1000 }
    return j.access_token
  }

  /**
   * Applies one message as received from the hub (or as recorded: `full` is a REST state). Malformed
   * messages are dropped with a warning.
   */
  handle(kind: string, data: unknown): void {
    this.#guard(kind, data, () => {
      switch (kind) {
        case 'ReceiveSessionPatch': {
          const r = sessionPatchFrom(data)
          if (r) this.#h.session(r.patch)
          return
        }
        case 'ReceiveCarPatches': {
          if (!Array.isArray(data)) throw new Error('not an array')
          const ps = data.slice(0, 1000).map(carPatchFrom).filter((x): x is CarPositionPatch => x !== null)
          if (ps.length) this.#h.cars(ps)
          return
        }
        case 'ReceiveReset':
          this.#h.reset()
          void this.resync()
          return
        case 'ReceiveControlLog': {
          const entries = Array.isArray(data) ? data[1] : (data as { entries?: unknown })?.entries
          const cn = Array.isArray(data) ? data[0] : (data as { cn?: unknown })?.cn
          if (cn === '' && Array.isArray(entries)) this.#h.controlLog(entries.slice(0, 2000).map(controlLogEntryFrom).filter((e): e is ControlLogEntry => e !== null))
          return
        }
        case 'ReceiveMessage':
          this.legacy(data)
          return
        case 'full': {
          const r = sessionPatchFrom(data)
          if (!r) throw new Error('full state is not an object')
          this.#h.full({ ...(r.patch as SessionState), eventId: this.#o.eventId, carPositions: r.cars ?? [] })
          return
        }
      }
    })
  }

  #guard(kind: string, data: unknown, fn: () => void): void {
    this.messages++
    this.#h.raw(kind, data)
    try {
      fn()
    } catch (err) {
      this.#h.warn(`${kind}: ignored a malformed message (${(err as Error).message})`)
    }
  }

  /** Legacy V1: gzip+base64 (`H4sI…`) or JSON; full or partial Payload; `{r:true}` reset; the spec's `t:'patch'` form. */
  legacy(m: unknown): void {
    if (typeof m !== 'string' || m.length > 16 * 1024 * 1024) throw new Error('not a string')
    const text = m.startsWith('H4sI') ? gunzipSync(Buffer.from(m, 'base64'), { maxOutputLength: 64 * 1024 * 1024 }).toString('utf8') : m
    const msg = JSON.parse(text) as Record<string, unknown>
    if (msg?.t === 'patch') {
      if (!this.#v1Doc || !Array.isArray(msg.patches)) return
      for (const op of msg.patches.slice(0, 10_000)) applyOp(this.#v1Doc, op)
      const r = fromV1Payload(this.#v1Doc)
      if (r) this.#h.full({ ...(r.patch as SessionState), eventId: this.#o.eventId, eventEntries: r.entries ?? [], carPositions: r.cars })
      return
    }
    const r = fromV1Payload(msg)
    if (!r) return
    if (r.reset) {
      this.#v1Doc = null
      this.#h.reset()
      return
    }
    if (r.full) {
      this.#v1Doc = msg
      this.#h.full({ ...(r.patch as SessionState), eventId: this.#o.eventId, eventEntries: r.entries ?? [], carPositions: r.cars })
    } else {
      if (r.entries) r.patch.eventEntries = r.entries
      this.#h.session(r.patch)
      if (r.cars.length) this.#h.cars(r.cars)
    }
  }
}

/** One RFC 6902-style op (replace/add/remove) on a plain JSON document; bad paths are ignored. */
function applyOp(doc: Record<string, unknown>, op: unknown): void {
  if (!op || typeof op !== 'object') return
  const { op: kind, path, value } = op as { op?: string; path?: string; value?: unknown }
  if (typeof path !== 'string' || !path.startsWith('/')) return
  const parts = path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) return
  let obj: unknown = doc
  for (let i = 0; i < parts.length - 1; i++) {
    obj = (obj as Record<string, unknown>)?.[parts[i]!]
    if (!obj || typeof obj !== 'object') return
  }
  const key = parts[parts.length - 1]!
  const target = obj as Record<string, unknown> & unknown[]
  if (kind === 'replace' || kind === 'add') {
    if (Array.isArray(target) && kind === 'add') {
      const i = key === '-' ? target.length : Number(key)
      if (Number.isInteger(i) && i >= 0 && i <= target.length) target.splice(i, 0, value)
    } else target[key as never] = value as never
  } else if (kind === 'remove') {
    if (Array.isArray(target)) target.splice(Number(key), 1)
    else delete target[key]
  }
}

export { decode as decodeMsgpack }
