// Size limits on every endpoint (HTTP bodies, every WebSocket dialect, every SignalR transport) with
// the documented answer, a bystander on the same endpoint unaffected; path traversal on the static server.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closed, json, nextJson, type SecCore, startCore, uiCall, upgrade } from './helpers.ts'

let s: SecCore
let webParent: string
beforeAll(async () => {
  // A web root with a secret file beside it (what traversal would reach).
  webParent = mkdtempSync(join(tmpdir(), 'pw-web-'))
  mkdirSync(join(webParent, 'root', 'assets'), { recursive: true })
  writeFileSync(join(webParent, 'root', 'index.html'), '<!doctype html><title>ok</title>')
  writeFileSync(join(webParent, 'root', 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(webParent, 'SECRET.txt'), 'TOP-SECRET-CONTENT')
  s = await startCore({}, { webRoot: join(webParent, 'root') })
})
afterAll(() => s.stop())

const KIB = 1024
const big = (n: number) => 'x'.repeat(n)

describe('HTTP body limits (64 KiB)', () => {
  it('every body-taking route answers 413 above the limit and keeps serving', async () => {
    const admin = await s.token('admin')
    const created = (await (await fetch(`${s.url}/websocket/rooms`, json({ name: 'lim' }, admin))).json()) as { roomId: string }
    const routes = ['/api/login', '/api/logout', '/api/users', '/websocket/rooms', `/websocket/rooms/${created.roomId}/message`, `/websocket/rooms/${created.roomId}/join`]
    for (const path of routes) {
      const r = await fetch(`${s.url}${path}`, json({ username: 'admin', password: big(70 * KIB), name: big(70 * KIB), message: big(70 * KIB) }, admin))
      expect(r.status, path).toBe(413)
      expect(await r.json(), path).toMatchObject({ error: expect.any(String) })
    }
    // The SignalR long-polling POST (its own parser): 413 above the hub's 32 KiB.
    const neg = (await (await fetch(`${s.url}/hubs/diag/negotiate?negotiateVersion=1`, { method: 'POST' })).json()) as { connectionToken: string }
    const conn = `${s.url}/hubs/diag?id=${neg.connectionToken}`
    await fetch(conn) // opens long polling
    expect((await fetch(conn, { method: 'POST', body: '{"protocol":"json","version":1}\x1e' })).status).toBe(200)
    expect((await fetch(conn, { method: 'POST', body: big(40 * KIB) })).status).toBe(413)
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200)
  })
})

/** Opens `path` with a bystander, sends `frame` on another socket, returns what the sender saw. */
async function oversize(path: string, frame: string, handshake?: string) {
  const token = await s.token('operator')
  const url = `${s.ws}${path}${path.includes('?') ? '&' : '?'}token=${token}`
  const bystander = (await upgrade(url)).ws!
  const sender = (await upgrade(url)).ws!
  if (handshake) {
    for (const ws of [bystander, sender]) {
      ws.send(handshake)
      await nextJson(ws)
    }
  }
  const code = closed(sender, 5000)
  sender.send(frame)
  return { bystander, sender, code }
}

