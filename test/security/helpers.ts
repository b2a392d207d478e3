// Shared by the security suite: a real core on loopback, users of each role, raw WebSocket upgrades
// that report the HTTP status of a refusal, and plain HTTP helpers.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import type { Role } from '../../src/shared/auth.ts'
import { type ConfigInput, parseConfig } from '../../src/main/config/index.ts'
import { type Core, type CoreRuntime, createCore } from '../../src/main/core/index.ts'

export const ADMIN_PW = 'sec-admin-pw-123'

export interface SecCore {
  core: Core
  url: string
  ws: string
  dataDir: string
  /** A token for a user of `role` (created once; password `password-<role>`). */
  token(role: Role): Promise<string>
  stop(): Promise<void>
}

export async function startCore(over: Partial<ConfigInput> = {}, runtime: CoreRuntime = {}): Promise<SecCore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pw-sec-'))
  const core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, logLevel: 'info', adminPassword: ADMIN_PW, timing: { source: 'none' }, device: { source: 'sim' }, ...over }),
    runtime,
  )
  const tokens = new Map<Role, string>()
  return {
    core,
    url: core.url,
    ws: core.url.replace(/^http/, 'ws'),
    dataDir,
    async token(role) {
      let t = tokens.get(role)
      if (!t) {
        if (role === 'admin') t = (await core.ctx.auth.login('admin', ADMIN_PW, '127.0.0.9')).token
        else {
          await core.ctx.auth.createUser({ username: `sec-${role}`, password: `password-${role}`, role }, true)
          t = (await core.ctx.auth.login(`sec-${role}`, `password-${role}`, '127.0.0.9')).token
        }
        tokens.set(role, t)
      }
      return t
    },
    stop: () => core.stop(),
  }
}

/** Text messages of each socket, queued from the start so none is missed between `open` and a listener. */
const inbox = new WeakMap<WebSocket, { queue: unknown[]; wake: Array<() => void> }>()

/** Opens a WebSocket; resolves with the open socket or the HTTP status of the refused upgrade. */
export function upgrade(url: string, headers: Record<string, string> = {}, protocols?: string[]): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers })
    const box = { queue: [] as unknown[], wake: [] as Array<() => void> }
    inbox.set(ws, box)
    ws.on('message', (d, bin) => {
      if (bin) return
      for (const part of String(d).split('\x1e').filter(Boolean)) {
        try {
          box.queue.push(JSON.parse(part))
        } catch {
          box.queue.push({ unparsable: part })
        }
      }
      for (const w of box.wake.splice(0)) w()
    })
    ws.once('open', () => resolve({ status: 101, ws }))
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0 })
    })
    ws.once('error', () => resolve({ status: -1 }))
  })
}

/** Next JSON text message matching `match` (earlier ones are dropped), bounded. */
export async function nextJson(ws: WebSocket, match: (m: any) => boolean = () => true, ms = 3000): Promise<any> {
  const box = inbox.get(ws)!
  const end = Date.now() + ms
  for (;;) {
    while (box.queue.length) {
      const m = box.queue.shift()
      if (match(m)) return m
    }
    const left = end - Date.now()
    if (left <= 0) throw new Error(`no matching message within ${ms} ms`)
    await new Promise<void>((r) => {
      const t = setTimeout(r, left)
      box.wake.push(() => (clearTimeout(t), r()))
    })
  }
}

/** Closes with the close code (bounded). */
export function closed(ws: WebSocket, ms = 3000): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve(-2)
    const t = setTimeout(() => resolve(-1), ms)
    ws.once('close', (code) => {
      clearTimeout(t)
      resolve(code)
    })
  })
}

export const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
})

/** A UI API call over /ui. */
export async function uiCall(ws: WebSocket, method: string, params: unknown = {}): Promise<any> {
  const id = Math.floor(Math.random() * 1e9)
  const answer = nextJson(ws, (m) => m.id === id)
  ws.send(JSON.stringify({ t: 'call', id, method, params }))
  return answer
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
