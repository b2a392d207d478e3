import { WebSocket } from 'ws'

// A camera API v1 test client on the real `ws` client: every message is queued, tests take them in
// order with bounded waits.

export type Msg = Record<string, unknown>

export class V1Client {
  readonly ws: WebSocket
  readonly messages: Msg[] = []
  #waiters: Array<() => void> = []
  closed: Promise<{ code: number; reason: string }>

  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(String(d)) as Msg)
      for (const w of this.#waiters.splice(0)) w()
    })
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })))
  }

  static open(url: string, opts: { headers?: Record<string, string> } = {}): Promise<V1Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: opts.headers })
      const client = new V1Client(ws)
      ws.once('open', () => resolve(client))
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers })))
      ws.once('error', reject)
    })
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg))
  }

  /** Takes the next message (optionally the next matching one, dropping the ones before it). */
  async next(match?: (m: Msg) => boolean, timeoutMs = 3000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      while (this.messages.length > 0) {
        const m = this.messages.shift()!
        if (!match || match(m)) return m
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${match ? 'matching ' : ''}message within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Sends and returns the next `n` messages. */
  async request(msg: unknown, n = 1): Promise<Msg[]> {
    this.send(msg)
    const out: Msg[] = []
    for (let i = 0; i < n; i++) out.push(await this.next())
    return out
  }

  async login(username: string, password: string): Promise<Msg> {
    this.send({ username, password })
    return this.next((m) => 'authenticated' in m)
  }

  close(): void {
    this.ws.terminate()
  }
}

export const wsUrl = (httpUrl: string, path = '/api/v1') => `${httpUrl.replace(/^http/, 'ws')}${path}`