describe('WebSocket frame limits, per endpoint', () => {
  it('/ui: a frame over 64 KiB closes 1009; the bystander keeps working', async () => {
    const { bystander, code } = await oversize('/ui', big(65 * KIB))
    expect(await code).toBe(1009)
    expect(await uiCall(bystander, 'status.get')).toMatchObject({ t: 'result' })
    bystander.terminate()
  })

  it('/api/v1: a frame over 64 KiB closes 1009; the bystander keeps working', async () => {
    const { bystander, code } = await oversize('/api/v1', JSON.stringify({ brightness: big(65 * KIB) }))
    expect(await code).toBe(1009)
    const a = nextJson(bystander, (m) => 'brightness' in m)
    bystander.send('{"get":["brightness"]}')
    expect(await a).toMatchObject({ brightness: expect.any(Number) })
    bystander.terminate()
  })

  it('/ws: over 64 KiB → Error 400 and the socket stays; over 16× → close 1009', async () => {
    const { bystander, sender } = await oversize('/ws', JSON.stringify({ type: 'Broadcast', data: { topic: 'a.b', payload: big(65 * KIB) }, id: 'big' }))
    expect(await nextJson(sender, (m) => m.type === 'Error')).toMatchObject({ data: { code: 400 } })
    const pong = nextJson(sender, (m) => m.type === 'Pong')
    sender.send('{"type":"Ping","data":{"timestamp":1}}')
    await pong
    const code = closed(sender, 5000)
    sender.send(big(1025 * KIB))
    expect(await code).toBe(1009)
    const p2 = nextJson(bystander, (m) => m.type === 'Pong')
    bystander.send('{"type":"Ping","data":{"timestamp":1}}')
    await p2
    bystander.terminate()
  })

  it('/chat: over 64 KiB → error message_too_large; over 16× → close 1009', async () => {
    const { bystander, sender } = await oversize('/chat', JSON.stringify({ type: 'room_message', room_id: 'r', message: big(65 * KIB) }))
    expect(await nextJson(sender, (m) => m.type === 'error')).toMatchObject({ error_type: 'message_too_large' })
    const code = closed(sender, 5000)
    sender.send(big(1025 * KIB))
    expect(await code).toBe(1009)
    const pong = nextJson(bystander, (m) => m.type === 'pong')
    bystander.send('{"type":"ping"}')
    await pong
    bystander.terminate()
  })

  const HS = '{"protocol":"json","version":1}\x1e'
  it.each([
    ['/hubs/diag', 33 * KIB],
    ['/status/event-status', 1025 * KIB],
    ['/hubs/rpc', 1025 * KIB],
  ])('%s: a message over the hub limit gets a Close message saying so; the bystander keeps working', async (path, size) => {
    const { bystander, sender, code } = await oversize(path, `{"type":1,"target":"x","arguments":["${big(size)}"]}\x1e`, HS)
    const close = await nextJson(sender, (m) => m.type === 7, 5000)
    expect(close.error).toMatch(/exceeds the maximum message size/)
    expect([1000, 1009]).toContain(await code)
    // The bystander still gets answers (an unknown method is answered with a Completion error).
    const answer = nextJson(bystander, (m) => m.type === 3 && m.invocationId === 'b', 5000)
    bystander.send('{"type":1,"invocationId":"b","target":"NoSuchMethod","arguments":[]}\x1e')
    expect((await answer).error).toMatch(/NoSuchMethod|unknown|not found/i)
    bystander.terminate()
  })

  it('/hubs/rpc: parameters over rpc.maxPayloadBytes get payload_too_large, the connection stays', async () => {
    const { RpcClient } = await import('../../src/main/rpc/index.ts')
    const t = await s.token('operator')
    const c = new RpcClient({ url: `${s.url}/hubs/rpc`, protocol: 'json', accessTokenFactory: () => t })
    await c.start()
    try {
      await expect(c.postAsync(90002, [big(300 * KIB)])).rejects.toMatchObject({ code: 'payload_too_large' })
      expect(await c.postAsync(90002, ['still here'])).toBe('still here')
    } finally {
      await c.stop()
    }
  })
})

/** A raw GET (fetch would normalise `..` away before sending). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(s.url)
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', () => resolve({ status: -1, body: '' }))
    req.end()
  })
}

describe('static server', () => {
  it('serves the web root and nothing outside it, however the path is spelled', async () => {
    expect((await rawGet('/')).body).toContain('<title>ok</title>')
    // The page's own defences against injected script and framing.
    const page = await fetch(`${s.url}/`)
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'.*frame-ancestors 'none'/)
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/)
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.headers.get('access-control-allow-origin')).toBeNull()
    expect((await rawGet('/assets/app.js')).status).toBe(200)
    const attempts = [
      '/../SECRET.txt',
      '/assets/../../SECRET.txt',
      '/%2e%2e/SECRET.txt',
      '/%2e%2e%2fSECRET.txt',
      '/assets/%2e%2e/%2e%2e/SECRET.txt',
      '/..%2fSECRET.txt',
      '/..%5cSECRET.txt',
      '/assets\\..\\..\\SECRET.txt',
      '/%252e%252e/SECRET.txt',
      '/.%2e/SECRET.txt',
      '/assets/..%00/SECRET.txt',
      '//SECRET.txt',
      `/${encodeURIComponent(join(webParent, 'SECRET.txt'))}`,
      '/root/../SECRET.txt',
    ]
    for (const p of attempts) {
      const r = await rawGet(p)
      expect(r.body, p).not.toContain('TOP-SECRET')
      expect([400, 403, 404], p).toContain(r.status)
    }
  })
})
