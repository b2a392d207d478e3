import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'

let core: Core
let base: string
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pw-lan-'))
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' } }))
  base = core.url
})
afterAll(() => core.stop())

const login = async (username: string, password: string) =>
  fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json()
const bearer = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })

function openUi(path: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; hello: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, { headers })
    ws.once('message', (d) => resolve({ ws, hello: JSON.parse(String(d)) }))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function call(ws: WebSocket, id: number, method: string, params: unknown = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMsg = (d: Buffer) => {
      const m = JSON.parse(String(d))
      if (m.id === id) {
        ws.off('message', onMsg)
        resolve(m)
      }
    }
    ws.on('message', onMsg)
    ws.send(JSON.stringify({ t: 'call', id, method, params }))
  })
}

describe('LAN server', () => {
  it('serves health, status and metrics', async () => {
    expect(await json(fetch(`${base}/healthz`))).toEqual({ status: 'ok' })
    const status = await json(fetch(`${base}/api/status`))
    expect(status).toMatchObject({ name: 'Pitwall', instanceId: expect.any(String), engines: { store: { state: 'running' } } })
    expect(status.uptime).toBeGreaterThanOrEqual(0)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/# TYPE pitwall_http_requests_total counter/)
    expect(metrics).toMatch(/process_resident_memory_bytes \d+/)
  })

  it('logs in, rejects bad credentials and bad bodies precisely', async () => {
    const ok = await login('admin', 'test-admin-pw')
    expect(ok.status).toBe(200)
    const body = await json(ok)
    expect(body).toMatchObject({ token: expect.any(String), expiresAt: expect.any(Number), user: { username: 'admin', role: 'admin' } })
    const bad = await login('admin', 'nope-nope')
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({ error: 'Authentication failed' })
    const malformed = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": 5' })
    expect(malformed.status).toBe(400)
    const wrongShape = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": 5}' })
    expect(wrongShape.status).toBe(400)
    const big = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) }) })
    expect(big.status).toBe(413)
  })

  it('manages users: admins only, precise errors', async () => {
    const { token } = await json(login('admin', 'test-admin-pw'))
    expect((await fetch(`${base}/api/users`)).status).toBe(401)
    const created = await fetch(`${base}/api/users`, { method: 'POST', headers: bearer(token), body: JSON.stringify({ username: 'viewer1', password: 'viewer-pw-1', role: 'viewer' }) })
    expect(created.status).toBe(201)
    const invalid = await fetch(`${base}/api/users`, { method: 'POST', headers: bearer(token), body: JSON.stringify({ username: 'x y', password: 'short', role: 'king' }) })
    expect(invalid.status).toBe(400)
    const v = await json(login('viewer1', 'viewer-pw-1'))
    expect((await fetch(`${base}/api/users`, { headers: bearer(v.token) })).status).toBe(403)
    const list = await json(fetch(`${base}/api/users`, { headers: bearer(token) }))
    expect(list.users.map((u: { username: string }) => u.username)).toEqual(['admin', 'viewer1'])
    expect((await fetch(`${base}/api/users/viewer1`, { method: 'DELETE', headers: bearer(token) })).status).toBe(200)
    expect((await fetch(`${base}/api/users/viewer1`, { method: 'DELETE', headers: bearer(token) })).status).toBe(404)
    expect((await fetch(`${base}/api/users/admin`, { method: 'DELETE', headers: bearer(token) })).status).toBe(409)
    expect((await fetch(`${base}/api/users`, { headers: bearer(v.token) })).status).toBe(401) // deleted user's token is dead
  })

  it('refuses cross-site WebSocket upgrades and accepts same-origin ones', async () => {
    await expect(openUi('/ui', { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403')
    const { port } = new URL(base)
    await expect(openUi('/ui', { origin: 'http://rebind.attacker.example:' + port, host: 'rebind.attacker.example:' + port })).rejects.toThrow('HTTP 403')
    const { ws, hello } = await openUi('/ui', { origin: base })
    expect(hello).toMatchObject({ t: 'hello', user: { username: null, role: 'guest' } })
    ws.close()
    await expect(openUi('/nope')).rejects.toThrow('HTTP 404')
    await expect(openUi('/ui?token=forged')).rejects.toThrow('HTTP 401')
  })

  it('serves the UI API over /ui with schema and permission checks', async () => {
    const anon = (await openUi('/ui')).ws
    expect(await call(anon, 1, 'status.get')).toMatchObject({ t: 'result', result: { name: 'Pitwall' } })
    expect(await call(anon, 2, 'users.list')).toMatchObject({ t: 'error', error: { code: 'unauthenticated' } })
    expect(await call(anon, 3, 'no.such')).toMatchObject({ t: 'error', error: { code: 'unknown_method' } })
    anon.close()
    const { token } = await json(login('admin', 'test-admin-pw'))
    const { ws, hello } = await openUi(`/ui?token=${token}`)
    expect(hello).toMatchObject({ user: { username: 'admin', role: 'admin' } })
    expect(await call(ws, 4, 'logs.recent', { limit: 'ten' })).toMatchObject({ t: 'error', error: { code: 'invalid_params', message: expect.stringMatching(/^limit:/) } })
    const users = await call(ws, 5, 'users.list')
    expect(users.result).toEqual([expect.objectContaining({ username: 'admin', role: 'admin' })])
    ws.send('not json')
    const err = await new Promise<Record<string, unknown>>((r) => ws.once('message', (d) => r(JSON.parse(String(d)))))
    expect(err).toMatchObject({ t: 'error', error: { code: 'bad_request' } })
    expect(await call(ws, 6, 'status.get')).toMatchObject({ t: 'result' }) // still open after garbage
    ws.close()
  })

  it('throttles logins with 429 and Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await login('ghost', 'wrong-password')).status).toBe(401)
    const r = await login('ghost', 'wrong-password')
    expect(r.status).toBe(429)
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(800)
  })

  it('never writes passwords or tokens to the log', async () => {
    const { token } = await json(login('admin', 'test-admin-pw'))
    await login('admin', 'a-wrong-secret-pw')
    await fetch(`${base}/api/users`, { method: 'POST', headers: bearer(token), body: JSON.stringify({ username: 'logcheck', password: 'logcheck-secret', role: 'viewer' }) })
    const logText = readFileSync(join(dataDir, 'logs', 'pitwall.log'), 'utf8')
    expect(logText).toMatch(/failed login/) // the log is being written
    for (const secret of ['test-admin-pw', 'a-wrong-secret-pw', 'logcheck-secret', token]) expect(logText).not.toContain(secret)
  })
})
