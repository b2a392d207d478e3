// Soak: 500 LAN clients across the APIs while the generated race runs and the emulated device changes.
// CI runs 2 minutes (SOAK_MINUTES to change; `npm run soak` runs 30). Criteria: zero errors, memory and
// handle counts flat, latency percentiles stable; `npm run soak` writes the figures to BENCHMARKS.md ("soak").
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HubConnectionBuilder, LogLevel } from '@microsoft/signalr'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'

const MINUTES = Number(process.env.SOAK_MINUTES ?? 2)
const MIX = { camera: 200, messaging: 200, ui: 60, signalr: 40 }
const WINDOW_MS = Math.max(10_000, (MINUTES * 60_000) / 6)

let core: Core | undefined
afterAll(() => core?.stop())

function percentile(v: number[], p: number): number {
  if (!v.length) return NaN
  const s = Float64Array.from(v).sort()
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}

function open(url: string, opts: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_q, r) => reject(new Error(`HTTP ${r.statusCode} on ${url}`)))
  })
}

describe(`soak (${MINUTES} min, ${Object.values(MIX).reduce((a, b) => a + b)} clients)`, () => {
  it('stays flat: zero errors, bounded memory and handles, stable latency', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pw-soak-'))
    core = await createCore(
      parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, logLevel: 'warn', adminPassword: 'soak-admin-pw', timing: { source: 'generator', generatorCars: 30 }, camera: { simDriftMs: 500 } }),
    )
    const base = core.url
    const wsBase = base.replace('http', 'ws')
    const { token } = (await (await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"admin","password":"soak-admin-pw"}' })).json()) as { token: string }

    const errors: string[] = []
    const onError = (what: string) => (e: unknown) => errors.push(`${what}: ${(e as Error)?.message ?? e}`)
    let received = 0
    const closers: Array<() => Promise<void> | void> = []

    // Camera v1 clients: every one receives every broadcast; latency is measured from the writer's send.
    const cameraLatency: number[][] = [[]]
    const sentAt = new Map<number, number>()
    const camera: WebSocket[] = []
    for (let i = 0; i < MIX.camera; i++) {
      const ws = await open(`${wsBase}/api/v1`)
      ws.on('error', onError('camera'))
      ws.on('close', (code) => code !== 1000 && code !== 1005 && errors.push(`camera closed ${code}`))
      ws.on('message', (d) => {
        received++
        const m = JSON.parse(String(d)) as Record<string, unknown>
        if (m.error) errors.push(`camera error ${JSON.stringify(m)}`)
        if (typeof m.contrast === 'number' && m.info === undefined) {
          const t = sentAt.get(m.contrast)
          if (t !== undefined) cameraLatency.at(-1)!.push(performance.now() - t)
        }
      })
      camera.push(ws)
    }
    const writer = await open(`${wsBase}/api/v1?token=${token}`)
    writer.on('message', (d) => {
      const m = JSON.parse(String(d)) as Record<string, unknown>
      if (m.error) errors.push(`writer error ${JSON.stringify(m)}`)
    })

    // Messaging clients following the race and the device.
    for (let i = 0; i < MIX.messaging; i++) {
      const ws = await open(`${wsBase}/ws?token=${token}`)
      ws.on('error', onError('messaging'))
      ws.on('message', (d, bin) => {
        received++
        if (bin) return
        const m = JSON.parse(String(d)) as { type: string; data?: { code?: number } }
        if (m.type === 'Error') errors.push(`messaging error ${JSON.stringify(m)}`)
        if (m.type === 'Ping') ws.send(JSON.stringify({ type: 'Pong', data: {} }))
      })
      ws.send(JSON.stringify({ type: 'Subscribe', data: { topics: ['timing.#', 'device.camera'] } }))
      closers.push(() => ws.close())
    }

    // UI clients (browser tabs) on the status topic.
    for (let i = 0; i < MIX.ui; i++) {
      const ws = await open(`${wsBase}/ui?token=${token}`)
      ws.on('error', onError('ui'))
      ws.on('message', (d) => {
        received++
        const m = JSON.parse(String(d)) as { t: string }
        if (m.t === 'error') errors.push(`ui error ${String(d)}`)
      })
      ws.send(JSON.stringify({ t: 'sub', id: 1, topic: 'status', params: {} }))
      closers.push(() => ws.close())
    }

    // RedMist-compatible hub clients with the official SignalR client.
    for (let i = 0; i < MIX.signalr; i++) {
      const hub = new HubConnectionBuilder().withUrl(`${base}/status/event-status`, { skipNegotiation: true, transport: 1 }).configureLogging(LogLevel.None).build()
      hub.on('ReceiveSessionPatch', () => received++)
      hub.on('ReceiveCarPatches', () => received++)
      hub.onclose((err) => err && errors.push(`signalr closed: ${err.message}`))
      await hub.start()
      await hub.invoke('SubscribeToEventV2', 1)
      closers.push(() => hub.stop())
    }
    closers.push(() => writer.close(), ...camera.map((ws) => () => ws.close()))

    // Run: the writer changes contrast 10×/s; sample memory, handles and latency per window.
    const samples: Array<{ at: number; heapMB: number; rssMB: number; handles: number; p50: number; p99: number; n: number }> = []
    const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length
    let value = 0
    const start = Date.now()
    const writes = setInterval(() => {
      value = (value + 1) % 101
      sentAt.set(value, performance.now())
      writer.send(JSON.stringify({ contrast: value }))
    }, 100)
    while (Date.now() - start < MINUTES * 60_000) {
      await new Promise((r) => setTimeout(r, WINDOW_MS))
      ;(globalThis as { gc?: () => void }).gc?.()
      const lat = cameraLatency.at(-1)!
      const mem = process.memoryUsage()
      samples.push({ at: Math.round((Date.now() - start) / 1000), heapMB: mem.heapUsed / 2 ** 20, rssMB: mem.rss / 2 ** 20, handles: handles(), p50: percentile(lat, 50), p99: percentile(lat, 99), n: lat.length })
      cameraLatency.push([])
    }
    clearInterval(writes)
    for (const c of closers) await c()
    const status = core.status()
    await core.stop()
    core = undefined

    // Figures → BENCHMARKS.md.
    const table = [
      `## soak`,
      '',
      `${MINUTES} min, ${Object.values(MIX).reduce((a, b) => a + b)} LAN clients (camera v1 ${MIX.camera}, messaging ${MIX.messaging}, UI ${MIX.ui}, RedMist hub ${MIX.signalr}), generated race of 30 cars, emulated device drifting every 500 ms, one writer at 10 changes/s; clients and server in one process on loopback. Written by \`npm run soak\` (CI runs the 2-minute variant) on ${new Date().toISOString()}.`,
      '',
      '| t (s) | heap MB | rss MB | handles | camera broadcast p50 ms | p99 ms | samples |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...samples.map((s) => `| ${s.at} | ${s.heapMB.toFixed(1)} | ${s.rssMB.toFixed(1)} | ${s.handles} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.n} |`),
      '',
      `Messages received by clients: ${received}. Errors: ${errors.length}.`,
      '',
    ].join('\n')
    // `npm run soak` records the figures in BENCHMARKS.md; inside `npm test` they are printed only.
    if (process.env.SOAK_REPORT === '1') {
      const file = 'BENCHMARKS.md'
      const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n'
      writeFileSync(file, old.replace(/## soak\n[\s\S]*?(?=\n## |$)/, '').trimEnd() + '\n\n' + table)
    } else console.log(table)

    expect(errors.slice(0, 5)).toEqual([])
    expect(received).toBeGreaterThan(MIX.camera * 100)
    expect(Object.values(status.engines).filter((e) => e.state === 'error')).toEqual([])
    // Flat: the last window is within bounds of the first (after warm-up).
    const first = samples[1] ?? samples[0]!
    const last = samples.at(-1)!
    expect(last.handles).toBeLessThanOrEqual(first.handles + 10)
    expect(last.heapMB).toBeLessThan(first.heapMB * 1.5 + 20)
    expect(last.n).toBeGreaterThan(0)
    // Stable: the last window's p99 stays near the run's typical (median) window, not growing with time.
    // (Bounds are loose: one 20 s window on a shared 2-core machine can see a scheduling hiccup; a leak or a
    // growing queue shows as latency climbing window after window, far past these.)
    const typical = { p50: percentile(samples.map((x) => x.p50), 50), p99: percentile(samples.map((x) => x.p99), 50) }
    expect(last.p50).toBeLessThan(Math.max(typical.p50 * 3, 100))
    expect(last.p99).toBeLessThan(Math.max(typical.p99 * 5, 2000))
  }, (MINUTES + 2) * 60_000)
})
