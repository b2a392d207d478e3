// The official client's browser bundle in real Chromium, over WebSockets and Server-Sent Events (and
// MessagePack over WebSockets), served from the LAN server's own origin so the origin check applies.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { login, startCore, type TestCore } from './helpers.ts'
import { launchChromium } from '../../helpers/browser.ts'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const BUNDLE = `${ROOT}node_modules/@microsoft/signalr/dist/browser/signalr.min.js`
const MSGPACK_BUNDLE = `${ROOT}node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js`

let t: TestCore
let token: string
let webRoot: string
/** Pages on other origins: one listed in allowedOrigins, one not. */
let allowedSite: Server
let foreignSite: Server
const siteUrl = (s: Server) => `http://127.0.0.1:${(s.address() as { port: number }).port}`

function pageServer(): Promise<Server> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html', '<!doctype html><title>other origin</title><script src="/signalr.min.js"></script>'],
    '/signalr.min.js': ['text/javascript', readFileSync(BUNDLE, 'utf8')],
  }
  const server = createServer((req, res) => {
    const f = files[req.url ?? '/']
    if (!f) res.writeHead(404).end()
    else res.writeHead(200, { 'content-type': f[0] }).end(f[1])
  })
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)))
}
let browser: Browser
let page: Page
const problems: string[] = []

beforeAll(async () => {
  // A real page from the LAN server (same origin, the server's CSP) that loads the two bundles.
  webRoot = mkdtempSync(join(tmpdir(), 'pitwall-signalr-web-'))
  copyFileSync(BUNDLE, join(webRoot, 'signalr.min.js'))
  copyFileSync(MSGPACK_BUNDLE, join(webRoot, 'signalr-protocol-msgpack.min.js'))
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>signalr</title><script src="signalr.min.js"></script><script src="signalr-protocol-msgpack.min.js"></script>')
  allowedSite = await pageServer()
  foreignSite = await pageServer()
  t = await startCore({ allowedOrigins: [siteUrl(allowedSite)] }, { webRoot })
  token = await login(t.url)
  browser = await launchChromium()
  page = await browser.newPage()
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(`${t.url}/index.html`)
  await page.waitForFunction(() => (globalThis as any).signalR?.protocols?.msgpack)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await t?.stop()
  if (webRoot) rmSync(webRoot, { recursive: true, force: true })
  allowedSite?.close()
  foreignSite?.close()
})

type Case = { transport: 'WebSockets' | 'ServerSentEvents'; protocol: 'json' | 'messagepack' }
const CASES: Case[] = [
  { transport: 'WebSockets', protocol: 'json' },
  { transport: 'WebSockets', protocol: 'messagepack' },
  { transport: 'ServerSentEvents', protocol: 'json' },
]

describe.each(CASES)('browser bundle over $transport with $protocol', ({ transport, protocol }) => {
  it('invokes, streams both ways, uses groups, gets errors; the token travels in access_token', async () => {
    const result = await page.evaluate(
      async ({ transport, protocol, token }) => {
        const s = (globalThis as any).signalR
        const make = () => {
          const b = new s.HubConnectionBuilder()
            .withUrl('/hubs/diag', { transport: s.HttpTransportType[transport], accessTokenFactory: () => token })
            .configureLogging(s.LogLevel.None)
          if (protocol === 'messagepack') b.withHubProtocol(new s.protocols.msgpack.MessagePackHubProtocol())
          return b.build()
        }
        const a = make()
        const b = make()
        await a.start()
        await b.start()
        const echo = await a.invoke('Echo', { list: [1, 'two', null], flag: true })
        const who = await a.invoke('Whoami')
        const items: number[] = []
        await new Promise<void>((res, rej) => a.stream('Counter', 5, 1).subscribe({ next: (v: number) => items.push(v), complete: res, error: rej }))
        const subject = new s.Subject()
        const sumP = a.invoke('Sum', subject)
        subject.next(40)
        subject.next(2)
        subject.complete()
        const sum = await sumP
        await b.invoke('Join', 'browsers')
        const received = new Promise((res) => b.on('Receive', res))
        await a.send('SendToGroup', 'browsers', 'hi from a')
        const got = await received
        let error = ''
        try {
          await a.invoke('Fail', 'nope')
        } catch (e) {
          error = (e as Error).message
        }
        a.on('Question', (v: number) => v + 1)
        const answer = await a.invoke('Ask', 'Question', 41)
        await a.stop()
        await b.stop()
        return { echo, who, items, sum, got, error, answer }
      },
      { transport, protocol, token },
    )
    expect(result.echo).toEqual({ list: [1, 'two', null], flag: true })
    expect(result.who).toMatchObject({ user: 'admin', transport, protocol })
    expect(result.items).toEqual([1, 2, 3, 4, 5])
    expect(result.sum).toBe(42)
    expect(result.got).toBe('hi from a')
    expect(result.error).toBe("An unexpected error occurred invoking 'Fail' on the server. HubException: nope")
    expect(result.answer).toBe(42)
    expect(problems).toEqual([])
  })
})

