// Cross-site WebSocket hijacking and DNS rebinding: every WebSocket endpoint and every SignalR HTTP
// route (negotiate, SSE, long polling) refuses a foreign Origin with 403 and accepts the server's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SecCore, startCore, upgrade } from './helpers.ts'

let s: SecCore
beforeAll(async () => {
  s = await startCore()
})
afterAll(() => s.stop())

const WS_PATHS = ['/ui', '/api/v1', '/ws', '/chat', '/hubs/diag', '/status/event-status', '/hubs/rpc']
// [path, serves long polling] — the RedMist hub is WebSockets-only like the real one.
const HUBS: Array<[string, boolean]> = [['/hubs/diag', true], ['/status/event-status', false], ['/hubs/rpc', true]]
const EVIL = 'http://evil.example'

describe('Origin checks on every WebSocket endpoint', () => {
  it.each(WS_PATHS)('%s: a foreign Origin gets 403, a rebound host name 403, the own origin opens', async (path) => {
    const token = await s.token('operator')
    const url = `${s.ws}${path}?token=${token}`
    expect((await upgrade(url, { origin: EVIL })).status).toBe(403)
    expect((await upgrade(url, { origin: 'null' })).status).toBe(403)
    const { port } = new URL(s.url)
    // DNS rebinding: the page's origin and Host agree, but the name is not this machine's.
    expect((await upgrade(url, { origin: `http://rebind.attacker.example:${port}`, host: `rebind.attacker.example:${port}` })).status).toBe(403)
    // Same scheme+host, other port (another service on this machine) is foreign too.
    expect((await upgrade(url, { origin: `http://127.0.0.1:${Number(port) + 1}` })).status).toBe(403)
    const ok = await upgrade(url, { origin: s.url })
    expect(ok.status).toBe(101)
    ok.ws!.terminate()
  })
})

describe('Origin checks on the SignalR HTTP routes', () => {
  it.each(HUBS)('%s: negotiate, SSE and long polling refuse a foreign Origin and serve the own one', async (hub, longPolling) => {
    const token = await s.token('operator')
    const auth = { authorization: `Bearer ${token}` }
    const evil = { ...auth, origin: EVIL }
    const own = { ...auth, origin: s.url }
    expect((await fetch(`${s.url}${hub}/negotiate?negotiateVersion=1`, { method: 'POST', headers: evil })).status).toBe(403)
    // The CORS preflight of a foreign page is refused too (no Access-Control-Allow-Origin).
    const pre = await fetch(`${s.url}${hub}/negotiate?negotiateVersion=1`, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } })
    expect(pre.status).toBe(403)
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()

    const neg = await fetch(`${s.url}${hub}/negotiate?negotiateVersion=1`, { method: 'POST', headers: own })
    expect(neg.status).toBe(200)
    const { connectionToken } = (await neg.json()) as { connectionToken: string }
    const conn = `${s.url}${hub}?id=${encodeURIComponent(connectionToken)}`
    // A foreign page that learnt the id can neither send, poll, stream nor close it.
    expect((await fetch(conn, { method: 'POST', headers: evil, body: '{"protocol":"json","version":1}\x1e' })).status).toBe(403)
    expect((await fetch(conn, { headers: evil })).status).toBe(403)
    expect((await fetch(conn, { headers: { ...evil, accept: 'text/event-stream' } })).status).toBe(403)
    expect((await fetch(conn, { method: 'DELETE', headers: evil })).status).toBe(403)
    if (!longPolling) {
      expect((await fetch(conn, { headers: own })).status).toBe(404)
      return
    }
    // The own origin: the first poll opens long polling, the handshake is posted, the next poll answers it.
    expect((await fetch(conn, { headers: own })).status).toBe(200)
    expect((await fetch(conn, { method: 'POST', headers: own, body: '{"protocol":"json","version":1}\x1e' })).status).toBe(200)
    const poll = await fetch(conn, { headers: own })
    expect(poll.status).toBe(200)
    expect(await poll.text()).toBe('{}\x1e')
    expect((await fetch(conn, { method: 'DELETE', headers: own })).status).toBe(202)
  })
})
