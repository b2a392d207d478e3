import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedDir } from '../../helpers/shared.ts'
import { startCore, type TestCore } from './helpers.ts'
import { launchChromium } from '../../helpers/browser.ts'

/** The spec's own `RealtimeProtocolClient` class, taken from the spec file and transpiled (not rewritten). */
function specClient(): string {
  const md = readFileSync(join(sharedDir(), 'specs', 'realtime-messaging-protocol.md'), 'utf8')
  const block = [...md.matchAll(/```typescript\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('class RealtimeProtocolClient'))
  if (!block) throw new Error('RealtimeProtocolClient not found in the spec')
  const source = block.split('// Usage example')[0]!
  return ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } }).outputText
}

let t: TestCore
let browser: Browser

beforeAll(async () => {
  t = await startCore()
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await t.stop()
})

describe('the spec client in Chromium', () => {
  it('connects to /ws, subscribes, broadcasts and sends a direct message with acknowledgements', async () => {
    const alice = await t.token('alice')
    const bob = await t.token('bob')
    const page = await (await browser.newContext({ bypassCSP: true })).newPage()
    await page.goto(t.http) // same origin as /ws, as the web UI would be
    const wsUrl = t.ws + '/ws'
    const script = `(async () => {
      ${specClient()}
      const wait = (fn) => new Promise((resolve, reject) => { const end = Date.now() + 5000; const tick = () => fn() ? resolve() : Date.now() > end ? reject(new Error('timeout')) : setTimeout(tick, 10); tick() })
      const a = new RealtimeProtocolClient(${JSON.stringify(wsUrl)}, ${JSON.stringify(alice)})
      const b = new RealtimeProtocolClient(${JSON.stringify(wsUrl)}, ${JSON.stringify(bob)})
      const statuses = [], broadcasts = [], dms = [], presence = []
      b.on('Status', (d) => statuses.push(d))
      b.on('Broadcast', (d) => broadcasts.push(d))
      b.on('DirectMessage', (d) => dms.push(d))
      b.on('Presence', (d) => presence.push(d))
      await a.connect()
      await b.connect()
      const subResult = await b.subscribe(['chat.general', 'updates.*', 'presence.#'])
      const broadcastResult = await a.broadcast('chat.general', { message: 'Hello from TypeScript client!' })
      const dmResult = await a.sendDirectMessage('bob', { message: 'Private message', attachments: [] })
      await a.broadcast('updates.lap', { lap: 12 })
      await wait(() => broadcasts.length >= 2 && dms.length >= 1)
      a.disconnect()
      await wait(() => presence.some((p) => p.user_id === 'alice' && p.status === 'offline'))
      b.disconnect()
      return { subResult, broadcastResult, dmResult, statuses, broadcasts, dms, presence }
    })()`
    const r = (await page.evaluate(script)) as Record<string, any>
    expect(r.statuses[0]).toMatchObject({ status: 'connected', details: { protocol_version: '1.0', user_id: 'bob' } })
    expect(r.subResult).toMatchObject({ message_id: 'msg_1', status: 'subscribed', active_subscriptions: 3 })
    expect(r.broadcastResult).toMatchObject({ message_id: 'msg_1', status: 'delivered', recipients: 1 })
    expect(r.dmResult).toMatchObject({ message_id: 'msg_2', status: 'delivered', delivered_to: [expect.any(String)] })
    expect(r.broadcasts.map((b: { topic: string }) => b.topic)).toEqual(['chat.general', 'updates.lap'])
    expect(r.broadcasts[0]).toMatchObject({ payload: { message: 'Hello from TypeScript client!' }, metadata: { from_user: 'alice' } })
    expect(r.dms[0]).toMatchObject({ from_user: 'alice', payload: { message: 'Private message' } })
    expect(r.presence.find((p: { user_id: string; status: string }) => p.user_id === 'alice' && p.status === 'offline').last_seen).toBeGreaterThan(0)
  })

  it('authenticates with the access_token subprotocol from a browser; a bad token fails the handshake', async () => {
    const token = await t.token('alice')
    const page = await (await browser.newContext()).newPage()
    await page.goto(t.http)
    const r = await page.evaluate(
      async ({ url, token }) => {
        const open = (protocols: string[]) =>
          new Promise<{ ok: boolean; protocol?: string; first?: string }>((resolve) => {
            const ws = new WebSocket(url, protocols)
            ws.onmessage = (e) => {
              resolve({ ok: true, protocol: ws.protocol, first: String(e.data) })
              ws.close()
            }
            ws.onerror = () => resolve({ ok: false })
          })
        return { good: await open([`access_token.${token}`]), bad: await open(['access_token.bad.token.here']) }
      },
      { url: t.ws + '/ws', token },
    )
    expect(r.good.ok).toBe(true)
    expect(r.good.protocol).toBe(`access_token.${token}`)
    expect(JSON.parse(r.good.first!).data.details.user_id).toBe('alice')
    expect(r.bad.ok).toBe(false)
  })
})