it('browser WebSocket with stateful reconnect survives a cut mid-stream without loss or duplicates', async () => {
  await page.evaluate(async (token) => {
    const s = (globalThis as any).signalR
    const c = new s.HubConnectionBuilder()
      .withUrl('/hubs/diag', { transport: s.HttpTransportType.WebSockets, accessTokenFactory: () => token })
      .withStatefulReconnect()
      .configureLogging(s.LogLevel.None)
      .build()
    await c.start()
    const w = globalThis as any
    w.conn = c
    w.items = []
    w.done = new Promise<void>((res, rej) => c.stream('Counter', 200, 3).subscribe({ next: (v: number) => w.items.push(v), complete: res, error: rej }))
    w.id = (await c.invoke('Whoami')).connectionId
  }, token)
  const id = (await page.evaluate(() => (globalThis as any).id)) as string
  for (let i = 0; i < 200; i++) {
    if (((await page.evaluate(() => (globalThis as any).items.length)) as number) >= 30) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const conn = t.core.ctx.signalr.connectionOf('/hubs/diag', id)!
  expect(conn.statefulReconnect).toBe(true)
  conn.cutTransport()
  const items = (await page.evaluate(async () => {
    const w = globalThis as any
    await w.done
    const after = await w.conn.invoke('Whoami')
    await w.conn.stop()
    return { items: w.items, sameId: after.connectionId === w.id }
  })) as { items: number[]; sameId: boolean }
  expect(items.items).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
  expect(items.sameId).toBe(true)
})

it('a page from an allowed foreign origin connects over every transport (CORS); any other origin is refused', async () => {
  const other = await browser.newPage()
  try {
    await other.goto(siteUrl(allowedSite))
    const results = await other.evaluate(
      async ({ hubUrl, token }) => {
        const s = (globalThis as any).signalR
        const out: Record<string, unknown> = {}
        for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) {
          const c = new s.HubConnectionBuilder()
            .withUrl(hubUrl, { transport: s.HttpTransportType[transport], accessTokenFactory: () => token })
            .configureLogging(s.LogLevel.None)
            .build()
          await c.start()
          out[transport] = await c.invoke('Whoami')
          await c.stop()
        }
        return out
      },
      { hubUrl: `${t.url}/hubs/diag`, token },
    )
    for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) expect(results[transport]).toMatchObject({ transport, user: 'admin' })

    await other.goto(siteUrl(foreignSite))
    const refused = await other.evaluate(async (hubUrl) => {
      const s = (globalThis as any).signalR
      const c = new s.HubConnectionBuilder().withUrl(hubUrl).configureLogging(s.LogLevel.None).build()
      try {
        await c.start()
        return 'connected'
      } catch (e) {
        return String(e)
      }
    }, `${t.url}/hubs/diag`)
    expect(refused).not.toBe('connected')
    const direct = await fetch(`${t.url}/hubs/diag/negotiate`, { method: 'POST', headers: { origin: siteUrl(foreignSite) } })
    expect(direct.status).toBe(403)
    const preflight = await fetch(`${t.url}/hubs/diag/negotiate`, { method: 'OPTIONS', headers: { origin: siteUrl(allowedSite), 'access-control-request-method': 'POST' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(siteUrl(allowedSite))
  } finally {
    await other.close()
  }
})
