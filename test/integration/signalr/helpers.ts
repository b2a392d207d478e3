import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as signalR from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'
import WebSocket from 'ws'
import { parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'

export { signalR }

export interface TestCore {
  core: Core
  url: string
  stop(): Promise<void>
}

export async function startCore(extra: Record<string, unknown> = {}, runtime: { webRoot?: string } = {}): Promise<TestCore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pitwall-signalr-'))
  const core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, logLevel: 'warn', adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' }, ...extra }),
    runtime,
  )
  return {
    core,
    url: core.url,
    stop: async () => {
      await core.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export async function login(base: string, username = 'admin', password = 'test-admin-pw'): Promise<string> {
  const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  if (!res.ok) throw new Error(`login failed: ${res.status}`)
  return ((await res.json()) as { token: string }).token
}

export type Combo = { transport: 'WebSockets' | 'ServerSentEvents' | 'LongPolling'; protocol: 'json' | 'messagepack' }

/** Every transport × protocol pair the spec allows (SSE is text-only, so no MessagePack over SSE). */
export const COMBOS: Combo[] = [
  { transport: 'WebSockets', protocol: 'json' },
  { transport: 'WebSockets', protocol: 'messagepack' },
  { transport: 'ServerSentEvents', protocol: 'json' },
  { transport: 'LongPolling', protocol: 'json' },
  { transport: 'LongPolling', protocol: 'messagepack' },
]

export interface ConnectOptions {
  token?: string
  reconnect?: boolean | number[]
  stateful?: boolean
  skipNegotiation?: boolean
}

export function build(url: string, combo: Combo, opts: ConnectOptions = {}): signalR.HubConnection {
  const b = new signalR.HubConnectionBuilder()
    .withUrl(url, {
      transport: signalR.HttpTransportType[combo.transport],
      accessTokenFactory: opts.token ? () => opts.token! : undefined,
      skipNegotiation: opts.skipNegotiation,
    })
    .configureLogging(signalR.LogLevel.None)
  if (combo.protocol === 'messagepack') b.withHubProtocol(new MessagePackHubProtocol())
  if (opts.reconnect === true) b.withAutomaticReconnect()
  else if (Array.isArray(opts.reconnect)) b.withAutomaticReconnect(opts.reconnect)
  if (opts.stateful) b.withStatefulReconnect()
  return b.build()
}

export async function connect(url: string, combo: Combo, opts: ConnectOptions = {}): Promise<signalR.HubConnection> {
  const c = build(url, combo, opts)
  await c.start()
  return c
}

/** Resolves with the next `count` calls of client method `target`. */
export function collect<T = unknown>(c: signalR.HubConnection, target: string, count: number, timeoutMs = 5000): Promise<T[]> {
  const got: T[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} × ${target}, got ${got.length}`)), timeoutMs)
    const handler = (v: T) => {
      got.push(v)
      if (got.length === count) {
        clearTimeout(timer)
        c.off(target, handler)
        resolve(got)
      }
    }
    c.on(target, handler)
  })
}

export function streamAll<T = unknown>(c: signalR.HubConnection, method: string, ...args: unknown[]): Promise<T[]> {
  const items: T[] = []
  return new Promise((resolve, reject) => {
    c.stream<T>(method, ...args).subscribe({ next: (v) => items.push(v), complete: () => resolve(items), error: reject })
  })
}

export function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const check = () => {
      if (cond()) return resolve()
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(check, 10)
    }
    check()
  })
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const RS = '\x1e'

/** A raw WebSocket peer speaking SignalR by hand (for garbage, truncation and timing tests). */
export class RawPeer {
  readonly ws: WebSocket
  readonly frames: Array<{ data: Buffer; binary: boolean }> = []
  closed: { code: number; reason: string } | undefined
  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws'), { headers })
    this.ws.on('message', (data: Buffer, binary: boolean) => this.frames.push({ data, binary }))
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }))
    this.ws.on('error', () => {})
  }
  open(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    })
  }
  send(data: string | Uint8Array): void {
    this.ws.send(data, { binary: typeof data !== 'string' })
  }
  /** Text of every frame received so far, joined. */
  get text(): string {
    return this.frames.map((f) => f.data.toString('utf8')).join('')
  }
  /** JSON messages received so far (handshake response included). */
  get messages(): Array<Record<string, unknown>> {
    return this.text.split(RS).filter(Boolean).map((s) => JSON.parse(s) as Record<string, unknown>)
  }
  async handshake(protocol = 'json', version = 1): Promise<void> {
    await this.open()
    this.send(JSON.stringify({ protocol, version }) + RS)
    await until(() => this.frames.length > 0, 5000, 'handshake response')
  }
  waitClosed(timeoutMs = 5000): Promise<void> {
    return until(() => this.closed !== undefined, timeoutMs, 'socket close')
  }
  close(): void {
    this.ws.terminate()
  }
}
