import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Core } from '../../../src/main/core/index.ts'
import { V1Client, wsUrl } from '../../helpers/v1-client.ts'
import { ADMIN_PW, simOf, startCore } from './helpers.ts'

// Separate cores: restart persistence, the client cap, login throttling (it throttles the address,
// so it must not share a core with other tests) and anonymousRead=false.

const cores: Core[] = []
const clients: V1Client[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  for (const c of cores.splice(0)) await c.stop()
})
async function core(over: Parameters<typeof startCore>[0] = {}, dataDir?: string): Promise<Core> {
  const c = await startCore(over, dataDir)
  cores.push(c)
  return c
}
async function open(c: Core, path = '/api/v1'): Promise<V1Client> {
  const v = await V1Client.open(wsUrl(c.url, path))
  clients.push(v)
  return v
}

describe('camera state across restarts', () => {
  it('restores the last confirmed settings to the controller on start; recording and actions are not restored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pw-cam-restart-'))
    const first = await core({}, dataDir)
    const a = await open(first)
    await a.login('admin', ADMIN_PW)
    const msgs = await a.request({ brightness: 42, 'cam1-light': true, resolution: '1280x720', 'auto-exposure': 'shutter', record: true }, 1)
    expect(msgs[0]).toMatchObject({ brightness: 42, record: 'on' })
    a.close()
    clients.length = 0
    await first.stop()
    cores.length = 0

    const second = await core({}, dataDir)
    // a fresh simulated device starts from factory values; the model restored the stored ones to it
    expect(simOf(second).state).toMatchObject({ brightness: 42, 'cam1-light': true, resolution: '1280x720', 'auto-exposure': 'shutter', record: 'off' })
    const b = await open(second)
    expect(await b.request({ get: ['brightness', 'cam1-light', 'resolution', 'auto-exposure', 'record'] })).toEqual([
      { brightness: 42, 'cam1-light': true, resolution: '1280x720', 'auto-exposure': 'shutter', record: 'off' },
    ])
  })
})

describe('client cap', () => {
  it('accepts camera.maxClients clients and answers the next upgrade with HTTP 503', async () => {
    const c = await core({ camera: { maxClients: 50 } })
    const fifty = await Promise.all(Array.from({ length: 50 }, () => open(c)))
    expect(fifty).toHaveLength(50)
    const refused = await V1Client.open(wsUrl(c.url)).then(
      () => undefined,
      (err: { status?: number; headers?: Record<string, string> }) => err,
    )
    expect(refused?.status).toBe(503)
    expect(refused?.headers?.['retry-after']).toBe('5')
    // every one of the 50 is served
    const answers = await Promise.all(fifty.map((v) => v.request({ get: ['fps'] })))
    expect(answers.every(([m]) => typeof m?.fps === 'number')).toBe(true)
    // a slot frees up when a client leaves
    fifty[0]!.close()
    await expect.poll(async () => V1Client.open(wsUrl(c.url)).then((v) => (clients.push(v), true), () => false), { timeout: 5000 }).toBe(true)
  })
})

describe('login throttling', () => {
  it('after 5 failed logins the WebSocket login says when to retry and HTTP /api/login answers 429 with Retry-After', async () => {
    const c = await core()
    const v = await open(c)
    for (let i = 0; i < 5; i++) expect(await v.login('admin', `wrong-${i}`)).toEqual({ authenticated: false, error: 'Authentication failed' })
    const throttled = await v.login('admin', ADMIN_PW)
    expect(throttled).toMatchObject({ authenticated: false, error: expect.stringMatching(/^Too many failed logins; retry in \d+ s$/), retryAfter: expect.any(Number) })
    expect(throttled.retryAfter as number).toBeGreaterThan(800)
    expect(throttled.retryAfter as number).toBeLessThanOrEqual(900)
    // still open, still anonymous
    expect(await v.request({ brightness: 1 })).toEqual([{ error: 'Permission denied', key: 'brightness', message: 'Writing brightness needs Device_rw' }])
    const r = await fetch(`${c.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PW }) })
    expect(r.status).toBe(429)
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(800)
    expect(await r.json()).toMatchObject({ error: expect.stringMatching(/retry in \d+ s/) })
  })
})

describe('anonymousRead = false', () => {
  it('anonymous clients read nothing and get no broadcasts', async () => {
    const c = await core({ anonymousRead: false })
    const anon = await open(c)
    const admin = await open(c)
    await admin.login('admin', ADMIN_PW)
    expect(await anon.request({ get: ['fps'] })).toEqual([{ error: 'Permission denied', key: 'fps', message: 'Reading fps needs Media_r or Media_rw' }])
    admin.send({ brightness: 12 })
    await admin.next((m) => m.brightness === 12 && !('info' in m))
    anon.send({ get: ['snap'] })
    expect(await anon.next()).toEqual({ error: 'Permission denied', key: 'snap', message: 'Reading snap needs Media_r or Media_rw' }) // no broadcast came first
  })
})

describe('broadcast latency (spec: < 100 ms to all clients)', () => {
  it('a device change reaches 50 clients with p95 under 100 ms on loopback', async () => {
    const c = await core()
    const fifty = await Promise.all(Array.from({ length: 50 }, () => open(c)))
    const sim = simOf(c)
    const latencies: number[] = []
    for (let k = 0; k < 20; k++) {
      const value = (k % 2) + 10 // alternate so every press is a change
      const arrived = fifty.map((v) => v.next((m) => m.brightness === value).then(() => performance.now()))
      const t0 = performance.now()
      sim.press({ brightness: value })
      for (const t of await Promise.all(arrived)) latencies.push(t - t0)
    }
    latencies.sort((a, b) => a - b)
    const p95 = latencies[Math.ceil(latencies.length * 0.95) - 1]!
    expect(latencies).toHaveLength(1000)
    expect(p95).toBeLessThan(100)
  })
})
