import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket, type ClientOptions } from 'ws'
import { parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'
import type { MessagingEngine } from '../../../src/main/messaging/index.ts'

export interface TestCore {
  core: Core
  dataDir: string
  http: string
  ws: string
  messaging: MessagingEngine
  token(user: string, role?: 'admin' | 'operator' | 'viewer' | 'guest'): Promise<string>
  stop(keepData?: boolean): Promise<void>
}

/** A real core on a loopback port; `messaging` overrides config.messaging. */
export async function startCore(opts: { messaging?: Record<string, unknown>; dataDir?: string; anonymousRead?: boolean; redis?: string; tokenSecret?: string } = {}): Promise<TestCore> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'pitwall-msg-'))
  const config = parseConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logToConsole: false,
    logLevel: 'warn',
    adminPassword: 'test-admin-pw',
    timing: { source: 'none' },
    device: { source: 'sim' },
    ...(opts.anonymousRead !== undefined ? { anonymousRead: opts.anonymousRead } : {}),
    ...(opts.redis ? { redis: opts.redis } : {}),
    ...(opts.tokenSecret ? { tokenSecret: opts.tokenSecret } : {}),
    messaging: opts.messaging ?? {},
  })
  const core = await createCore(config)
  const http = core.url
  const messaging = core.engines.find((e) => e.name === 'messaging') as MessagingEngine
  return {
    core,
    dataDir,
    http,
    ws: http.replace('http:', 'ws:'),
    messaging,
    async token(user, role = 'operator') {
      const auth = core.ctx.auth
      if (!auth.listUsers().some((u) => u.username === user)) await auth.createUser({ username: user, password: 'password-' + user, role })
      return (await auth.issue(user, role)).token
    },
    async stop(keepData = false) {
      await core.stop()
      if (!keepData) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export type Msg = Record<string, any>

/** A ws client that queues every message so tests can await the next one of a kind. */
export class Client {
  readonly ws: WebSocket
  readonly received: Array<Msg | Buffer> = []
  #waiters: Array<{ pred: (m: Msg | Buffer) => boolean; resolve: (m: any) => void }> = []
  closed: Promise<{ code: number; reason: string }>

  constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data: Buffer, isBinary) => {
      const m: Msg | Buffer = isBinary ? data : JSON.parse(data.toString())
      const i = this.#waiters.findIndex((w) => w.pred(m))
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m)
      else this.received.push(m)
    })
    this.closed = new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })))
  }

  static open(url: string, opts: ClientOptions & { protocols?: string[] } = {}): Promise<Client> {
    const ws = new WebSocket(url, opts.protocols, opts)
    const c = new Client(ws)
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(c))
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })))
    })
  }

  /** The next message (already received or coming) matching `pred`; rejects after `ms`. */
  next<T = Msg>(pred: ((m: Msg) => boolean) | string = () => true, ms = 3000): Promise<T> {
    const p = typeof pred === 'string' ? (m: Msg) => m.type === pred : pred
    const test = (m: Msg | Buffer) => !Buffer.isBuffer(m) && p(m)
    const i = this.received.findIndex(test)
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0] as T)
    return new Promise((resolve, reject) => {
      const w = { pred: test, resolve }
      this.#waiters.push(w)
      setTimeout(() => {
        const k = this.#waiters.indexOf(w)
        if (k >= 0) {
          this.#waiters.splice(k, 1)
          reject(new Error(`no message matching ${pred.toString()} within ${ms} ms; queued: ${JSON.stringify(this.received.slice(-5))}`))
        }
      }, ms)
    })
  }

  nextBinary(ms = 3000): Promise<Buffer> {
    const i = this.received.findIndex((m) => Buffer.isBuffer(m))
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0] as Buffer)
    return new Promise((resolve, reject) => {
      const w = { pred: (m: Msg | Buffer) => Buffer.isBuffer(m), resolve }
      this.#waiters.push(w)
      setTimeout(() => {
        const k = this.#waiters.indexOf(w)
        if (k >= 0) {
          this.#waiters.splice(k, 1)
          reject(new Error('no binary message'))
        }
      }, ms)
    })
  }

  /** Messages of this type already queued (drains them). */
  drain(type: string): Msg[] {
    const out: Msg[] = []
    for (let i = 0; i < this.received.length; ) {
      const m = this.received[i]!
      if (!Buffer.isBuffer(m) && m.type === type) out.push(...this.received.splice(i, 1) as Msg[])
      else i++
    }
    return out
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m))
  }

  /** Sends and waits for the reply carrying the same id. */
  request(m: Msg & { id: string }, ms = 3000): Promise<Msg> {
    this.send(m)
    return this.next((x) => x.id === m.id && (x.type === 'Ack' || x.type === 'Error' || !['Status'].includes(x.type)), ms)
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close()
    return this.closed
  }
}

/** Opens a /ws connection and consumes its welcome Status. */
export async function rtc(t: TestCore, token?: string, query = ''): Promise<{ c: Client; welcome: Msg }> {
  const c = await Client.open(`${t.ws}/ws${token ? `?token=${token}` : ''}${query}`)
  const welcome = await c.next('Status')
  return { c, welcome }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls until fn() is truthy (bounded). */
export async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/** A real login token for `user`, re-signed with the install's secret to expire in `secs` (negative: already expired). */
export async function tokenExpiringIn(t: TestCore, user: string, secs: number): Promise<string> {
  const { decodeJwt, SignJWT } = await import('jose')
  const real = decodeJwt(await t.token(user))
  const secret = t.core.ctx.store.getSetting<string>('auth.tokenSecret')!
  const now = Math.floor(Date.now() / 1000)
  const { exp: _exp, iat: _iat, sub, iss: _iss, ...claims } = real
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub!)
    .setIssuer('pitwall')
    .setIssuedAt(now)
    .setExpirationTime(now + secs)
    .sign(new TextEncoder().encode(secret))
}
